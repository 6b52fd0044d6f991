import { expect, test } from "bun:test";
import { existsSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../../src/log.ts";
import { Housekeeper } from "../../src/spool/housekeeper.ts";
import { Spool } from "../../src/spool/spool.ts";
import { ManualClock } from "../fixtures/clock-double.ts";
import { scratch } from "../fixtures/service.ts";

const quiet = createLogger({ level: "error", format: "json", write: () => {} });

async function recorded(spool: Spool, name: string, startMs: number, durationMs = 2000, data = "data") {
  const file = join(spool.dir("cam", "recording"), name);
  writeFileSync(file, data);
  return spool.commit("cam", file, { startMs, durationMs, configuredSecs: 2, cut: "boundary" });
}

test("commit: the file moves to pending with its metadata in the name, found again after a restart", async () => {
  const spool = new Spool(scratch());
  await spool.prepare(["cam"]);
  const segment = await recorded(spool, "1_2_000000.mp4", 1_765_636_200_250);
  expect(segment).toMatchObject({ cameraId: "cam", startMs: 1_765_636_200_250, durationMs: 2000, configuredSecs: 2, cut: "boundary", bytes: 4 });
  expect(readdirSync(spool.dir("cam", "recording"))).toEqual([]);
  const again = await new Spool(spool.root).pending();
  expect(again.map((s) => s.path)).toEqual([segment.path]);
});

test("two segments with the same start (a clock set back) both stay in the spool; neither replaces the other", async () => {
  const spool = new Spool(scratch());
  await spool.prepare(["cam"]);
  const a = await recorded(spool, "a.mp4", 1_000_000_000_100, 300, "first");
  const b = await recorded(spool, "b.mp4", 1_000_000_000_100, 300, "second");
  expect(a.path).not.toBe(b.path);
  const pending = await new Spool(spool.root).pending();
  expect(pending.map((s) => Bun.file(s.path).size)).toEqual([5, 6]);
  expect(pending.map((s) => s.startMs)).toEqual([1_000_000_000_100, 1_000_000_000_100]);
  // Uploaded: kept side by side as well.
  await spool.markUploaded(a, 1_000_000_100_000);
  await spool.markUploaded(b, 1_000_000_100_000);
  expect((await spool.uploaded("cam")).length).toBe(2);
});

test("a spool written before keys named the boundary is still read", async () => {
  const spool = new Spool(scratch());
  await spool.prepare(["cam"]);
  writeFileSync(join(spool.dir("cam", "pending"), "1000000001_1000000000100_2000_2.mp4"), "old");
  expect(await spool.pending()).toMatchObject([{ startMs: 1_000_000_000_100, durationMs: 2000, configuredSecs: 2, cut: "start", bytes: 3 }]);
});

test("retention removes only uploaded segments, and only after local_retention_minutes", async () => {
  const clock = new ManualClock();
  const spool = new Spool(scratch());
  await spool.prepare(["cam"]);
  const uploaded = await recorded(spool, "u.mp4", clock.now() - 10_000);
  const waiting = await recorded(spool, "w.mp4", clock.now() - 5000);
  await spool.markUploaded(uploaded, clock.now());
  const keeper = new Housekeeper({ spool, cameraIds: ["cam"], clock, log: quiet, retentionMs: 60 * 60_000, pressureRatio: 1, minFreeBytes: 0, intervalMs: 60_000 });
  clock.advance(59 * 60_000);
  await keeper.runOnce();
  expect(readdirSync(spool.dir("cam", "uploaded")).length).toBe(1);
  clock.advance(61_000);
  await keeper.runOnce();
  expect(readdirSync(spool.dir("cam", "uploaded"))).toEqual([]);
  expect(existsSync(waiting.path)).toBe(true);
  expect(keeper.snapshot().writable).toBe(true);
});

test("disk pressure removes retained uploads early, never a pending one", async () => {
  const clock = new ManualClock();
  const spool = new Spool(scratch());
  await spool.prepare(["cam"]);
  const old = await recorded(spool, "o.mp4", clock.now() - 20_000);
  const newer = await recorded(spool, "n.mp4", clock.now() - 10_000);
  const waiting = await recorded(spool, "w.mp4", clock.now() - 5000);
  await spool.markUploaded(old, clock.now() - 2000);
  await spool.markUploaded(newer, clock.now() - 1000);
  // Every byte of this disk is "too little": the pressure rule applies whatever the machine has.
  const keeper = new Housekeeper({ spool, cameraIds: ["cam"], clock, log: quiet, retentionMs: 60 * 60_000, pressureRatio: 0, minFreeBytes: Number.MAX_SAFE_INTEGER, intervalMs: 60_000 });
  await keeper.runOnce();
  expect(readdirSync(spool.dir("cam", "uploaded"))).toEqual([]);
  expect(existsSync(waiting.path)).toBe(true);
  expect(keeper.snapshot().pressure).toBe(true);
});
