import { redactUrl } from "../config/redact.ts";
import type { CameraSnapshot } from "../recorder/supervisor.ts";
import type { LatestSegment } from "../spool/latest-segment.ts";
import type { ServiceSnapshot } from "./health.ts";

/** A stretch of time a camera has recordings for (the recordings API's spans, in ms). */
export interface Span {
  startMs: number;
  endMs: number;
}

/** Where the timeline's spans come from: injected, so the page does not care whether storage or spool answers. */
export type SpansSource = (cameraId: string, fromMs: number, toMs: number, signal?: AbortSignal) => Promise<Span[]>;

export type Level = "ok" | "warn" | "bad";

/**
 * A camera's state in the operator's words, with a level for colour and a glyph, so that no state is
 * told by colour alone. Failure kinds not listed here (added later) show as their own name.
 */
const WORDS: Record<string, { label: string; level: Level }> = {
  recording: { label: "Recording", level: "ok" },
  connecting: { label: "Connecting", level: "warn" },
  stopped: { label: "Stopped", level: "warn" },
  auth: { label: "Wrong password", level: "bad" },
  not_found: { label: "Path not found", level: "bad" },
  unreachable: { label: "Unreachable", level: "bad" },
  stream_ended: { label: "Stream ended", level: "warn" },
  stalled: { label: "Stalled", level: "bad" },
  busy: { label: "Busy", level: "warn" },
  crashed: { label: "ffmpeg crashed", level: "bad" },
  spawn_failed: { label: "ffmpeg missing", level: "bad" },
};

export const TIMELINE_MS = 24 * 3600_000;
/** A cut between two segments is not a gap. */
const JOIN_MS = 2000;

export interface CameraStatus {
  id: string;
  name: string;
  /** One word: "recording", "connecting", "stopped" or the failure kind ("auth", "unreachable", ...). */
  status: string;
  label: string;
  level: Level;
  /** Why it is not recording, in words; null while recording. */
  reason: string | null;
  since: string;
  last_segment_end: string | null;
  last_segment_age_secs: number | null;
  reconnects_since_start: number;
  upload_backlog: { segments: number; bytes: number; oldest_age_secs: number | null };
  /** Changes with each new segment, so a page knows when to load the picture again. */
  thumbnail: string | null;
  timeline: { from: string; to: string; spans: Array<{ start: string; end: string }>; error: string | null };
}

export interface ServiceStatus {
  version: string;
  uptime_secs: number;
  now: string;
  storage: string;
  /** IANA name the page shows times in: recording.timezone, "local" resolved. */
  timezone: string;
  disk: {
    usage_ratio: number;
    free_bytes: number;
    total_bytes: number;
    pressure: boolean;
    writable: boolean;
    /** Above this ratio or below min_free_bytes, uploaded segments are removed early. */
    pressure_ratio: number;
    min_free_bytes: number;
  };
  upload_backlog: { segments: number; bytes: number; oldest_age_secs: number | null; last_error: string | null };
}

export interface StatusModel {
  service: ServiceStatus;
  cameras: CameraStatus[];
}

export interface StatusExtras {
  storage: string;
  pressureRatio: number;
  minFreeBytes: number;
  latest: Record<string, LatestSegment | undefined>;
  timelines: Record<string, { spans: Span[]; error?: string }>;
  timezone: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ageSecs = (now: number, ms: number | undefined) => (ms === undefined ? null : Math.max(0, Math.round((now - ms) / 1000)));

export function cameraStatus(c: CameraSnapshot, s: ServiceSnapshot, extras: StatusExtras): CameraStatus {
  const now = s.nowMs;
  // A retry after a failure keeps showing that failure, so the page does not flicker to
  // "Connecting" and back at each attempt.
  const failing = (c.state === "backing_off" || c.state === "connecting") && c.lastFailure !== undefined;
  const status = failing ? c.lastFailure!.kind : c.state;
  const words = WORDS[status] ?? { label: status.replaceAll("_", " "), level: "warn" as Level };
  const latest = extras.latest[c.id];
  const backlog = s.backlog.byCamera[c.id];
  const fromMs = now - TIMELINE_MS;
  const timeline = extras.timelines[c.id] ?? { spans: [] };
  return {
    id: c.id,
    name: c.name,
    status,
    label: words.label,
    level: words.level,
    reason: failing ? `${c.lastFailure!.message}${c.state === "connecting" ? " · trying again now" : ""}` : c.state === "connecting" ? "connecting to the camera" : null,
    since: iso(c.sinceMs),
    last_segment_end: latest ? iso(latest.endMs) : null,
    last_segment_age_secs: ageSecs(now, latest?.endMs),
    reconnects_since_start: c.reconnects,
    upload_backlog: { segments: backlog?.segments ?? 0, bytes: backlog?.bytes ?? 0, oldest_age_secs: ageSecs(now, backlog?.oldestStartMs) },
    thumbnail: latest ? `/api/cameras/${encodeURIComponent(c.id)}/latest.jpg?segment=${latest.startMs}` : null,
    timeline: {
      from: iso(fromMs),
      to: iso(now),
      spans: withLatest(timeline.spans, latest)
        .filter((span) => span.endMs > fromMs && span.startMs < now)
        .map((span) => ({ start: iso(Math.max(span.startMs, fromMs)), end: iso(Math.min(span.endMs, now)) })),
      error: timeline.error ?? null,
    },
  };
}

/**
 * The spans source may be behind (cached, or storage that has not got the newest upload yet): the
 * newest finished segment in the spool joins the spans, so the timeline's right end is live.
 */
function withLatest(spans: Span[], latest: LatestSegment | undefined): Span[] {
  if (!latest) return spans;
  const all = [...spans, { startMs: latest.startMs, endMs: latest.endMs }].sort((a, b) => a.startMs - b.startMs);
  const merged: Span[] = [];
  for (const span of all) {
    const last = merged.at(-1);
    if (last && span.startMs - last.endMs <= JOIN_MS) last.endMs = Math.max(last.endMs, span.endMs);
    else merged.push({ startMs: span.startMs, endMs: span.endMs });
  }
  return merged;
}

/** Everything the status page shows, as plain data: the page renders it and /api/cameras sends it. */
export function statusModel(s: ServiceSnapshot, extras: StatusExtras): StatusModel {
  return {
    service: {
      version: s.version,
      uptime_secs: Math.round((s.nowMs - s.startedMs) / 1000),
      now: iso(s.nowMs),
      storage: extras.storage,
      timezone: extras.timezone,
      disk: {
        usage_ratio: Number(s.disk.usageRatio.toFixed(4)),
        free_bytes: s.disk.freeBytes,
        total_bytes: s.disk.totalBytes,
        pressure: s.disk.pressure,
        writable: s.disk.writable,
        pressure_ratio: extras.pressureRatio,
        min_free_bytes: extras.minFreeBytes,
      },
      upload_backlog: { segments: s.backlog.segments, bytes: s.backlog.bytes, oldest_age_secs: ageSecs(s.nowMs, s.backlog.oldestStartMs), last_error: s.backlog.lastError ? redactUrl(s.backlog.lastError) : null },
    },
    cameras: s.cameras.map((c) => cameraStatus(c, s, extras)),
  };
}
