import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeleteObjectsCommand, S3Client } from "@aws-sdk/client-s3";
import { systemClock } from "../../src/clock.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { createLogger } from "../../src/log.ts";
import { createPruner } from "../../src/retention/create-pruner.ts";
import type { RetentionObserver } from "../../src/retention/pruner.ts";
import { createStorage } from "../../src/upload/create-storage.ts";
import { S3Storage } from "../../src/upload/s3.ts";
import { segmentFileName } from "../../src/spool/segment.ts";
import { Spool } from "../../src/spool/spool.ts";
import { startFaultProxy } from "../fixtures/fault-proxy.ts";
import { killAll } from "../fixtures/processes.ts";
import { startS3, type S3Server } from "../fixtures/s3.ts";
import { scratch } from "../fixtures/service.ts";
import { DAY, HOUR, seedFiles, seedS3, segmentsOf, type Seeded } from "./seed.ts";
import { strictS3Front } from "./strict-s3.ts";

afterEach(killAll);
afterAll(killAll);

const BUCKET = "camera-recordings";
const quietLog = createLogger({ level: "error", format: "json", write: () => {} });

function s3Config(endpoint: string, retention: string): Config {
  return parseConfig(
    `[storage]\nendpoint = "${endpoint}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\nkey_prefix = "site-a/"\n[retention]\n${retention}\n[[cameras]]\nid = "cam-1"\nrtsp_url = "rtsp://h/s"\n`,
    "test.toml",
    {},
  );
}

function recordingObserver() {
  const events = { deleted: [0, 0], stored: -1, runs: 0 };
  const observer: RetentionObserver = {
    retentionDeleted: (_id, n, b) => ((events.deleted[0]! += n), (events.deleted[1]! += b)),
    storageBytes: (_id, b) => (events.stored = b),
    retentionRunCompleted: () => events.runs++,
  };
  return { events, observer };
}

/** Objects the pruner of camera "cam-1" with key_prefix "site-a/" must never touch, all 35 days old. */
function strangers(oldMs: number): Seeded[] {
  const old = segmentsOf("cam-1", "site-a/", oldMs, 1, HOUR)[0]!;
  const day = old.key.split("/")[2];
  return [
    ...segmentsOf("cam-10", "site-a/", oldMs, 3, HOUR), // an id of which cam-1 is a prefix
    { key: "site-a/cam-1/notes.txt", startMs: oldMs, bytes: 5 },
    { key: `site-a/cam-1/${day}/notes.txt`, startMs: oldMs, bytes: 5 },
    { key: old.key.replace("site-a/", "site-b/"), startMs: oldMs, bytes: 5 }, // another key_prefix
    { key: old.key.replace("site-a/", ""), startMs: oldMs, bytes: 5 }, // no key_prefix
  ];
}

