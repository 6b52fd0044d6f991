import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { systemClock } from "../../src/clock.ts";
import { parseConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { segmentFileName, type Segment } from "../../src/spool/segment.ts";
import { Spool } from "../../src/spool/spool.ts";
import { objectKey } from "../../src/upload/key.ts";
import { S3Storage } from "../../src/upload/s3.ts";
import { Uploader } from "../../src/upload/uploader.ts";
import { startFaultProxy, type FaultProxy } from "../fixtures/fault-proxy.ts";
import { killAll } from "../fixtures/processes.ts";
import { startS3, type S3Server } from "../fixtures/s3.ts";
import { scratch } from "../fixtures/service.ts";
import { freePort, waitFor } from "../fixtures/wait.ts";

afterEach(killAll);
afterAll(killAll);

const BUCKET = "camera-recordings";
const MiB = 1024 * 1024;

function storageConfig(endpoint: string, maxConcurrent: number) {
  const text = `[storage]\nendpoint = "${endpoint}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\nkey_prefix = "site-a/"\n[upload]\nmax_concurrent = ${maxConcurrent}\nretry_backoff_secs = 1\nmax_retries = 2\npart_size_mb = 5\n[[cameras]]\nid = "cam"\nrtsp_url = "rtsp://h/s"\nsegment_duration_secs = 10\n`;
  return parseConfig(text, "test.toml", {});
}

/** Writes `count` segment files of `bytes` each into the spool's pending state, as the recorder would. */
function spoolWith(dir: string, count: number, bytes: number, firstStartMs = Date.UTC(2025, 11, 13, 14, 30, 0)): { spool: Spool; files: Map<string, Buffer> } {
  const spool = new Spool(join(dir, "spool"));
  const pending = spool.dir("cam", "pending");
  mkdirSync(pending, { recursive: true });
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const startMs = firstStartMs + i * 10_000;
    const body = Buffer.alloc(bytes, i + 1);
    body.write(`segment ${i}`);
    writeFileSync(join(pending, segmentFileName({ startMs, durationMs: 10_000, configuredSecs: 10, cut: "boundary" })), body);
    files.set(objectKey({ cameraId: "cam", startMs, cut: "boundary", configuredSecs: 10 }, "site-a/", "UTC"), body);
  }
  return { spool, files };
}

function uploaderFor(spool: Spool, endpoint: string, events: { uploaded: Segment[]; failed: Segment[] }, maxConcurrent = 2) {
  const config = storageConfig(endpoint, maxConcurrent);
  return new Uploader({
    storage: new S3Storage(config.storage, config.upload.part_size_mb * MiB),
    spool,
    clock: systemClock,
    log: createLogger({ level: process.env.TEST_LOG ? "debug" : "error", format: "json", write: (l) => process.env.TEST_LOG && process.stderr.write(l) }),
    observer: { uploaded: (s) => events.uploaded.push(s), failed: (s) => events.failed.push(s) },
    upload: config.upload,
    keyPrefix: config.storage.key_prefix,
    timezone: "UTC",
  });
}

