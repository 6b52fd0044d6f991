import type { Segment } from "../spool/segment.ts";
import { wallParts, zoneOffsetMs, zonedToEpochMs } from "../zoned-time.ts";

/** `15min` when a whole number of minutes, else seconds: `10s`. */
export function durationLabel(secs: number): string {
  return secs % 60 === 0 ? `${secs / 60}min` : `${secs}s`;
}

type KeyFields = Pick<Segment, "cameraId" | "startMs" | "cut" | "configuredSecs">;

/**
 * `{key_prefix}{camera_id}/{YYYY-MM-DD}/{HH-MM-SS}_{D}.mp4` in `timezone` (an IANA name, or "local"
 * for the machine's zone); `copy` > 1 is the next free key when a different segment holds this
 * one: `{HH-MM-SS}_{D}-2.mp4`, `-3`, ... (see claim-key.ts).
 */
export function objectKey(segment: KeyFields, keyPrefix: string, timezone: string, copy = 1): string {
  const t = wallParts(keySecond(segment, timezone) * 1000, timezone);
  const suffix = copy > 1 ? `-${copy}` : "";
  return `${keyPrefix}${segment.cameraId}/${t.year}-${t.month}-${t.day}/${t.hour}-${t.minute}-${t.second}_${durationLabel(segment.configuredSecs)}${suffix}.mp4`;
}

/**
 * How far after a boundary a cut segment's first frame may be estimated and still be keyed by it:
 * ffmpeg cuts at the first keyframe after the boundary, so a camera with a 4 s keyframe interval
 * starts up to 4 s late; the capture-time estimate can also be a few hundred ms early.
 */
const LATE_CUT_MS = 5_000;
const EARLY_ESTIMATE_MS = 1_000;

/**
 * The epoch second the key names. The first segment of a run: the second of its first frame. A
 * segment cut on a wall-clock boundary: that boundary, a multiple of the duration in the local
 * time of day (as ffmpeg's segment_atclocktime counts it), even when its first frame was
 * estimated a little before it.
 */
export function keySecond(segment: Pick<Segment, "startMs" | "cut" | "configuredSecs">, timezone: string): number {
  const startSec = Math.floor(segment.startMs / 1000);
  const periodMs = segment.configuredSecs * 1000;
  if (segment.cut !== "boundary" || periodMs <= 0) return startSec;
  const offsetMs = zoneOffsetMs(segment.startMs, timezone);
  const localMs = segment.startMs + offsetMs;
  const dayStartMs = Math.floor(localMs / 86_400_000) * 86_400_000;
  const early = Math.min(EARLY_ESTIMATE_MS, periodMs / 2);
  // The boundary at or before the start (allowing for an early estimate); ffmpeg also cuts at midnight.
  const sinceMidnight = localMs - dayStartMs + early;
  const boundaryLocalMs = sinceMidnight >= 86_400_000 ? dayStartMs + 86_400_000 : dayStartMs + Math.floor(sinceMidnight / periodMs) * periodMs;
  const boundaryMs = boundaryLocalMs - offsetMs;
  // Too far from any boundary to have been cut on one (a clock stepped meanwhile): name the start.
  if (segment.startMs - boundaryMs > Math.max(LATE_CUT_MS, early)) return startSec;
  return Math.round(boundaryMs / 1000);
}

/** The user metadata stored with each object. */
export function objectMetadata(segment: Pick<Segment, "cameraId" | "startMs" | "durationMs">): Record<string, string> {
  return {
    "camera-id": segment.cameraId,
    start: new Date(segment.startMs).toISOString(),
    "duration-secs": (segment.durationMs / 1000).toFixed(3),
  };
}

/** Where every object of one camera lives: `{key_prefix}{camera_id}/`. */
export function cameraPrefix(keyPrefix: string, cameraId: string): string {
  return `${keyPrefix}${cameraId}/`;
}

/** The folder of one day of a camera: `{key_prefix}{camera_id}/{YYYY-MM-DD}/`, the day of `ms` in `timezone`. */
export function dayPrefix(keyPrefix: string, cameraId: string, ms: number, timezone: string): string {
  const t = wallParts(ms, timezone);
  return `${cameraPrefix(keyPrefix, cameraId)}${t.year}-${t.month}-${t.day}/`;
}

/** What a key of the object layout names. */
export interface ParsedKey {
  /** The instant the key's date and time name in the timezone (the earlier one in a repeated hour). */
  keyMs: number;
  /** The `{D}` part: `15min`, `10s`. */
  label: string;
  /** 1 for the plain key; 2, 3, ... for the `-2`, `-3` keys of a segment whose key was taken. */
  copy: number;
}

const LAYOUT = /^(\d{4})-(\d{2})-(\d{2})\/(\d{2})-(\d{2})-(\d{2})_(\d+(?:min|s))(?:-([2-9]|[1-9]\d+))?\.mp4$/;

/**
 * Reads a key back, or undefined for anything that is not exactly one camera's segment layout under
 * `{key_prefix}{camera_id}/` (another camera whose id shares the prefix, a notes file, a temp file).
 */
export function parseObjectKey(key: string, keyPrefix: string, cameraId: string, timezone: string): ParsedKey | undefined {
  const prefix = cameraPrefix(keyPrefix, cameraId);
  if (!key.startsWith(prefix)) return undefined;
  const m = LAYOUT.exec(key.slice(prefix.length));
  if (!m) return undefined;
  const [year, month, day, hour, minute, second, label, copy] = m.slice(1) as [string, string, string, string, string, string, string, string | undefined];
  return { keyMs: zonedToEpochMs({ year, month, day, hour, minute, second }, timezone), label, copy: copy === undefined ? 1 : Number(copy) };
}
