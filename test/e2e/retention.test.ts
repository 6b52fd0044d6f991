import { afterAll, afterEach, expect, test } from "bun:test";
import { startFakeCamera } from "../fixtures/camera.ts";
import { parseExposition } from "../fixtures/exposition.ts";
import { killAll } from "../fixtures/processes.ts";
import { startS3, storedSegments } from "../fixtures/s3.ts";
import { scratch, startService } from "../fixtures/service.ts";
import { waitFor } from "../fixtures/wait.ts";
import { DAY, HOUR, seedS3, segmentsOf } from "../retention/seed.ts";

afterEach(killAll);
afterAll(killAll);

const BUCKET = "camera-recordings";

test("the service prunes storage at start while it records: 40 days seeded, 30 kept, every recorded segment stored", async () => {
  const s3 = await startS3();
  // The newest seeded segment starts 10 min ago: its 15 minutes end after now, so the 30-day window
  // keeps 241 of them whether the first run counts back from it or from a segment just recorded.
  const newest = Date.now() - 10 * 60_000;
  const seeded = segmentsOf("cam", "", newest, 320, 3 * HOUR);
  await seedS3(s3, BUCKET, seeded, "cam");
  const keep = seeded.filter((s) => s.startMs >= newest - 30 * DAY);
  expect(keep.length).toBe(241);

  const cam = await startFakeCamera();
  const dir = scratch();
  const service = await startService(dir, `[storage]\nendpoint = "${s3.endpoint}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\n[recording]\ntemp_dir = "${dir}/spool"\n[retention]\ndays = 30\ninterval_minutes = 1\n[[cameras]]\nid = "cam"\nrtsp_url = "${cam.url()}"\nsegment_duration_secs = 2\n`);

  const line = await service.waitForLog("the start-up retention run", (l) => l.msg.startsWith("retention: deleted"));
  expect(line).toMatchObject({ level: "info", camera_id: "cam", msg: "retention: deleted 79 segment(s), 7900 bytes from storage", deleted_segments: 79, oldest_kept: keep[0]!.key });
  const metrics = parseExposition((await service.get("/metrics")).text).samples;
  const value = (name: string) => metrics.find((s) => s.name === name && (s.labels.camera_id ?? "cam") === "cam")?.value;
  expect(value("camera_retention_deleted_segments_total")).toBe(79);
  expect(value("camera_retention_deleted_bytes_total")).toBe(7900);
  expect(value("camera_storage_bytes")).toBeGreaterThanOrEqual(24_100);
  expect(Math.abs(value("camera_recorder_retention_last_run_timestamp_seconds")! - Date.now() / 1000)).toBeLessThan(120);

  // Record on: the pruner never touches what the recorder writes.
  await waitFor("four recorded segments stored", async () => (await storedSegments(s3, BUCKET)).length >= 241 + 4, 60_000);
  service.signal("SIGTERM");
  expect(await service.proc.exited).toBe(0);
  const keys = await s3.keys(BUCKET);
  const seededKeys = new Set(seeded.map((s) => s.key));
  expect(keys.filter((k) => seededKeys.has(k))).toEqual(keep.map((s) => s.key).sort());
  // Every segment recorded was uploaded, and every upload is still there.
  const recorded = service.logs.filter((l) => l.msg === "segment recorded" && l.camera_id === "cam");
  // A segment whose time's key another one holds is stored under -2 (upload/claim-key.ts): still one upload each.
  const uploaded = service.logs.filter((l) => l.msg === "segment uploaded" || l.msg.startsWith("segment uploaded under a numbered key")).map((l) => l.key as string);
  for (const key of keys.filter((k) => /-\d+\.mp4$/.test(k))) {
    const base = key.replace(/-\d+\.mp4$/, ".mp4");
    console.log(`numbered key ${key}: start ${(await s3.head(BUCKET, key)).Metadata?.start}; ${base}: start ${(await s3.head(BUCKET, base)).Metadata?.start}`);
  }
  expect(recorded.length).toBeGreaterThanOrEqual(4);
  expect(uploaded.length).toBe(recorded.length);
  expect(keys.filter((k) => !seededKeys.has(k))).toEqual([...uploaded].sort());
  expect(service.logs.find((l) => l.msg.startsWith("shutdown complete"))!.msg).toContain("nothing left to upload");
});

test("the service with its clock 3 years ahead (libfaketime): its future-dated segments do not move the window; nothing kept is deleted", async () => {
  const s3 = await startS3(); // s3rver keeps the real time: its LastModified bounds the window
  const newest = Date.now() - 10 * 60_000;
  const seeded = segmentsOf("cam", "", newest, 320, 3 * HOUR);
  await seedS3(s3, BUCKET, seeded, "cam");
  const keep = seeded.filter((s) => s.startMs >= newest - 30 * DAY);
  const cam = await startFakeCamera();
  const dir = scratch();
  const service = await startService(
    dir,
    `[storage]\nendpoint = "${s3.endpoint}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\n[recording]\ntemp_dir = "${dir}/spool"\n[retention]\ndays = 30\ninterval_minutes = 1\n[[cameras]]\nid = "cam"\nrtsp_url = "${cam.url()}"\nsegment_duration_secs = 2\n`,
    { LD_PRELOAD: "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", FAKETIME: "+3y" },
  );
  const lastRun = async () => parseExposition((await service.get("/metrics")).text).samples.find((s) => s.name === "camera_recorder_retention_last_run_timestamp_seconds")?.value ?? 0;
  // S3 refuses the first requests signed 3 years ahead (RequestTimeTooSkewed); the SDK then corrects
  // its signing clock from the server's Date, and uploads go on with keys dated 3 years ahead.
  const year = new Date().getUTCFullYear() + 3;
  await waitFor("future-dated segments stored", async () => (await s3.keys(BUCKET)).filter((k) => k.startsWith(`cam/${year}-`)).length >= 2, 90_000);
  // Two more completed runs: the second began after those segments were stored.
  const before = await lastRun();
  const next = await waitFor("a completed retention run", async () => ((await lastRun()) > before ? lastRun() : undefined), 150_000);
  expect(new Date(next * 1000).getUTCFullYear()).toBe(year);
  await waitFor("another completed retention run", async () => (await lastRun()) > next, 150_000);
  service.signal("SIGTERM");
  expect(await service.proc.exited).toBe(0);
  const keys = await s3.keys(BUCKET);
  const seededKeys = new Set(seeded.map((s) => s.key));
  expect(keys.filter((k) => seededKeys.has(k))).toEqual(keep.map((s) => s.key).sort());
  // A segment whose time's key another one holds is stored under -2 (upload/claim-key.ts): still one upload each.
  const uploaded = service.logs.filter((l) => l.msg === "segment uploaded" || l.msg.startsWith("segment uploaded under a numbered key")).map((l) => l.key as string);
  for (const key of keys.filter((k) => /-\d+\.mp4$/.test(k))) {
    const base = key.replace(/-\d+\.mp4$/, ".mp4");
    console.log(`numbered key ${key}: start ${(await s3.head(BUCKET, key)).Metadata?.start}; ${base}: start ${(await s3.head(BUCKET, base)).Metadata?.start}`);
  }
  expect(keys.filter((k) => !seededKeys.has(k))).toEqual([...uploaded].sort());
  expect(service.logs.filter((l) => l.msg.startsWith("retention: deleted")).length).toBe(1);
}, 420_000);

