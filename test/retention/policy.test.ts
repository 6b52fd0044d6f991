import { expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { decide, limitsOf, type StoredSegment } from "../../src/retention/policy.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

/** A 15-minute segment starting at `startMs`, written by the storage `writeLagMs` after it ended. */
function seg(startMs: number, bytes = 100, writeLagMs = 60_000): StoredSegment {
  return { key: `cam/${new Date(startMs).toISOString()}.mp4`, bytes, startMs, endMs: startMs + 900_000, modifiedMs: startMs + 900_000 + writeLagMs };
}

/** One segment every 3 hours back from `newestMs`, 40 days' worth, shuffled. */
function fortyDays(newestMs: number): StoredSegment[] {
  const out = Array.from({ length: 320 }, (_, k) => seg(newestMs - k * 3 * HOUR));
  return out.sort(() => Math.random() - 0.5);
}

test("days = 30 keeps exactly the segments that end inside the last 30 days, deletes the rest oldest first", () => {
  const newest = NOW - HOUR;
  const { remove, keep, anchorMs } = decide(fortyDays(newest), NOW, { days: 30, maxBytes: 0 });
  expect(anchorMs).toBe(newest);
  // k = 240 starts exactly 30 days before the newest and ends 15 min inside the window.
  expect(keep.length).toBe(241);
  expect(keep[0]!.startMs).toBe(newest - 30 * DAY);
  expect(remove.length).toBe(79);
  expect(remove.map((s) => s.startMs)).toEqual([...remove.map((s) => s.startMs)].sort((a, b) => a - b));
  expect(Math.max(...remove.map((s) => s.endMs))).toBeLessThanOrEqual(newest - 30 * DAY);
});

test("a host clock years ahead deletes nothing a correct clock would keep", () => {
  const segments = fortyDays(NOW - HOUR);
  const correct = decide(segments, NOW, { days: 30, maxBytes: 0 });
  const ahead = decide(segments, NOW + 3 * 365 * DAY, { days: 30, maxBytes: 0 });
  expect(ahead.remove.map((s) => s.key)).toEqual(correct.remove.map((s) => s.key));
  expect(ahead.keep.length).toBe(241);
});

test("segments recorded after the clock jumped ahead (keys years in the future) do not move the window: the storage's clock bounds it", () => {
  const segments = fortyDays(NOW - HOUR);
  const jumped = NOW + 3 * 365 * DAY;
  // Recorded under the wrong clock, written by a storage whose clock is right.
  const future = [0, 1, 2].map((i) => ({ ...seg(jumped + i * 900_000), modifiedMs: NOW + i * 900_000 }));
  const { remove, keep, anchorMs } = decide([...segments, ...future], jumped + HOUR, { days: 30, maxBytes: 0 });
  expect(anchorMs).toBe(NOW + 2 * 900_000);
  // 30 days back from the real time of the newest write, as a correct clock would count.
  const windowStart = NOW + 2 * 900_000 - 30 * DAY;
  expect(remove.every((s) => s.endMs <= windowStart)).toBe(true);
  expect(keep.every((s) => s.endMs > windowStart)).toBe(true);
  expect(remove.length).toBe(80);
  expect(keep.length).toBe(240 + 3);
});

test("a camera that stopped recording keeps its last days however long ago they were", () => {
  const lastMs = NOW - 200 * DAY;
  const { remove, keep } = decide(fortyDays(lastMs), NOW, { days: 30, maxBytes: 0 });
  expect(keep.length).toBe(241);
  expect(remove.length).toBe(79);
});

test("max bytes keeps the newest that fit, the cap counted over what the age left", () => {
  const segments = Array.from({ length: 10 }, (_, i) => seg(NOW - (10 - i) * HOUR, 1000 + i));
  const { remove, keep } = decide(segments, NOW, { days: 0, maxBytes: 1009 + 1008 + 1007 + 500 });
  expect(keep.map((s) => s.bytes)).toEqual([1007, 1008, 1009]);
  expect(remove.length).toBe(7);
  // Exactly at the cap still fits.
  expect(decide(segments, NOW, { days: 0, maxBytes: 1009 + 1008 }).keep.length).toBe(2);
  // Both limits: whichever deletes more.
  expect(decide(segments, NOW, { days: 1, maxBytes: 1e9 }).keep.length).toBe(10);
  expect(decide(segments, NOW - 2 * HOUR + 1, { days: 0, maxBytes: 1e9 }).keep.length).toBe(10);
});

test("no limits or nothing stored: nothing goes", () => {
  expect(decide(fortyDays(NOW), NOW, { days: 0, maxBytes: 0 }).remove).toEqual([]);
  expect(decide([], NOW, { days: 30, maxBytes: 1 })).toEqual({ remove: [], keep: [], anchorMs: undefined });
});

test("limits: the camera's own keys override [retention]; max_gb is GiB", () => {
  const config = parseConfig(
    `[retention]\ndays = 30\nmax_gb = 0.5\n[[cameras]]\nid = "a"\nrtsp_url = "rtsp://h/s"\n[[cameras]]\nid = "b"\nrtsp_url = "rtsp://h/s"\nretention_days = 0\nretention_max_gb = 2\n`,
    "t.toml",
    {},
  );
  expect(limitsOf(config.cameras[0]!, config.retention)).toEqual({ days: 30, maxBytes: 512 * 1024 * 1024 });
  expect(limitsOf(config.cameras[1]!, config.retention)).toEqual({ days: 0, maxBytes: 2 * 1024 ** 3 });
});
