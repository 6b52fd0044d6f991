import type { Segment } from "../spool/segment.ts";
import { wallParts, zonedToEpochMs } from "../zoned-time.ts";

/** `15min` when a whole number of minutes, else seconds: `10s`. */
export function durationLabel(secs: number): string {
  return secs % 60 === 0 ? `${secs / 60}min` : `${secs}s`;
}

/**
 * `{key_prefix}{camera_id}/{YYYY-MM-DD}/{HH-MM-SS}_{D}.mp4`, the time being the segment's key
 * second in `timezone` (an IANA name, or "local" for the machine's zone).
 */
export function objectKey(segment: Pick<Segment, "cameraId" | "keySec" | "configuredSecs">, keyPrefix: string, timezone: string): string {
  const t = wallParts(segment.keySec * 1000, timezone);
  return `${keyPrefix}${segment.cameraId}/${t.year}-${t.month}-${t.day}/${t.hour}-${t.minute}-${t.second}_${durationLabel(segment.configuredSecs)}.mp4`;
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
