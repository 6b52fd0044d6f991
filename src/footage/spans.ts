import { findSegments, type FootageDeps, type FootageSegment } from "./find-segments.ts";
import { formatInstant, type TimeRange } from "./time-range.ts";

/** A stretch of uninterrupted recording: consecutive segments that join within `JOIN_MS`. */
export interface Span {
  startMs: number;
  endMs: number;
  segments: number;
  bytes: number;
}

/** `list --json` and `GET /api/recordings`: one object per span. */
export interface SpanJson {
  start: string;
  end: string;
  duration_secs: number;
  segments: number;
  bytes: number;
}

/** Segments further apart than this are separate spans, with a gap between. */
export const JOIN_MS = 1000;

/**
 * The recorded spans of a camera in `[fromMs, toMs)`, oldest first, clipped to the range (segments and
 * bytes count every segment that overlaps it). The camera must be one of `deps.cameras`.
 */
export async function findSpans(deps: FootageDeps, cameraId: string, fromMs: number, toMs: number, signal?: AbortSignal): Promise<Span[]> {
  const camera = deps.cameras.find((c) => c.id === cameraId);
  if (!camera) return [];
  return spansOf(await findSegments(deps, camera, { fromMs, toMs }, signal), { fromMs, toMs });
}

/** Pure: segments (oldest first) to spans clipped to `range`. */
export function spansOf(segments: readonly FootageSegment[], range: TimeRange): Span[] {
  const spans: Span[] = [];
  for (const s of segments) {
    const last = spans.at(-1);
    const endMs = s.startMs + s.durationMs;
    if (last && s.startMs - last.endMs <= JOIN_MS) {
      last.endMs = Math.max(last.endMs, endMs);
      last.segments++;
      last.bytes += s.bytes;
    } else {
      spans.push({ startMs: s.startMs, endMs, segments: 1, bytes: s.bytes });
    }
  }
  return spans.map((s) => ({ ...s, startMs: Math.max(s.startMs, range.fromMs), endMs: Math.min(s.endMs, range.toMs) }));
}

/** The gaps between consecutive spans. */
export function gapsOf(spans: readonly Span[]): Array<{ startMs: number; endMs: number }> {
  return spans.slice(1).map((s, i) => ({ startMs: spans[i]!.endMs, endMs: s.startMs }));
}

export function spanJson(span: Span): SpanJson {
  return {
    start: formatInstant(span.startMs),
    end: formatInstant(span.endMs),
    duration_secs: Math.round(span.endMs - span.startMs) / 1000,
    segments: span.segments,
    bytes: span.bytes,
  };
}
