import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { systemClock } from "../../src/clock.ts";
import { parseConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { forEachLine } from "../../src/recorder/ffmpeg-process.ts";
import { segmentFileName, type Segment } from "../../src/spool/segment.ts";
import { Spool } from "../../src/spool/spool.ts";
import { KeyClaims } from "../../src/upload/claim-key.ts";
import { FilesystemStorage } from "../../src/upload/filesystem.ts";
import { objectMetadata } from "../../src/upload/key.ts";
import { S3Storage } from "../../src/upload/s3.ts";
import type { Storage } from "../../src/upload/storage.ts";
import { Uploader } from "../../src/upload/uploader.ts";
import { startFaultProxy } from "../fixtures/fault-proxy.ts";
import { killAll, track } from "../fixtures/processes.ts";
import { startS3, type S3Server } from "../fixtures/s3.ts";
import { scratch } from "../fixtures/service.ts";
import { waitFor } from "../fixtures/wait.ts";

afterEach(killAll);
afterAll(killAll);

const BUCKET = "camera-recordings";
const MiB = 1024 * 1024;
const T = Date.UTC(2026, 9, 25, 0, 30, 0, 120);

function s3Storage(endpoint: string, partMiB = 5): S3Storage {
  const config = parseConfig(`[storage]\nendpoint = "${endpoint}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\n[[cameras]]\nid = "cam"\nrtsp_url = "rtsp://h/s"\n`, "t.toml", {});
  return new S3Storage(config.storage, partMiB * MiB);
}

/** A segment file with its own bytes; `startMs` is what tells segments apart. */
function segmentFile(dir: string, startMs: number, body: string | Buffer, cut: "start" | "boundary" = "start"): Segment {
  mkdirSync(dir, { recursive: true });
  const meta = { startMs, durationMs: 4000, configuredSecs: 4, cut } as const;
  const path = join(dir, `${segmentFileName(meta)}.${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, body);
  return { cameraId: "cam", ...meta, path, bytes: Buffer.byteLength(body), finishedMs: startMs + 4000 };
}

interface Backend {
  storage: Storage;
  keys(): Promise<string[]>;
  read(key: string): Promise<Buffer>;
}

const backends: Array<[string, () => Promise<Backend>]> = [
  [
    "filesystem",
    async () => {
      const root = join(scratch(), "storage");
      const storage = new FilesystemStorage(root);
      await storage.prepare();
      const walk = (dir: string, prefix = ""): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
      return { storage, keys: async () => walk(root).sort(), read: async (key) => readFileSync(join(root, key)) };
    },
  ],
  [
    "s3",
    async () => {
      const s3 = await startS3();
      const storage = s3Storage(s3.endpoint);
      await storage.prepare();
      return { storage, keys: () => s3.keys(BUCKET), read: (key) => s3.get(BUCKET, key) };
    },
  ],
];

for (const [name, make] of backends) {
  describe(`${name} backend: a key is never overwritten`, () => {
    test("put: stored on a free key; the same segment again is present; a different one finds it taken and writes nothing", async () => {
      const b = await make();
      const dir = scratch();
      const first = segmentFile(dir, T, "first segment");
      const other = segmentFile(dir, T + 3_600_000, "another segment, same key");
      const object = (s: Segment) => ({ key: "cam/2026-10-25/02-30-00_4s.mp4", file: s.path, bytes: s.bytes, metadata: objectMetadata(s) });
      expect(await b.storage.put(object(first))).toBe("stored");
      expect(await b.storage.put(object(first))).toBe("present");
      expect(await b.storage.put(object(other))).toBe("taken");
      expect(await b.keys()).toEqual(["cam/2026-10-25/02-30-00_4s.mp4"]);
      expect((await b.read("cam/2026-10-25/02-30-00_4s.mp4")).toString()).toBe("first segment");
    });

    test("claims: a different segment with the same key goes to -2, -3; a re-upload finds its own key and writes nothing", async () => {
      const b = await make();
      const claims = new KeyClaims(b.storage, "site/", "Europe/Berlin");
      const dir = scratch();
      // 02:30:00 CEST and 02:30:00 CET: the same local time, an hour apart.
      const a = segmentFile(dir, T, "summer time");
      const c = segmentFile(dir, T + 3_600_000, "winter time");
      const d = segmentFile(dir, T + 3_600_000 + 500, "winter time, same second");
      expect(await claims.store(a)).toEqual({ key: "site/cam/2026-10-25/02-30-00_4s.mp4", copy: 1, written: true });
      expect(await claims.store(c)).toEqual({ key: "site/cam/2026-10-25/02-30-00_4s-2.mp4", copy: 2, written: true });
      expect(await claims.store(d)).toEqual({ key: "site/cam/2026-10-25/02-30-00_4s-3.mp4", copy: 3, written: true });
      expect(await claims.store(c)).toEqual({ key: "site/cam/2026-10-25/02-30-00_4s-2.mp4", copy: 2, written: false });
      expect(await b.keys()).toEqual(["site/cam/2026-10-25/02-30-00_4s-2.mp4", "site/cam/2026-10-25/02-30-00_4s-3.mp4", "site/cam/2026-10-25/02-30-00_4s.mp4"]);
      expect((await b.read("site/cam/2026-10-25/02-30-00_4s.mp4")).toString()).toBe("summer time");
      expect((await b.read("site/cam/2026-10-25/02-30-00_4s-2.mp4")).toString()).toBe("winter time");
    });

    test("claims of one key at the same moment (two uploads in flight) still end on different keys", async () => {
      const b = await make();
      const claims = new KeyClaims(b.storage, "", "UTC");
      const dir = scratch();
      const segments = [0, 1, 2, 3].map((i) => segmentFile(dir, T + i * 100, `segment ${i}`));
      const results = await Promise.all(segments.map((s) => claims.store(s)));
      expect(results.map((r) => r.copy).sort()).toEqual([1, 2, 3, 4]);
      expect((await b.keys()).length).toBe(4);
    });
  });
}

describe("S3 specifics against s3rver", () => {
  let s3: S3Server;

  test("multipart: the key is checked again before CompleteMultipartUpload; taken meanwhile, the upload is aborted", async () => {
    s3 = await startS3();
    const proxy = await startFaultProxy(s3.port, 1000);
    const storage = s3Storage(proxy.endpoint);
    await storage.prepare();
    // Each request held 1 s: the rival, sent directly, lands while the parts go up.
    proxy.mode = "slow";
    const dir = scratch();
    const big = segmentFile(dir, T, Buffer.alloc(12 * MiB, 7));
    const rival = segmentFile(dir, T + 3_600_000, "rival");
    const key = "cam/2026-10-25/02-30-00_4s.mp4";
    // The rival lands once the first part is on its way.
    const rivalStored = waitFor("the first part", () => proxy.requests.some((r) => r.includes("partNumber=1"))).then(() =>
      s3Storage(s3.endpoint).put({ key, file: rival.path, bytes: rival.bytes, metadata: objectMetadata(rival) }),
    );
    const outcome = await storage.put({ key, file: big.path, bytes: big.bytes, metadata: objectMetadata(big) });
    expect(await rivalStored).toBe("stored");
    expect(outcome).toBe("taken");
    expect((await s3.get(BUCKET, key)).toString()).toBe("rival");
    expect(proxy.requests.some((r) => r.startsWith("POST") && r.includes("uploadId=") && !r.includes("partNumber"))).toBe(false); // no complete
    expect(proxy.requests.some((r) => r.startsWith("DELETE") && r.includes("uploadId="))).toBe(true); // aborted
    // The check that found it: a HEAD of the key after the last part.
    const lastPart = proxy.requests.findLastIndex((r) => r.includes("partNumber="));
    expect(proxy.requests.slice(lastPart).some((r) => r.startsWith(`HEAD /${BUCKET}/${key}`))).toBe(true);
    await proxy.stop();
  });

  test("SIGKILL between PUT and commit: the restart finds the same segment under its key, counts it uploaded, writes no -2", async () => {
    s3 = await startS3();
    const dir = scratch();
    const spool = new Spool(join(dir, "spool"));
    await spool.prepare(["cam"]);
    const recording = join(spool.dir("cam", "recording"), "1_4_000001.mp4");
    writeFileSync(recording, "a segment uploaded just before a crash");
    const committed = await spool.commit("cam", recording, { startMs: T, durationMs: 4000, configuredSecs: 4, cut: "boundary" });

    const child = track(Bun.spawn(["bun", join(import.meta.dir, "../fixtures/upload-then-hang.ts"), s3.endpoint, spool.root, BUCKET], { stdout: "pipe", stderr: "inherit", stdin: "ignore" }));
    const put = Promise.withResolvers<string>();
    void forEachLine(child.stdout, (line) => line.startsWith("put ") && put.resolve(line));
    expect(await Promise.race([put.promise, Bun.sleep(60_000).then(() => "timeout")])).toBe("put stored cam/2026-10-25/00-30-00_4s.mp4");
    child.kill("SIGKILL");
    await child.exited;
    expect(readdirSync(spool.dir("cam", "pending"))).toEqual([committed.path.split("/").at(-1)!]);

    const logs: Array<Record<string, unknown>> = [];
    const uploaded: Segment[] = [];
    const uploader = new Uploader({
      storage: s3Storage(s3.endpoint), spool, clock: systemClock,
      log: createLogger({ level: "info", format: "json", write: (l) => logs.push(JSON.parse(l)) }),
      observer: { uploaded: (s) => uploaded.push(s), failed: () => {} },
      upload: parseConfig(`[[cameras]]\nid = "cam"\nrtsp_url = "rtsp://h/s"\n`, "t.toml", {}).upload, keyPrefix: "", timezone: "UTC",
    });
    await uploader.start();
    await waitFor("the segment counted as uploaded", () => uploaded.length === 1);
    uploader.stop();
    expect(await s3.keys(BUCKET)).toEqual(["cam/2026-10-25/00-30-00_4s.mp4"]);
    expect(readdirSync(spool.dir("cam", "pending"))).toEqual([]);
    expect(logs.find((l) => l.msg === "segment was already in storage (uploaded before a restart)")).toMatchObject({ key: "cam/2026-10-25/00-30-00_4s.mp4" });
  });

  test("stop() aborts an upload in flight: it ends at once, and the segment stays pending", async () => {
    s3 = await startS3();
    const proxy = await startFaultProxy(s3.port, 60_000);
    const dir = scratch();
    const spool = new Spool(join(dir, "spool"));
    await spool.prepare(["cam"]);
    const recording = join(spool.dir("cam", "recording"), "1_4_000001.mp4");
    writeFileSync(recording, "x");
    await spool.commit("cam", recording, { startMs: T, durationMs: 4000, configuredSecs: 4, cut: "boundary" });
    const logs: Array<Record<string, unknown>> = [];
    const service = new AbortController();
    const uploader = new Uploader({
      storage: s3Storage(proxy.endpoint), spool, clock: systemClock,
      log: createLogger({ level: "info", format: "json", write: (l) => logs.push(JSON.parse(l)) }),
      observer: { uploaded: () => {}, failed: () => {} },
      upload: parseConfig(`[[cameras]]\nid = "cam"\nrtsp_url = "rtsp://h/s"\n`, "t.toml", {}).upload, keyPrefix: "", timezone: "UTC",
      signal: service.signal,
    });
    await uploader.start();
    proxy.mode = "slow";
    await waitFor("a request held by the proxy", () => proxy.requests.length > 0 && uploader.snapshot().inFlight === 1);
    const aborted = Date.now();
    service.abort();
    await waitFor("the upload given up", () => logs.some((l) => l.msg === "upload cut short by shutdown; the segment stays in the spool"), 10_000);
    expect(Date.now() - aborted).toBeLessThan(10_000);
    expect(uploader.snapshot()).toMatchObject({ segments: 1, inFlight: 0 });
    expect(readdirSync(spool.dir("cam", "pending")).length).toBe(1);
    uploader.stop();
    await proxy.stop();
  });
});

test("filesystem: a temp file is never left behind, also when the copy is aborted", async () => {
  const root = join(scratch(), "storage");
  const storage = new FilesystemStorage(root);
  const dir = scratch();
  const s = segmentFile(dir, T, Buffer.alloc(8 * MiB, 1));
  const controller = new AbortController();
  controller.abort(new Error("shutdown"));
  await expect(storage.put({ key: "cam/x.mp4", file: s.path, bytes: s.bytes, metadata: objectMetadata(s) }, controller.signal)).rejects.toThrow("shutdown");
  expect(existsSync(join(root, "cam/x.mp4"))).toBe(false);
  expect(readdirSync(join(root, "cam"))).toEqual([]);
});

test("S3 credentials that may write but not read (HEAD answers 403): uploads still go up, under the condition alone", async () => {
  const s3 = await startS3();
  // In front of s3rver: HEAD of an object answers 403, as AWS does without s3:GetObject.
  const front = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      const url = new URL(req.url);
      if (req.method === "HEAD" && url.pathname.split("/").filter(Boolean).length > 1) return new Response(null, { status: 403 });
      return fetch(`${s3.endpoint}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body: req.body, redirect: "manual" });
    },
  });
  try {
    const storage = s3Storage(`http://127.0.0.1:${front.port}`);
    await storage.prepare();
    const s = segmentFile(scratch(), T, "write-only");
    expect(await storage.put({ key: "cam/a.mp4", file: s.path, bytes: s.bytes, metadata: objectMetadata(s) })).toBe("stored");
    expect((await s3.get(BUCKET, "cam/a.mp4")).toString()).toBe("write-only");
  } finally {
    front.stop(true);
  }
});
