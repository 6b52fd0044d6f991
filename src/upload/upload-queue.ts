import type { Segment } from "../spool/segment.ts";
import { MinHeap } from "./min-heap.ts";

export type EntryState = { kind: "waiting" } | { kind: "uploading" } | { kind: "backing_off"; untilMs: number };

export interface QueueEntry {
  readonly segment: Segment;
  state: EntryState;
  /** Failed attempts in the current round of retries. */
  failures: number;
  /** The key copy the last attempt reached (claim-key.ts): retries keep the key they chose. */
  copy: number;
  /** Arrival order: ties of `startMs` go first come, first served. */
  readonly seq: number;
}

/**
 * The segments waiting for upload, oldest first, with their counts kept as they change: taking the
 * next one costs O(log n) and a snapshot O(cameras), however long the backlog (864,000 entries
 * after a day's outage at 100 cameras). Only waiting entries sit in the heap; the few uploading or
 * backing off are held apart. A failure closes the gate for the whole queue until its backoff has
 * passed (one attempt per backoff step while the storage is down, not one per segment).
 */
export class UploadQueue {
  readonly #entries = new Map<string, QueueEntry>();
  readonly #waiting = new MinHeap<QueueEntry>(before);
  readonly #active = new Set<QueueEntry>();
  readonly #byCamera = new Map<string, CameraCounts>();
  #bytes = 0;
  #inFlight = 0;
  #seq = 0;
  #gateUntilMs = 0;

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** When the gate opens again, if it is closed at `nowMs`. */
  retryAtMs(nowMs: number): number | undefined {
    return this.#gateUntilMs > nowMs ? this.#gateUntilMs : undefined;
  }

  oldestStartMs(): number | undefined {
    let oldest = this.#waiting.peek()?.segment.startMs;
    for (const entry of this.#active) oldest = Math.min(oldest ?? Infinity, entry.segment.startMs);
    return oldest;
  }

  /** Per camera: segments, bytes and the oldest start still queued. */
  byCamera(): Record<string, { segments: number; bytes: number; oldestStartMs?: number }> {
    const out: Record<string, { segments: number; bytes: number; oldestStartMs?: number }> = {};
    for (const [id, counts] of this.#byCamera) if (counts.segments > 0) out[id] = { segments: counts.segments, bytes: counts.bytes, oldestStartMs: counts.oldestStartMs() };
    return out;
  }

  /** False when the segment (by its spool path) is queued already. */
  add(segment: Segment): boolean {
    if (this.#entries.has(segment.path)) return false;
    const entry: QueueEntry = { segment, state: { kind: "waiting" }, failures: 0, copy: 1, seq: this.#seq++ };
    this.#entries.set(segment.path, entry);
    const camera = this.#byCamera.get(segment.cameraId) ?? new CameraCounts();
    camera.add(segment);
    this.#byCamera.set(segment.cameraId, camera);
    this.#bytes += segment.bytes;
    this.#waiting.push(entry);
    return true;
  }

  /** The oldest waiting entry, now uploading; none while the gate is closed. */
  take(nowMs: number): QueueEntry | undefined {
    if (nowMs < this.#gateUntilMs) return undefined;
    this.#release(nowMs);
    const entry = this.#waiting.pop();
    if (!entry) return undefined;
    entry.state = { kind: "uploading" };
    this.#active.add(entry);
    this.#inFlight++;
    return entry;
  }

  /** Uploaded (or gone): leaves the queue. */
  remove(entry: QueueEntry): void {
    if (this.#entries.get(entry.segment.path) !== entry) return;
    if (entry.state.kind === "uploading") this.#inFlight--;
    this.#entries.delete(entry.segment.path);
    this.#active.delete(entry);
    this.#byCamera.get(entry.segment.cameraId)!.remove(entry.segment);
    this.#bytes -= entry.segment.bytes;
  }

  /** A failed attempt: the entry and the whole queue wait until `untilMs`. */
  backOff(entry: QueueEntry, untilMs: number): void {
    if (entry.state.kind === "uploading") this.#inFlight--;
    entry.state = { kind: "backing_off", untilMs };
    this.#gateUntilMs = Math.max(this.#gateUntilMs, untilMs);
  }

  /** Shutdown: retry at once instead of sitting out a long backoff. */
  openGate(): void {
    this.#gateUntilMs = 0;
    this.#release(Infinity);
  }

  /** Entries whose backoff has passed wait again, in their place by age. */
  #release(nowMs: number): void {
    for (const entry of this.#active) {
      if (entry.state.kind === "backing_off" && entry.state.untilMs <= nowMs) {
        this.#active.delete(entry);
        entry.state = { kind: "waiting" };
        this.#waiting.push(entry);
      }
    }
  }
}

function before(a: QueueEntry, b: QueueEntry): boolean {
  return a.segment.startMs !== b.segment.startMs ? a.segment.startMs < b.segment.startMs : a.seq < b.seq;
}

/**
 * One camera's share of the queue. Its oldest start is kept in a heap of starts with lazy removal:
 * a removed start is only counted, and dropped when it reaches the top. Both are emptied as the
 * share empties: the 60-minute soak (16 cameras, 2 s segments, a backlog of 0 between uploads)
 * otherwise kept every start ever queued, ~5 MB of RSS an hour.
 */
export class CameraCounts {
  segments = 0;
  bytes = 0;
  #starts = new MinHeap<number>((a, b) => a < b);
  readonly #removed = new Map<number, number>();

  /** Starts still held, removed ones included (bounded by the share's size plus lazy removals). */
  get heldStarts(): number {
    return this.#starts.size;
  }

  add(segment: Segment): void {
    this.segments++;
    this.bytes += segment.bytes;
    this.#starts.push(segment.startMs);
  }

  remove(segment: Segment): void {
    this.segments--;
    this.bytes -= segment.bytes;
    if (this.segments === 0) {
      this.#starts = new MinHeap<number>((a, b) => a < b);
      this.#removed.clear();
      return;
    }
    this.#removed.set(segment.startMs, (this.#removed.get(segment.startMs) ?? 0) + 1);
    // Uploads go oldest first: the one removed is usually the top, dropped here at once.
    this.oldestStartMs();
  }

  oldestStartMs(): number | undefined {
    for (let top = this.#starts.peek(); top !== undefined; top = this.#starts.peek()) {
      const removed = this.#removed.get(top) ?? 0;
      if (removed === 0) return top;
      this.#starts.pop();
      if (removed === 1) this.#removed.delete(top);
      else this.#removed.set(top, removed - 1);
    }
    return undefined;
  }
}
