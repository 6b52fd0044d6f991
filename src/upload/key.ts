import type { Segment } from "../spool/segment.ts";

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

/** The user metadata stored with each object. */
export function objectMetadata(segment: Pick<Segment, "cameraId" | "startMs" | "durationMs">): Record<string, string> {
  return {
    "camera-id": segment.cameraId,
    start: new Date(segment.startMs).toISOString(),
    "duration-secs": (segment.durationMs / 1000).toFixed(3),
  };
}
