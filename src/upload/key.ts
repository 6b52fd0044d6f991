import type { Segment } from "../spool/segment.ts";

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

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallParts(ms: number, timezone: string): Record<"year" | "month" | "day" | "hour" | "minute" | "second", string> {
  const zone = timezone === "local" ? undefined : timezone;
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    formatters.set(timezone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** Local time minus UTC at `ms` in `timezone`, in ms. */
function zoneOffsetMs(ms: number, timezone: string): number {
  const t = wallParts(ms, timezone);
  const localAsUtc = Date.UTC(Number(t.year), Number(t.month) - 1, Number(t.day), Number(t.hour), Number(t.minute), Number(t.second));
  return localAsUtc - Math.floor(ms / 1000) * 1000;
}

/** The user metadata stored with each object. */
export function objectMetadata(segment: Pick<Segment, "cameraId" | "startMs" | "durationMs">): Record<string, string> {
  return {
    "camera-id": segment.cameraId,
    start: new Date(segment.startMs).toISOString(),
    "duration-secs": (segment.durationMs / 1000).toFixed(3),
  };
}
