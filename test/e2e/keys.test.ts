import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { parseSegmentFileName } from "../../src/spool/segment.ts";
import { objectKey } from "../../src/upload/key.ts";
import { startFakeCamera, type FakeCamera } from "../fixtures/camera.ts";
import { fakeTimeEnv } from "../fixtures/faketime.ts";
import { killAll } from "../fixtures/processes.ts";
import { startS3 } from "../fixtures/s3.ts";
import { scratch, startService } from "../fixtures/service.ts";
import { freePort, waitFor } from "../fixtures/wait.ts";

afterEach(killAll);
afterAll(killAll);

const BUCKET = "camera-recordings";
const md5 = (data: Uint8Array) => createHash("md5").update(data).digest("hex");

type Backend = "filesystem" | "s3";

function config(dir: string, tempDir: string, backend: Backend, s3Port: number, url: string, timezone: string, segmentSecs: number): string {
  const storage = backend === "filesystem"
    ? `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n`
    : `[storage]\nendpoint = "http://127.0.0.1:${s3Port}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\n`;
  return `${storage}[recording]\ntemp_dir = "${tempDir}"\nstall_timeout_secs = 3\ntimezone = "${timezone}"\n[[cameras]]\nid = "cam"\nrtsp_url = "${url}"\nsegment_duration_secs = ${segmentSecs}\n`;
}

/** Every stored object of camera `cam`: key (relative to the camera) and the md5 of its bytes. */
async function stored(dir: string, backend: Backend, s3Port: number, s3Dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (backend === "filesystem") {
    const root = join(dir, "store", "cam");
    for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (e.isFile() && !e.name.startsWith(".")) out.set(join(e.parentPath, e.name).slice(root.length + 1), md5(readFileSync(join(e.parentPath, e.name))));
    }
    return out;
  }
  const s3 = await startS3({ port: s3Port, directory: s3Dir });
  try {
    for (const key of await s3.keys(BUCKET)) out.set(key.slice("cam/".length), md5(await s3.get(BUCKET, key)));
  } finally {
    await s3.stop();
  }
  return out;
}

/**
 * One run of the binary with the wall clock at `atMs` (libfaketime), until `segments` segments are
 * recorded; SIGTERM then finalizes the last one and uploads everything. Returns the md5 of each
 * segment it recorded (from the spool's uploaded state, where every confirmed segment is kept).
 */
async function runAt(atMs: number, o: { dir: string; tempDir: string; backend: Backend; s3Port: number; s3Dir: string; cam: FakeCamera; timezone: string; segments: number }): Promise<{ sums: string[]; keys: string[] }> {
  const env = fakeTimeEnv(atMs);
  const s3 = o.backend === "s3" ? await startS3({ port: o.s3Port, directory: o.s3Dir, env }) : undefined;
  const uploaded = join(o.tempDir, "cam", "uploaded");
  // This run's segments only (a run an hour earlier on the same spool left its own there).
  const before = new Set(existsSync(uploaded) ? readdirSync(uploaded) : []);
  try {
    const service = await startService(o.dir, config(o.dir, o.tempDir, o.backend, o.s3Port, o.cam.url(), o.timezone, 4), env);
    await waitFor(`${o.segments} segments recorded`, () => service.logs.filter((l) => l.msg === "segment recorded").length >= o.segments, 90_000);
    // The fake clock reached ffmpeg and the service: the first segment starts within a minute of atMs.
    const first = service.logs.find((l) => l.msg === "segment recorded")!;
    expect(Math.abs(Date.parse(String(first.start)) - atMs)).toBeLessThan(60_000);
    service.signal("SIGTERM");
    expect(await service.proc.exited).toBe(0);
    const recorded = service.logs.filter((l) => l.msg === "segment recorded").length;
    const names = readdirSync(uploaded).filter((n) => !before.has(n));
    expect(names.length).toBe(recorded);
    // The plain key each segment asks for (before the storage numbers a taken one).
    const keys = names.map((n) => objectKey({ cameraId: "cam", ...parseSegmentFileName(n)! }, "", o.timezone).slice("cam/".length));
    return { sums: names.map((n) => md5(readFileSync(join(uploaded, n)))), keys };
  } finally {
    await s3?.stop();
  }
}

