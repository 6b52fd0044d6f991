import type { CameraConfig, Config } from "../config/schema.ts";

const DAY_MS = 86_400_000;
const GIB = 1024 ** 3;

/** One stored segment of a camera, read back from its key (never from a spool file). */
export interface StoredSegment {
  key: string;
  bytes: number;
  /** The instant the key names: the segment's start. */
  startMs: number;
  /** Start plus the configured duration of the key's label. */
  endMs: number;
  /** When the storage wrote it, by the storage's clock (S3 LastModified, file mtime). */
  modifiedMs: number;
}

/** A camera's limits; 0 means no limit. */
export interface RetentionLimits {
  days: number;
  maxBytes: number;
}

export interface RetentionDecision {
  /** Oldest first: the order they are deleted in. */
  remove: StoredSegment[];
  /** Oldest first. */
  keep: StoredSegment[];
  /** The instant the age is counted back from; undefined when nothing is stored. */
  anchorMs: number | undefined;
}

/** The limits of one camera: its own keys where set, else `[retention]`. max_gb is GiB. */
export function limitsOf(camera: CameraConfig, retention: Config["retention"]): RetentionLimits {
  const days = camera.retention_days ?? retention.days;
  const gb = camera.retention_max_gb ?? retention.max_gb;
  return { days, maxBytes: Math.floor(gb * GIB) };
}

/**
 * What goes. The age is counted back from the earliest of: now, the start of the newest stored
 * segment, and the storage's own time of its newest write. A host clock that jumps ahead thus
 * deletes nothing (its future keys are still newer than the storage's clock), and a dead camera
 * keeps its last days. A segment goes for age only when it ends before the window; then, newest
 * first, segments are kept while their sum fits in `maxBytes`, and everything older goes.
 */
export function decide(segments: readonly StoredSegment[], nowMs: number, limits: RetentionLimits): RetentionDecision {
  const sorted = [...segments].sort((a, b) => a.startMs - b.startMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const newest = sorted.at(-1);
  if (!newest) return { remove: [], keep: [], anchorMs: undefined };
  const newestWriteMs = sorted.reduce((max, s) => Math.max(max, s.modifiedMs), 0);
  const anchorMs = Math.min(nowMs, newest.startMs, newestWriteMs > 0 ? newestWriteMs : Infinity);

  // The cut is a single index: everything before it goes, oldest first.
  let cut = 0;
  if (limits.days > 0) {
    const windowStartMs = anchorMs - limits.days * DAY_MS;
    while (cut < sorted.length && sorted[cut]!.endMs <= windowStartMs) cut++;
  }
  if (limits.maxBytes > 0) {
    let total = 0;
    let i = sorted.length;
    while (i > cut && total + sorted[i - 1]!.bytes <= limits.maxBytes) total += sorted[--i]!.bytes;
    cut = Math.max(cut, i);
  }
  return { remove: sorted.slice(0, cut), keep: sorted.slice(cut), anchorMs };
}