describe("S3 upload against a real S3 server", () => {
  let s3: S3Server;
  let proxy: FaultProxy;

  test("key, content type and metadata; a file over the part size goes multipart, byte-identical; no aws-chunked checksums, Content-MD5 on every PUT", async () => {
    s3 = await startS3();
    proxy = await startFaultProxy(s3.port);
    const dir = scratch();
    const { spool, files } = spoolWith(dir, 2, 0);
    // One small segment and one of 12 MiB: three 5 MiB parts.
    const big = Buffer.alloc(12 * MiB);
    for (let i = 0; i < big.length; i += 997) big[i] = i % 251;
    const [smallKey, bigKey] = [...files.keys()];
    writeFileSync(readdirSync(spool.dir("cam", "pending")).map((n) => join(spool.dir("cam", "pending"), n)).sort()[1]!, big);
    files.set(bigKey!, big);
    const events = { uploaded: [] as Segment[], failed: [] as Segment[] };
    const uploader = uploaderFor(spool, proxy.endpoint, events);
    await uploader.start();
    await waitFor("both uploaded", () => events.uploaded.length === 2);
    uploader.stop();

    expect(await s3.keys(BUCKET)).toEqual([smallKey!, bigKey!]);
    expect(smallKey).toBe("site-a/cam/2025-12-13/14-30-00_10s.mp4");
    const head = await s3.head(BUCKET, smallKey!);
    expect(head.ContentType).toBe("video/mp4");
    expect(head.Metadata).toEqual({ "camera-id": "cam", start: "2025-12-13T14:30:00.000Z", "duration-secs": "10.000" });
    expect((await s3.get(BUCKET, bigKey!)).equals(big)).toBe(true);
    expect((await s3.get(BUCKET, smallKey!)).equals(files.get(smallKey!)!)).toBe(true);

    const puts = proxy.requests.filter((r) => r.startsWith("PUT /camera-recordings/site-a/"));
    expect(puts.length).toBe(1 + 3); // one whole PUT, three parts
    // A conditional write, for servers that honour it (s3rver ignores it: the HEAD before covers that).
    expect(puts.filter((p) => !p.includes("partNumber=")).map((p) => p.toLowerCase().includes("if-none-match: *"))).toEqual([true]);
    for (const put of puts) {
      expect(put.toLowerCase()).toContain("content-md5:");
      expect(put.toLowerCase()).not.toContain("aws-chunked");
      expect(put.toLowerCase()).not.toContain("x-amz-checksum-");
      expect(put.toLowerCase()).not.toContain("x-amz-sdk-checksum-algorithm");
    }
    expect(proxy.requests.some((r) => r.startsWith("POST /camera-recordings/site-a/cam/") && r.includes("?uploads"))).toBe(true);
    // Confirmed segments leave `pending` for `uploaded`.
    expect(readdirSync(spool.dir("cam", "pending"))).toEqual([]);
    expect(readdirSync(spool.dir("cam", "uploaded")).length).toBe(2);
    await proxy.stop();
  });

  test("storage down at start: segments wait in the spool and go up when it returns", async () => {
    const port = freePort();
    const dir = scratch();
    const { spool, files } = spoolWith(dir, 3, 1000);
    const events = { uploaded: [] as Segment[], failed: [] as Segment[] };
    const uploader = uploaderFor(spool, `http://127.0.0.1:${port}`, events, 1);
    await uploader.start();
    await waitFor("a failed attempt", () => uploader.snapshot().lastError);
    expect(uploader.snapshot().lastError).toContain("cannot reach bucket camera-recordings");
    expect(readdirSync(spool.dir("cam", "pending")).length).toBe(3);
    s3 = await startS3({ port });
    await waitFor("all three uploaded", () => events.uploaded.length === 3, 30_000);
    uploader.stop();
    expect(await s3.keys(BUCKET)).toEqual([...files.keys()]);
    // Oldest first (one at a time here, so finishing order is starting order).
    expect(events.uploaded.map((s) => s.startMs)).toEqual([...events.uploaded.map((s) => s.startMs)].sort());
  });

  test("500s and reset connections: retried with the backoff, after max_retries counted, each stored once, nothing deleted early", async () => {
    s3 = await startS3();
    proxy = await startFaultProxy(s3.port);
    const dir = scratch();
    const { spool, files } = spoolWith(dir, 4, 2000);
    const events = { uploaded: [] as Segment[], failed: [] as Segment[] };
    proxy.mode = "error500";
    const uploader = uploaderFor(spool, proxy.endpoint, events);
    const started = Date.now();
    await uploader.start();
    // 1 attempt + 2 retries (1 s, 2 s apart) exhaust a round: counted once, kept.
    await waitFor("a round of retries exhausted", () => events.failed.length >= 1, 30_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    expect(uploader.snapshot().lastError).toContain("HTTP 500");
    expect(readdirSync(spool.dir("cam", "pending")).length).toBe(4);
    proxy.mode = "reset";
    await waitFor("an attempt on a reset connection", () => proxy.requests.length > 3 && uploader.snapshot().lastError && !uploader.snapshot().lastError!.includes("HTTP 500"), 30_000);
    expect(readdirSync(spool.dir("cam", "pending")).length).toBe(4);
    proxy.mode = "pass";
    await waitFor("all four uploaded", () => events.uploaded.length === 4, 60_000);
    uploader.stop();
    expect(await s3.keys(BUCKET)).toEqual([...files.keys()]);
    for (const [key, body] of files) expect((await s3.get(BUCKET, key)).equals(body)).toBe(true);
    expect(new Set(events.uploaded.map((s) => s.path)).size).toBe(4);
    await proxy.stop();
  });

  test("a missing file is reported and dropped, not retried forever", async () => {
    s3 = await startS3();
    const dir = scratch();
    const { spool } = spoolWith(dir, 1, 10);
    const events = { uploaded: [] as Segment[], failed: [] as Segment[] };
    const uploader = uploaderFor(spool, s3.endpoint, events);
    const [pending] = await spool.pending();
    uploader.enqueue({ ...pending!, path: join(dir, "gone.mp4") });
    await uploader.start();
    await waitFor("the real one uploaded", () => events.uploaded.length === 1);
    await waitFor("the queue empty", () => uploader.snapshot().segments === 0);
    uploader.stop();
    expect(existsSync(join(dir, "gone.mp4"))).toBe(false);
  });
});
