import type { CameraConfig } from "../config/schema.ts";
import { wallParts, zonedToEpochMs } from "../zoned-time.ts";

/** A range the user asked for, ms since the epoch. */
export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** A request that cannot be served, naming the parameter at fault (`from`, `camera`); CLI: `--from`. */
export interface RangeProblem {
  field: "camera" | "from" | "to";
  reason: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * TIME of SPEC.md: RFC 3339 with a zone (`2026-11-24T14:30:00Z`), or `YYYY-MM-DD HH:MM[:SS]` as a
 * wall-clock time in `timezone` (in the hour that repeats in autumn, its first occurrence).
 */
export function parseTime(text: string, timezone: string): number | undefined {
  const trimmed = text.trim();
  if (RFC3339.test(trimmed)) {
    const ms = Date.parse(trimmed.replace(" ", "T"));
    return Number.isFinite(ms) ? ms : undefined;
  }
  const m = LOCAL.exec(trimmed);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second = "00"] = m.slice(1) as [string, string, string, string, string, string | undefined];
  if (+month < 1 || +month > 12 || +day < 1 || +day > 31 || +hour > 23 || +minute > 59 || +second > 59) return undefined;
  // A date that does not exist (Feb 30) comes back as another day: refuse it rather than guess.
  if (new Date(Date.UTC(+year, +month - 1, +day)).getUTCDate() !== +day) return undefined;
  return zonedToEpochMs({ year, month, day, hour, minute, second }, timezone);
}

/**
 * Checks a list/export/API request: a configured camera, readable times, `from` before `to`, at most
 * `maxMs` long. `from` and `to` default to `defaults` (list: the last 24 hours).
 */
export function checkRequest(
  input: { camera: string | undefined; from: string | undefined; to: string | undefined },
  options: { cameras: readonly CameraConfig[]; timezone: string; defaults?: () => TimeRange; maxMs?: number },
): { camera: CameraConfig; range: TimeRange } | { problem: RangeProblem } {
  const camera = options.cameras.find((c) => c.id === input.camera);
  if (!camera) {
    const known = options.cameras.map((c) => c.id).join(", ") || "none";
    const reason = input.camera ? `no camera "${input.camera}" in the config (known: ${known})` : `a camera id is needed (known: ${known})`;
    return { problem: { field: "camera", reason } };
  }
  const defaults = options.defaults?.();
  const times: Partial<Record<"from" | "to", number>> = {};
  for (const field of ["from", "to"] as const) {
    const text = input[field];
    if (text === undefined || text === "") {
      if (defaults) times[field] = defaults[`${field}Ms`];
      else return { problem: { field, reason: "a time is needed" } };
      continue;
    }
    const ms = parseTime(text, options.timezone);
    if (ms === undefined) return { problem: { field, reason: `cannot read "${text}": expected RFC 3339 (2026-11-24T14:30:00Z) or "YYYY-MM-DD HH:MM[:SS]" in ${options.timezone}` } };
    times[field] = ms;
  }
  const range = { fromMs: times.from!, toMs: times.to! };
  if (range.toMs <= range.fromMs) return { problem: { field: "to", reason: `${formatInstant(range.toMs)} is not after from (${formatInstant(range.fromMs)})` } };
  if (options.maxMs !== undefined && range.toMs - range.fromMs > options.maxMs) {
    return { problem: { field: "to", reason: `the range is ${formatLength(range.toMs - range.fromMs)} long; at most ${formatLength(options.maxMs)} per request` } };
  }
  return { camera, range };
}

/** RFC 3339 in UTC with milliseconds when there are any: `2026-11-24T14:30:00Z`, `...:00.250Z`. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** `2026-11-24 14:30:05` in `timezone`, for people. */
export function formatWall(ms: number, timezone: string): string {
  const t = wallParts(ms, timezone);
  return `${t.year}-${t.month}-${t.day} ${t.hour}:${t.minute}:${t.second}`;
}

/** `17s`, `15min`, `2h`, `1h5min3s`: whole seconds, the short form for file names and lines. */
export function formatLength(ms: number): string {
  const total = Math.round(ms / 1000);
  if (total === 0) return "0s";
  const parts: Array<[number, string]> = [[Math.floor(total / 3600), "h"], [Math.floor((total % 3600) / 60), "min"], [total % 60, "s"]];
  return parts.filter(([n]) => n > 0).map(([n, unit]) => `${n}${unit}`).join("");
}

/** "nothing recorded for camera-1 from 2026-11-24 14:10:00 to 2026-11-24 14:25:00 (UTC)" */
export function nothingRecorded(cameraId: string, range: TimeRange, timezone: string): string {
  return `nothing recorded for ${cameraId} from ${formatWall(range.fromMs, timezone)} to ${formatWall(range.toMs, timezone)} (${timezone})`;
}
