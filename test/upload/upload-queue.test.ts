import { expect, test } from "bun:test";
import type { Segment } from "../../src/spool/segment.ts";
import { CameraCounts, UploadQueue } from "../../src/upload/upload-queue.ts";

const seg = (cameraId: string, startMs: number, bytes = 100): Segment => ({ cameraId, startMs, durationMs: 10_000, configuredSecs: 10, cut: "boundary", path: `/spool/${cameraId}/${startMs}-${bytes}`, bytes, finishedMs: startMs + 10_000 });

test("oldest first, whatever the order of arrival; ties first come, first served; a path is queued once", () => {
  const q = new UploadQueue();
  for (const s of [seg("a", 30), seg("b", 10), seg("a", 20), seg("c", 10, 7), seg("a", 5)]) expect(q.add(s)).toBe(true);
  expect(q.add(seg("a", 30))).toBe(false);
  const order: string[] = [];
  for (let e = q.take(0); e; e = q.take(0)) order.push(`${e.segment.cameraId}${e.segment.startMs}`);
  expect(order).toEqual(["a5", "b10", "c10", "a20", "a30"]);
  expect(q.inFlight).toBe(5);
});

test("counters follow every change without a rescan: segments, bytes, per camera, in flight, oldest", () => {
  const q = new UploadQueue();
  q.add(seg("a", 10, 100));
  q.add(seg("a", 20, 50));
  q.add(seg("b", 15, 1));
  expect([q.size, q.bytes, q.inFlight, q.oldestStartMs()]).toEqual([3, 151, 0, 10]);
  expect(q.byCamera()).toEqual({ a: { segments: 2, bytes: 150, oldestStartMs: 10 }, b: { segments: 1, bytes: 1, oldestStartMs: 15 } });
  const first = q.take(0)!;
  // Uploading still counts as backlog, and as the oldest.
  expect([q.size, q.inFlight, q.oldestStartMs()]).toEqual([3, 1, 10]);
  q.remove(first);
  expect([q.size, q.bytes, q.inFlight, q.oldestStartMs()]).toEqual([2, 51, 0, 15]);
  expect(q.byCamera()).toEqual({ a: { segments: 1, bytes: 50, oldestStartMs: 20 }, b: { segments: 1, bytes: 1, oldestStartMs: 15 } });
  q.remove(q.take(0)!);
  q.remove(q.take(0)!);
  expect([q.size, q.bytes, q.oldestStartMs()]).toEqual([0, 0, undefined]);
  expect(q.byCamera()).toEqual({});
});

test("a failure closes the gate for the whole queue until its backoff has passed; then the failed one goes first again", () => {
  const q = new UploadQueue();
  q.add(seg("a", 10));
  q.add(seg("a", 20));
  const failed = q.take(1000)!;
  q.backOff(failed, 6000);
  expect(failed.state).toEqual({ kind: "backing_off", untilMs: 6000 });
  expect([q.inFlight, q.size, q.retryAtMs(1000), q.oldestStartMs()]).toEqual([0, 2, 6000, 10]);
  expect(q.take(5999)).toBeUndefined();
  const again = q.take(6000)!;
  expect(again).toBe(failed);
  expect(again.state).toEqual({ kind: "uploading" });
  expect(q.retryAtMs(6000)).toBeUndefined();
});

test("openGate (shutdown drain) retries at once", () => {
  const q = new UploadQueue();
  q.add(seg("a", 10));
  q.backOff(q.take(0)!, 160_000);
  expect(q.take(1)).toBeUndefined();
  q.openGate();
  expect(q.take(1)?.segment.startMs).toBe(10);
});

test("864,000 entries: adding and taking stay fast (no sort per take)", () => {
  const q = new UploadQueue();
  const started = performance.now();
  for (let i = 0; i < 864_000; i++) q.add(seg(`cam-${i % 100}`, 1_000_000 + ((i * 7919) % 864_000) * 10, 1));
  let previous = -Infinity;
  for (let n = 0; n < 10_000; n++) {
    const e = q.take(0)!;
    expect(e.segment.startMs).toBeGreaterThanOrEqual(previous);
    previous = e.segment.startMs;
    q.remove(e);
  }
  expect(q.size).toBe(854_000);
  expect(Object.keys(q.byCamera()).length).toBe(100);
  // A generous bound for a loaded 2-core box; a sort of the whole queue per take would take minutes.
  expect(performance.now() - started).toBeLessThan(20_000);
});

test("a camera's share holds no starts once its segments are uploaded, nor more than its backlog while oldest go first", () => {
  const counts = new CameraCounts();
  // An hour of 2 s segments, each uploaded before the next arrives (the soak's steady state).
  for (let i = 0; i < 1800; i++) {
    counts.add(seg("a", i * 2000));
    counts.remove(seg("a", i * 2000));
  }
  expect([counts.segments, counts.heldStarts, counts.oldestStartMs()]).toEqual([0, 0, undefined]);
  // A backlog of 3 that stays 3: oldest uploaded as the newest arrives.
  for (let i = 0; i < 3; i++) counts.add(seg("a", i));
  for (let i = 3; i < 1000; i++) {
    counts.add(seg("a", i));
    counts.remove(seg("a", i - 3));
  }
  expect([counts.segments, counts.heldStarts, counts.oldestStartMs()]).toEqual([3, 3, 997]);
});