describe("retention against s3rver", () => {
  let s3: S3Server;

  test("days = 30 over 40 days of segments keeps exactly the last 30 days; nothing else in the bucket is touched; DeleteObjects carries Content-MD5", async () => {
    s3 = await startS3();
    const front = strictS3Front(s3.endpoint);
    const newest = Date.now() - HOUR;
    const segments = segmentsOf("cam-1", "site-a/", newest, 320, 3 * HOUR);
    const others = strangers(newest - 35 * DAY);
    await seedS3(s3, BUCKET, [...segments, ...others], "cam-1");
    const { events, observer } = recordingObserver();
    const config = s3Config(front.endpoint, "days = 30");
    const [outcome] = await createPruner(config, createStorage(config), systemClock, quietLog, observer).runOnce();

    const keep = segments.filter((s) => s.startMs >= newest - 30 * DAY);
    expect(keep.length).toBe(241);
    expect(outcome!.error).toBeUndefined();
    expect(outcome!.removed).toEqual({ segments: 79, bytes: 7900 });
    expect(outcome!.oldestKept!.key).toBe(keep[0]!.key);
    expect(await s3.keys(BUCKET)).toEqual([...keep, ...others].map((s) => s.key).sort());
    expect(events).toEqual({ deleted: [79, 7900], stored: 24_100, runs: 1 });
    expect(front.deletes).toEqual([{ keys: 79, md5: expect.any(String) }]);

    // A second run finds nothing more.
    const [again] = await createPruner(config, createStorage(config), systemClock, quietLog).runOnce();
    expect(again!.removed.segments).toBe(0);
    front.stop();
  });

  test("DeleteObjects goes in batches of at most 1,000 keys, each with its Content-MD5; without it a strict server refuses", async () => {
    s3 = await startS3();
    const front = strictS3Front(s3.endpoint);
    const config = s3Config(front.endpoint, "");
    await seedS3(s3, BUCKET, [{ key: "batch/kept", startMs: 0, bytes: 1 }, { key: "batch/gone", startMs: 0, bytes: 1 }], "cam-1");
    const keys = [...Array.from({ length: 2499 }, (_, i) => `batch/missing-${i}`), "batch/gone"];
    await new S3Storage(config.storage, 5 * 1024 * 1024).remove(keys);
    expect(front.deletes.map((d) => d.keys)).toEqual([1000, 1000, 500]);
    expect((await s3.keys(BUCKET)).filter((k) => k.startsWith("batch/"))).toEqual(["batch/kept"]);

    // What the check guards against: the SDK on its own, as configured, sends no Content-MD5.
    const bare = new S3Client({ endpoint: front.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }, requestChecksumCalculation: "WHEN_REQUIRED" });
    const refused = await bare.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: "batch/kept" }] } })).catch((e: Error) => e);
    expect((refused as Error).message).toBe("Missing required header for this request: Content-Md5.");
    front.stop();
  });

  test("max_gb (fractional) keeps the newest segments that fit", async () => {
    s3 = await startS3();
    // 21,500 bytes: 21 of the 1,000-byte segments fit. A prefix of its own in the bucket.
    const base = s3Config(s3.endpoint, `max_gb = ${(21_500 / 1024 ** 3).toFixed(12)}`);
    const config = { ...base, storage: { ...base.storage, key_prefix: "cap/" } };
    const capped = segmentsOf("cam-1", "cap/", Date.now() - HOUR, 60, HOUR, 1000);
    await seedS3(s3, BUCKET, capped, "cam-1");
    const [outcome] = await createPruner(config, createStorage(config), systemClock, quietLog).runOnce();
    expect(outcome!.removed).toEqual({ segments: 39, bytes: 39_000 });
    expect((await s3.keys(BUCKET)).filter((k) => k.startsWith("cap/"))).toEqual(capped.slice(-21).map((s) => s.key));
  });

  test("a listing that fails deletes nothing; the next run (storage back) does", async () => {
    s3 = await startS3();
    const proxy = await startFaultProxy(s3.port);
    const base = s3Config(proxy.endpoint, "days = 1");
    const config = { ...base, storage: { ...base.storage, key_prefix: "flaky/" } };
    const segments = segmentsOf("cam-1", "flaky/", Date.now() - HOUR, 30, HOUR);
    await seedS3(s3, BUCKET, segments, "cam-1");
    const { events, observer } = recordingObserver();
    const pruner = createPruner(config, createStorage(config), systemClock, quietLog, observer);
    proxy.mode = "error500";
    const [failed] = await pruner.runOnce();
    expect(failed!.error).toStartWith("cannot list storage: cannot list camera-recordings/flaky/cam-1/: ");
    expect(failed!.error).toContain("HTTP 500");
    expect((await s3.keys(BUCKET)).filter((k) => k.startsWith("flaky/")).length).toBe(30);
    expect(events.runs).toBe(0);
    proxy.mode = "pass";
    const [ok] = await pruner.runOnce();
    expect(ok!.removed.segments).toBe(5);
    expect(events.runs).toBe(1);
    await proxy.stop();
  });
});

test("retention against s3rver: a listing whose second page fails deletes nothing, not even from the first page; the next run does it all", async () => {
  const s3 = await startS3();
  const front = strictS3Front(s3.endpoint);
  const base = s3Config(front.endpoint, "days = 1");
  const config = { ...base, storage: { ...base.storage, key_prefix: "" } };
  // 1,200 hourly segments: the first page (1,000 keys, oldest first) is all older than a day.
  const segments = segmentsOf("cam-1", "", Date.now() - HOUR, 1200, HOUR);
  await seedS3(s3, BUCKET, segments, "cam-1");
  const { events, observer } = recordingObserver();
  const pruner = createPruner(config, createStorage(config), systemClock, quietLog, observer);
  front.control.failNextPages = true;
  const [failed] = await pruner.runOnce();
  expect(failed!.error).toStartWith("cannot list storage: cannot list camera-recordings/cam-1/: InternalError, HTTP 500");
  expect(front.deletes).toEqual([]);
  const all = [];
  for await (const o of createStorage(s3Config(s3.endpoint, "")).list("cam-1/")) all.push(o.key);
  expect(all).toEqual(segments.map((s) => s.key));
  expect(events).toEqual({ deleted: [0, 0], stored: -1, runs: 0 });
  front.control.failNextPages = false;
  const [ok] = await pruner.runOnce();
  expect(ok!.error).toBeUndefined();
  expect(ok!.removed.segments).toBe(1200 - 25);
  expect(ok!.kept.segments).toBe(25);
  expect(events.runs).toBe(1);
  front.stop();
});

