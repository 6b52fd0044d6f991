import { expect, test } from "bun:test";
import { createLogger } from "../../src/log.ts";
import { Pruner, type RetentionObserver } from "../../src/retention/pruner.ts";
import { objectKey } from "../../src/upload/key.ts";
import { ManualClock } from "../fixtures/clock-double.ts";
import { waitFor } from "../fixtures/wait.ts";
import { StorageDouble } from "./storage-double.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;

function setup(now = Date.UTC(2026, 10, 24, 12, 0, 0)) {
  const clock = new ManualClock(now);
  const storage = new StorageDouble();
  const lines: Array<{ level: string; msg: string } & Record<string, unknown>> = [];
  const log = createLogger({ level: "debug", format: "json", write: (l) => lines.push(JSON.parse(l)) });
  const events = { deleted: [] as Array<[string, number, number]>, stored: new Map<string, number>(), runs: [] as number[] };
  const observer: RetentionObserver = {
    retentionDeleted: (id, n, b) => events.deleted.push([id, n, b]),
    storageBytes: (id, b) => events.stored.set(id, b),
    retentionRunCompleted: (ms) => events.runs.push(ms),
  };
  const pruner = new Pruner({
    storage, clock, log, observer, keyPrefix: "", timezone: "UTC", intervalMs: 60 * 60_000,
    cameras: [{ id: "a", limits: { days: 1, maxBytes: 0 } }, { id: "b", limits: { days: 1, maxBytes: 0 } }],
  });
  return { clock, storage, lines, events, pruner };
}

/** Hourly 15-minute segments of camera `id`, `hours` of them back from `newestMs`. */
function store(storage: StorageDouble, id: string, newestMs: number, hours: number, bytes = 10) {
  for (let h = 0; h < hours; h++) {
    const startMs = newestMs - h * HOUR;
    storage.objects.set(objectKey({ cameraId: id, startMs, cut: "start", configuredSecs: 900 }, "", "UTC"), { bytes, modifiedMs: startMs + 16 * 60_000 });
  }
}

test("a listing that fails part-way deletes nothing for that camera, the others are pruned, and the next run does it", async () => {
  const { clock, storage, lines, events, pruner } = setup();
  store(storage, "a", clock.now() - HOUR, 48);
  store(storage, "b", clock.now() - HOUR, 48);
  storage.failListingAfter = 30; // "a" is listed first: its oldest 30 are listed, then the listing fails
  pruner.start();
  await waitFor("the first run", () => lines.some((l) => l.camera_id === "b" && l.msg.startsWith("retention: deleted")));
  expect(storage.removeCalls.flat().filter((k) => k.startsWith("a/"))).toEqual([]);
  expect([...storage.objects.keys()].filter((k) => k.startsWith("a/")).length).toBe(48);
  expect([...storage.objects.keys()].filter((k) => k.startsWith("b/")).length).toBe(25);
  expect(lines.find((l) => l.camera_id === "a")!.msg).toBe("retention: cannot list storage: cannot list bucket/a/: InternalError, HTTP 500; nothing deleted, trying again next run");
  expect(events.runs).toEqual([]); // not a completed run: the alert counts from the last good one
  expect(events.deleted).toEqual([["b", 23, 230]]);
  expect(events.stored.get("b")).toBe(250);
  expect(events.stored.has("a")).toBe(false);

  clock.advance(60 * 60_000);
  await waitFor("the second run", () => events.runs.length === 1);
  expect([...storage.objects.keys()].filter((k) => k.startsWith("a/")).length).toBe(25); // counted back from a's newest segment, not from the later now
  expect(events.runs).toEqual([clock.now()]);
  await pruner.stop();
});

test("deletes go oldest first in batches of at most 1,000 keys; counters per batch; one log line per camera with deletions", async () => {
  const { clock, storage, lines, events, pruner } = setup();
  store(storage, "a", clock.now(), 2525); // 25 end inside the last day (the 24 h old one too), 2,500 before
  store(storage, "b", clock.now(), 10); // nothing to delete: no line
  const [a, b] = await pruner.runOnce();
  expect(storage.removeCalls.map((c) => c.length)).toEqual([1000, 1000, 500]);
  const removed = storage.removeCalls.flat();
  expect(removed).toEqual([...removed].sort()); // keys sort by time within a day folder and by day
  expect(a).toMatchObject({ removed: { segments: 2500, bytes: 25_000 }, kept: { segments: 25, bytes: 250 } });
  expect(a!.oldestKept!.key).toBe("a/2026-11-23/12-00-00_15min.mp4");
  expect(b).toMatchObject({ removed: { segments: 0, bytes: 0 }, kept: { segments: 10, bytes: 100 } });
  expect(events.deleted).toEqual([["a", 1000, 10_000], ["a", 1000, 10_000], ["a", 500, 5000]]);
  const logged = lines.filter((l) => l.msg.startsWith("retention:"));
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatchObject({ camera_id: "a", msg: "retention: deleted 2500 segment(s), 25000 bytes from storage", deleted_segments: 2500, stored_bytes: 250, oldest_kept: "a/2026-11-23/12-00-00_15min.mp4" });
});

test("only the camera's exact layout: another camera whose id shares the prefix, stray files, other prefixes, temp files stay", async () => {
  const { clock, storage, pruner } = setup();
  const old = clock.now() - 10 * DAY;
  store(storage, "a", clock.now(), 1);
  const strangers = ["a0/2026-11-14/12-00-00_15min.mp4", "a/notes.txt", "a/2026-11-14/notes.txt", "a/2026-11-14/.12-00-00_15min.mp4.123.tmp", "x/a/2026-11-14/12-00-00_15min.mp4", "a/2026-11-14/12-00-00_15min.mp4.bak", "a/2026-11-14/12-00-00.mp4"];
  for (const key of strangers) storage.objects.set(key, { bytes: 1, modifiedMs: old });
  storage.objects.set("a/2026-11-14/12-00-00_15min-2.mp4", { bytes: 1, modifiedMs: old }); // a -2 copy is the camera's
  await pruner.runOnce();
  expect(storage.removeCalls.flat()).toEqual(["a/2026-11-14/12-00-00_15min-2.mp4"]);
  for (const key of strangers) expect(storage.objects.has(key)).toBe(true);
});

test("dry run: says what would go, deletes nothing, counts no run", async () => {
  const { clock, storage, events, pruner } = setup();
  store(storage, "a", clock.now(), 30);
  const [a] = await pruner.runOnce({ dryRun: true });
  expect(a!.removed).toEqual({ segments: 5, bytes: 50 });
  expect(storage.removeCalls).toEqual([]);
  expect(events.runs).toEqual([]);
  expect(events.deleted).toEqual([]);
});

test("stop ends the loop: no run after it", async () => {
  const { clock, storage, events, pruner } = setup();
  pruner.start();
  await waitFor("the first run", () => events.runs.length === 1);
  await pruner.stop();
  store(storage, "a", clock.now(), 30);
  clock.advance(2 * 60 * 60_000);
  await Bun.sleep(50);
  expect(events.runs.length).toBe(1);
  expect(storage.removeCalls).toEqual([]);
});
