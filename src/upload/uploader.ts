import type { Clock } from "../clock.ts";
import type { Config } from "../config/schema.ts";
import { describe } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Segment } from "../spool/segment.ts";
import type { Spool } from "../spool/spool.ts";
import { KeyClaims } from "./claim-key.ts";
import { objectKey } from "./key.ts";
import { roundExhausted, uploadRetryDelayMs } from "./retry.ts";
import { StorageError, type Storage } from "./storage.ts";
import { UploadQueue, type QueueEntry } from "./upload-queue.ts";

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
  /** The service's lifetime: aborting it ends uploads in flight (what is left stays in the spool). */
  signal?: AbortSignal;
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

const TICK_MS = 1000;

/**
 * Uploads spool segments, oldest first, up to `max_concurrent` at once (the order and the backoff
 * gate are the UploadQueue's). A segment leaves the spool's `pending` state only after the storage
 * confirmed it, under a key no different segment holds (KeyClaims).
 */
export class Uploader {
  readonly #deps: UploaderDeps;
  readonly #queue = new UploadQueue();
  readonly #claims: KeyClaims;
  readonly #stop = new AbortController();
  readonly #signal: AbortSignal;
  #prepared = false;
  #lastError: string | undefined;
  #tickMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #idle: Array<() => void> = [];

  constructor(deps: UploaderDeps) {
    this.#deps = deps;
    this.#claims = new KeyClaims(deps.storage, deps.keyPrefix, deps.timezone);
    this.#signal = deps.signal ? AbortSignal.any([deps.signal, this.#stop.signal]) : this.#stop.signal;
    this.#tickMs = deps.clock.now();
  }

  /** Queues everything the spool holds from before this start, then keeps pumping. */
  async start(): Promise<void> {
    for (const segment of await this.#deps.spool.pending()) this.#queue.add(segment);
    this.#timer = setInterval(() => this.#pump(), TICK_MS);
    this.#pump();
  }

  /** Stops pumping and aborts the uploads in flight; their segments stay in the spool. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stop.abort(new Error("uploader stopped"));
  }

  enqueue(segment: Segment): void {
    if (this.#queue.add(segment)) this.#pump();
  }

  /** Resolves when the queue is empty, or false at the deadline (shutdown: what is left stays on disk). */
  async drain(deadlineMs: number): Promise<boolean> {
    this.#queue.openGate();
    this.#pump();
    while (this.#queue.size > 0) {
      const remaining = deadlineMs - this.#deps.clock.now();
      if (remaining <= 0) return false;
      await Promise.race([new Promise<void>((resolve) => this.#idle.push(resolve)), Bun.sleep(Math.min(remaining, TICK_MS))]);
    }
    return true;
  }

  snapshot(): BacklogSnapshot {
    const now = this.#deps.clock.now();
    return {
      segments: this.#queue.size,
      bytes: this.#queue.bytes,
      oldestStartMs: this.#queue.oldestStartMs(),
      byCamera: this.#queue.byCamera(),
      inFlight: this.#queue.inFlight,
      retryAtMs: this.#queue.retryAtMs(now),
      lastError: this.#lastError,
      tickMs: this.#tickMs,
    };
  }

  #pump(): void {
    const now = this.#deps.clock.now();
    this.#tickMs = now;
    if (this.#queue.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
    if (this.#signal.aborted) return;
    while (this.#queue.inFlight < this.#deps.upload.max_concurrent) {
      const entry = this.#queue.take(now);
      if (!entry) break;
      void this.#upload(entry);
      // Until the storage is known to be reachable, send one request, not a burst of them.
      if (!this.#prepared) break;
    }
  }

  async #upload(entry: QueueEntry): Promise<void> {
    const { storage, spool, clock, log, observer, keyPrefix, timezone } = this.#deps;
    const { segment } = entry;
    let key = objectKey(segment, keyPrefix, timezone, entry.copy);
    const started = clock.now();
    try {
      if (!(await Bun.file(segment.path).exists())) {
        // Removed from the spool by hand: nothing is left to upload, and retrying cannot help.
        this.#queue.remove(entry);
        log.error("segment vanished from the spool before upload", { camera_id: segment.cameraId, key, file: segment.path });
        return;
      }
      if (!this.#prepared) {
        await storage.prepare(this.#signal);
        this.#prepared = true;
      }
      const claim = await this.#claims.store(segment, { from: entry.copy, signal: this.#signal, onProbe: (copy) => (entry.copy = copy) });
      key = claim.key;
      await spool.markUploaded(segment, clock.now());
      this.#queue.remove(entry);
      this.#lastError = undefined;
      const done = clock.now();
      observer.uploaded(segment, (done - started) / 1000, (done - segment.finishedMs) / 1000);
      const fields = { camera_id: segment.cameraId, key, bytes: segment.bytes, upload_secs: (done - started) / 1000 };
      if (!claim.written) log.info("segment was already in storage (uploaded before a restart)", fields);
      else if (claim.copy > 1) log.warn("segment uploaded under a numbered key: a different segment holds its time's key (clock set back, or the hour repeated)", fields);
      else log.info("segment uploaded", fields);
    } catch (error) {
      if (this.#signal.aborted) {
        this.#queue.backOff(entry, 0);
        log.info("upload cut short by shutdown; the segment stays in the spool", { camera_id: segment.cameraId, key });
      } else this.#failed(entry, key, error);
    } finally {
      this.#pump();
    }
  }

  #failed(entry: QueueEntry, key: string, error: unknown): void {
    const { clock, log, observer, upload } = this.#deps;
    const { segment } = entry;
    entry.failures++;
    const retryable = !(error instanceof StorageError) || error.retryable;
    if (!retryable) this.#prepared = false;
    const delayMs = uploadRetryDelayMs(entry.failures, upload.retry_backoff_secs, upload.max_retries);
    this.#queue.backOff(entry, clock.now() + delayMs);
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