/** Every recorded segment stored byte for byte (none replaced another); each key both runs asked for numbered `-2` once. */
async function expectAllStored(what: string, objects: Map<string, string>, first: { sums: string[]; keys: string[] }, second: { sums: string[]; keys: string[] }) {
  const numbered = [...objects.keys()].filter((k) => /-\d+\.mp4$/.test(k));
  console.log(`[keys] ${what}: recorded ${first.sums.length + second.sums.length}, stored ${objects.size}, numbered ${numbered.length}`);
  expect([...objects.values()].sort()).toEqual([...first.sums, ...second.sums].sort());
  const shared = second.keys.filter((k) => first.keys.includes(k));
  // The runs overlap in wall-clock time, so the test does exercise a collision.
  expect(shared.length).toBeGreaterThanOrEqual(1);
  expect(numbered.sort()).toEqual(shared.map((k) => k.replace(/\.mp4$/, "-2.mp4")).sort());
}

for (const backend of ["filesystem", "s3"] as const) {
  describe(`${backend}: two segments never overwrite each other, whatever the clock does`, () => {
    test("Europe/Berlin, the night clocks go back: 02:30 CEST, then 02:30 CET; every segment stored, the later ones under -2", async () => {
      const cam = await startFakeCamera();
      const dir = scratch();
      const o = { dir, tempDir: join(dir, "spool"), backend, s3Port: freePort(), s3Dir: scratch("s3-"), cam, timezone: "Europe/Berlin", segments: 3 };
      const cest = await runAt(Date.parse("2026-10-25T00:30:00Z"), o);
      const cet = await runAt(Date.parse("2026-10-25T01:30:00Z"), o);
      await expectAllStored(`${backend} Berlin fall-back`, await stored(dir, backend, o.s3Port, o.s3Dir), cest, cet);
    });

    test("UTC, the clock set back to the same second with an empty spool: every segment stored, the later ones under -2", async () => {
      const cam = await startFakeCamera();
      const dir = scratch();
      const o = { dir, tempDir: join(dir, "spool-1"), backend, s3Port: freePort(), s3Dir: scratch("s3-"), cam, timezone: "UTC", segments: 3 };
      const at = Date.parse("2026-03-01T12:00:00Z");
      const first = await runAt(at, o);
      const second = await runAt(at, { ...o, tempDir: join(dir, "spool-2") });
      await expectAllStored(`${backend} UTC set back`, await stored(dir, backend, o.s3Port, o.s3Dir), first, second);
    });
  });
}

test("5 s segments recorded for 30 s: every key after the first names a multiple of 5 s", async () => {
  const cam = await startFakeCamera();
  const dir = scratch();
  const service = await startService(dir, config(dir, join(dir, "spool"), "filesystem", 0, cam.url(), "UTC", 5));
  await waitFor("30 s recorded", () => service.logs.filter((l) => l.msg === "segment recorded").length >= 6, 120_000);
  service.signal("SIGTERM");
  expect(await service.proc.exited).toBe(0);
  const keys = [...(await stored(dir, "filesystem", 0, "")).keys()].sort();
  expect(keys.length).toBeGreaterThanOrEqual(7);
  const seconds = keys.map((k) => Number(/(\d\d)-(\d\d)_5s\.mp4$/.exec(k)![2]));
  console.log(`[keys] 5 s segments: ${keys.join(" ")}`);
  for (const s of seconds.slice(1)) expect(s % 5).toBe(0);
  for (const key of keys) expect(key).toMatch(/^\d{4}-\d\d-\d\d\/\d\d-\d\d-\d\d_5s\.mp4$/);
});