describe("retention on the filesystem backend", () => {
  test("days = 30 keeps exactly the last 30 days, removes emptied date folders, leaves everything else and files mid-write alone", async () => {
    const dir = scratch();
    const root = join(dir, "store");
    const newest = Date.now() - HOUR;
    const segments = segmentsOf("cam-1", "site-a/", newest, 320, 3 * HOUR);
    const others = strangers(newest - 35 * DAY);
    seedFiles(root, [...segments, ...others]);
    // A put under way: its temp file in a folder of its own, "newer" than anything (a clock ahead).
    const future = segmentsOf("cam-1", "site-a/", newest + 365 * DAY, 1, HOUR)[0]!.key;
    const temp = join(root, future.replace(/([^/]+)$/, ".$1.4242.tmp"));
    mkdirSync(join(temp, ".."), { recursive: true });
    writeFileSync(temp, "half");
    const config = parseConfig(`[storage]\ntype = "filesystem"\npath = "${root}"\nkey_prefix = "site-a/"\n[retention]\ndays = 30\n[[cameras]]\nid = "cam-1"\nrtsp_url = "rtsp://h/s"\n`, "t.toml", {});
    const [outcome] = await createPruner(config, createStorage(config), systemClock, quietLog).runOnce();

    const keep = segments.filter((s) => s.startMs >= newest - 30 * DAY);
    expect(outcome!.removed.segments).toBe(79);
    expect(outcome!.oldestKept!.key).toBe(keep[0]!.key);
    const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();
    expect(files).toEqual([...keep.map((s) => s.key), ...others.map((s) => s.key), temp.slice(root.length + 1)].sort());
    // Date folders: the deleted days are gone, except the one that holds notes.txt.
    const days = readdirSync(join(root, "site-a/cam-1"), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    const expectedDays = new Set([...keep, ...others.filter((o) => o.key.startsWith("site-a/cam-1/2"))].map((s) => s.key.split("/")[2]!));
    expectedDays.add(future.split("/")[2]!);
    expect(days).toEqual([...expectedDays].sort());
    expect(existsSync(root)).toBe(true);
  });

  test("segments waiting in the spool are neither counted nor touched: storage 10 days behind keeps its last day", async () => {
    const dir = scratch();
    const root = join(dir, "store");
    // Storage got nothing for 10 days (it was down); the spool holds what waits for upload, up to now.
    const stored = segmentsOf("cam-1", "", Date.now() - 10 * DAY, 72, HOUR);
    seedFiles(root, stored);
    const spool = new Spool(join(dir, "spool"));
    mkdirSync(spool.dir("cam-1", "pending"), { recursive: true });
    const pending = Array.from({ length: 5 }, (_, i) => Date.now() - i * HOUR).map((startMs) => join(spool.dir("cam-1", "pending"), segmentFileName({ cut: "start", startMs, durationMs: 900_000, configuredSecs: 900 })));
    for (const file of pending) writeFileSync(file, "waiting");
    const config = parseConfig(`[storage]\ntype = "filesystem"\npath = "${root}"\n[recording]\ntemp_dir = "${dir}/spool"\n[retention]\ndays = 1\n[[cameras]]\nid = "cam-1"\nrtsp_url = "rtsp://h/s"\n`, "t.toml", {});
    const [outcome] = await createPruner(config, createStorage(config), systemClock, quietLog).runOnce();
    // Counted back from the newest stored segment, not from the spool's (or now): 25 hours kept.
    expect(outcome!.kept.segments).toBe(25);
    expect(outcome!.removed.segments).toBe(72 - 25);
    for (const file of pending) expect(existsSync(file)).toBe(true);
    expect(readdirSync(spool.dir("cam-1", "pending")).length).toBe(5);
  });
});
