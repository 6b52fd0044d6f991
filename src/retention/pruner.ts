import type { Clock } from "../clock.ts";
import { describe } from "../errors.ts";
import type { Logger } from "../log.ts";
import { cameraPrefix, parseObjectKey } from "../upload/key.ts";
import type { Storage } from "../upload/storage.ts";
import { decide, type RetentionLimits, type StoredSegment } from "./policy.ts";

/** DeleteObjects takes at most 1,000 keys; deleting batch by batch also counts what went before a failure. */
const BATCH = 1000;

export interface RetentionObserver {
  retentionDeleted(cameraId: string, segments: number, bytes: number): void;
  storageBytes(cameraId: string, bytes: number): void;
  /** A run listed every camera and deleted all it meant to. */
  retentionRunCompleted(nowMs: number): void;
}

export interface PrunedCamera {
  id: string;
  limits: RetentionLimits;
}

export interface PrunerDeps {
  storage: Storage;
  cameras: readonly PrunedCamera[];
  keyPrefix: string;
  timezone: string;
  clock: Clock;
  log: Logger;
  observer?: RetentionObserver;
  intervalMs: number;
}

/** What one run did (or, dry, would do) for one camera. */
export interface CameraOutcome {
  cameraId: string;
  /** Deleted (dry run: would be). */
  removed: { segments: number; bytes: number };
  kept: { segments: number; bytes: number };
  oldestKept: StoredSegment | undefined;
  /** Why the run stopped for this camera: listing failed (nothing deleted) or a delete failed. */
  error?: string;
}

/**
 * Applies the retention to storage: once at start, then every interval. Deals only with what the
 * storage lists under each camera's prefix and parses as that camera's layout; the spool (segments
 * not uploaded yet) is never looked at. A listing that fails deletes nothing for that camera: the
 * next round lists again.
 */
export class Pruner {
  readonly #deps: PrunerDeps;
  readonly #stop = new AbortController();
  #running: Promise<unknown> | undefined;

  constructor(deps: PrunerDeps) {
    this.#deps = deps;
  }

  start(): void {
    void this.#runEvery();
  }

  /** Aborts the run under way (its listing or its next delete batch) and waits for it to end. */
  async stop(): Promise<void> {
    this.#stop.abort(new Error("the pruner is stopping"));
    await this.#running?.catch(() => {});
  }

  async runOnce(options: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<CameraOutcome[]> {
    const { cameras, clock, observer } = this.#deps;
    const outcomes: CameraOutcome[] = [];
    for (const camera of cameras) {
      if (options.signal?.aborted) break;
      outcomes.push(await this.#pruneCamera(camera, options.dryRun ?? false, options.signal));
    }
    if (!options.dryRun && outcomes.length === cameras.length && outcomes.every((o) => !o.error)) observer?.retentionRunCompleted(clock.now());
    return outcomes;
  }

  async #runEvery(): Promise<void> {
    const { clock, log, intervalMs } = this.#deps;
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      this.#running = this.runOnce({ signal }).catch((error) => log.error(`retention run failed: ${describe(error)}`));
      await this.#running;
      this.#running = undefined;
      try {
        await clock.delay(intervalMs, { signal });
      } catch {
        return;
      }
    }
  }

  async #pruneCamera(camera: PrunedCamera, dryRun: boolean, signal: AbortSignal | undefined): Promise<CameraOutcome> {
    const { storage, observer } = this.#deps;
    const log = this.#deps.log.child({ camera_id: camera.id });
    const outcome: CameraOutcome = { cameraId: camera.id, removed: { segments: 0, bytes: 0 }, kept: { segments: 0, bytes: 0 }, oldestKept: undefined };
    let segments: StoredSegment[];
    try {
      segments = await this.#list(camera.id, signal);
    } catch (error) {
      outcome.error = `cannot list storage: ${oneLine(error)}`;
      if (!signal?.aborted) log.warn(`retention: ${outcome.error}; nothing deleted, trying again next run`);
      return outcome;
    }
    const decision = decide(segments, this.#deps.clock.now(), camera.limits);
    outcome.kept = total(decision.keep);
    outcome.oldestKept = decision.keep[0];
    if (dryRun) {
      outcome.removed = total(decision.remove);
      return outcome;
    }
    for (let i = 0; i < decision.remove.length; i += BATCH) {
      const batch = decision.remove.slice(i, i + BATCH);
      try {
        if (signal?.aborted) throw signal.reason;
        await storage.remove(batch.map((s) => s.key), signal);
      } catch (error) {
        outcome.error = `cannot delete: ${oneLine(error)}`;
        break;
      }
      const done = total(batch);
      outcome.removed.segments += done.segments;
      outcome.removed.bytes += done.bytes;
      observer?.retentionDeleted(camera.id, done.segments, done.bytes);
    }
    // What failed to go is still stored, and the oldest of it is the oldest kept.
    const notRemoved = decision.remove.slice(outcome.removed.segments);
    outcome.oldestKept = notRemoved[0] ?? decision.keep[0];
    const stored = outcome.kept.bytes + total(notRemoved).bytes;
    observer?.storageBytes(camera.id, stored);
    if (outcome.removed.segments > 0 || outcome.error) {
      const fields = { deleted_segments: outcome.removed.segments, deleted_bytes: outcome.removed.bytes, stored_bytes: stored, oldest_kept: outcome.oldestKept?.key };
      const what = `retention: deleted ${outcome.removed.segments} segment(s), ${outcome.removed.bytes} bytes from storage`;
      if (outcome.error) log.warn(`${what}; ${outcome.error}; trying again next run`, fields);
      else log.info(what, fields);
    }
    return outcome;
  }

  /** Every object of the camera's exact layout; anything else under its prefix is skipped, never deleted. */
  async #list(cameraId: string, signal: AbortSignal | undefined): Promise<StoredSegment[]> {
    const { storage, keyPrefix, timezone } = this.#deps;
    const out: StoredSegment[] = [];
    for await (const object of storage.list(cameraPrefix(keyPrefix, cameraId), signal)) {
      const parsed = parseObjectKey(object.key, keyPrefix, cameraId, timezone);
      if (!parsed) continue;
      out.push({ key: object.key, bytes: object.bytes, startMs: parsed.keyMs, endMs: parsed.keyMs + labelSecs(parsed.label) * 1000, modifiedMs: object.modifiedMs });
    }
    return out;
  }
}

/** An error for one log or output line (the SDK's messages can span several). */
function oneLine(error: unknown): string {
  return describe(error).replace(/\s*\n\s*/g, " ");
}

/** `15min` -> 900, `10s` -> 10. */
function labelSecs(label: string): number {
  return label.endsWith("min") ? Number(label.slice(0, -3)) * 60 : Number(label.slice(0, -1));
}

function total(segments: readonly StoredSegment[]): { segments: number; bytes: number } {
  return { segments: segments.length, bytes: segments.reduce((sum, s) => sum + s.bytes, 0) };
}
