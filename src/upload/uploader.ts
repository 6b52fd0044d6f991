import type { Clock } from "../clock.ts";
import type { Config } from "../config/schema.ts";
import { describe } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Segment } from "../spool/segment.ts";
import type { Spool } from "../spool/spool.ts";
import { objectKey, objectMetadata } from "./key.ts";
import { roundExhausted, uploadRetryDelayMs } from "./retry.ts";
import { StorageError, type Storage } from "./storage.ts";

/** What the uploader reports as it happens; the metrics listen. */
export interface UploadObserver {
  uploaded(segment: Segment, uploadSecs: number, latencySecs: number): void;
  failed(segment: Segment): void;
}

export interface UploaderDeps {
  storage: Storage;
  spool: Spool;
  clock: Clock;
  log: Logger;
  observer: UploadObserver;
  upload: Config["upload"];
  keyPrefix: string;
  timezone: string;
}

export interface BacklogSnapshot {
  segments: number;
  bytes: number;
  oldestStartMs?: number;
  byCamera: Record<string, { segments: number; bytes: number; oldestStartMs?: number }>;
  inFlight: number;
  retryAtMs?: number;
  lastError?: string;
  tickMs: number;
}

interface Entry {
  segment: Segment;
  failures: number;
  uploading: boolean;
}

const TICK_MS = 1000;

/**
 * Uploads spool segments, oldest first, up to `max_concurrent` at once. A failure closes a gate for
 * the whole queue until its backoff has passed: when the storage is down, only one attempt is made
 * per backoff step, not one per segment, and the backlog drains in order once it is back.
 * A segment leaves the spool's `pending` state only after the storage confirmed it.
 */
export class Uploader {
  readonly #deps: UploaderDeps;
  readonly #queue = new Map<string, Entry>();
  #gateUntilMs = 0;
  #prepared = false;
  #lastError: string | undefined;
  #tickMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #idle: Array<() => void> = [];

  constructor(deps: UploaderDeps) {
    this.#deps = deps;
    this.#tickMs = deps.clock.now();
  }

  /** Queues everything the spool holds from before this start, then keeps pumping. */
  async start(): Promise<void> {
    for (const segment of await this.#deps.spool.pending()) this.enqueue(segment);
    this.#timer = setInterval(() => this.#pump(), TICK_MS);
    this.#pump();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  enqueue(segment: Segment): void {
    if (this.#queue.has(segment.path)) return;
    this.#queue.set(segment.path, { segment, failures: 0, uploading: false });
    this.#pump();
  }

  /** Resolves when the queue is empty, or false at the deadline (shutdown: what is left stays on disk). */
  async drain(deadlineMs: number): Promise<boolean> {
    // On shutdown, retry at once instead of sitting out a long backoff.
    this.#gateUntilMs = 0;
    this.#pump();
    while (this.#queue.size > 0) {
      const remaining = deadlineMs - this.#deps.clock.now();
      if (remaining <= 0) return false;
      await Promise.race([new Promise<void>((resolve) => this.#idle.push(resolve)), Bun.sleep(Math.min(remaining, TICK_MS))]);
    }
    return true;
  }

  snapshot(): BacklogSnapshot {
    const byCamera: BacklogSnapshot["byCamera"] = {};
    let bytes = 0;
    let oldestStartMs: number | undefined;
    for (const { segment } of this.#queue.values()) {
      const camera = (byCamera[segment.cameraId] ??= { segments: 0, bytes: 0 });
      camera.segments++;
      camera.bytes += segment.bytes;
      camera.oldestStartMs = Math.min(camera.oldestStartMs ?? Infinity, segment.startMs);
      bytes += segment.bytes;
      oldestStartMs = Math.min(oldestStartMs ?? Infinity, segment.startMs);
    }
    const now = this.#deps.clock.now();
    return {
      segments: this.#queue.size,
      bytes,
      oldestStartMs,
      byCamera,
      inFlight: [...this.#queue.values()].filter((e) => e.uploading).length,
      retryAtMs: this.#gateUntilMs > now ? this.#gateUntilMs : undefined,
      lastError: this.#lastError,
      tickMs: this.#tickMs,
    };
  }

  #pump(): void {
    const now = this.#deps.clock.now();
    this.#tickMs = now;
    if (this.#queue.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
    if (now < this.#gateUntilMs) return;
    const entries = [...this.#queue.values()];
    let inFlight = entries.filter((e) => e.uploading).length;
    const waiting = entries.filter((e) => !e.uploading).sort((a, b) => a.segment.startMs - b.segment.startMs);
    for (const entry of waiting) {
      if (inFlight >= this.#deps.upload.max_concurrent) break;
      inFlight++;
      entry.uploading = true;
      void this.#upload(entry);
      // Until the storage is known to be reachable, send one request, not a burst of them.
      if (!this.#prepared) break;
    }
  }

  async #upload(entry: Entry): Promise<void> {
    const { storage, spool, clock, log, observer, keyPrefix, timezone } = this.#deps;
    const { segment } = entry;
    const key = objectKey(segment, keyPrefix, timezone);
    const started = clock.now();
    try {
      if (!(await Bun.file(segment.path).exists())) {
        // Removed from the spool by hand: nothing is left to upload, and retrying cannot help.
        this.#queue.delete(segment.path);
        log.error("segment vanished from the spool before upload", { camera_id: segment.cameraId, key, file: segment.path });
        return;
      }
      if (!this.#prepared) {
        await storage.prepare();
        this.#prepared = true;
      }
      await storage.put({ key, file: segment.path, bytes: segment.bytes, metadata: objectMetadata(segment) });
      await spool.markUploaded(segment, clock.now());
      this.#queue.delete(segment.path);
      this.#lastError = undefined;
      const done = clock.now();
      observer.uploaded(segment, (done - started) / 1000, (done - segment.finishedMs) / 1000);
      log.info("segment uploaded", { camera_id: segment.cameraId, key, bytes: segment.bytes, upload_secs: (done - started) / 1000 });
    } catch (error) {
      this.#failed(entry, key, error);
    } finally {
      entry.uploading = false;
      this.#pump();
    }
  }

  #failed(entry: Entry, key: string, error: unknown): void {
    const { clock, log, observer, upload } = this.#deps;
    const { segment } = entry;
    entry.failures++;
    const retryable = !(error instanceof StorageError) || error.retryable;
    if (!retryable) this.#prepared = false;
    const delayMs = uploadRetryDelayMs(entry.failures, upload.retry_backoff_secs, upload.max_retries);
    this.#gateUntilMs = Math.max(this.#gateUntilMs, clock.now() + delayMs);
    this.#lastError = describe(error);
    const fields = { camera_id: segment.cameraId, key, attempt: entry.failures, retry_in_secs: delayMs / 1000, error: this.#lastError };
    if (roundExhausted(entry.failures, upload.max_retries)) {
      observer.failed(segment);
      entry.failures = 0;
      log.error(`upload failed after ${upload.max_retries} retries; the segment stays in the spool and is retried later`, fields);
    } else if (!retryable) {
      log.error("upload failed with an error that retrying alone will not fix (check credentials, bucket and permissions)", fields);
    } else {
      log.warn("upload failed; retrying", fields);
    }
  }
}
