import { readdir } from "node:fs/promises";
import { parseSegmentFileName } from "./segment.ts";
import type { Spool } from "./spool.ts";

/** Segments closer than this count as one span (a cut between segments is not a gap). */
const JOIN_MS = 2000;

/**
 * Recorded spans of a camera from the segments still in the local spool (pending and uploaded).
 * Only what the spool still holds (local_retention_minutes): the storage's spans are the whole story.
 */
export async function spoolSpans(spool: Spool, cameraId: string, fromMs: number, toMs: number): Promise<Array<{ startMs: number; endMs: number }>> {
  const segments: Array<{ startMs: number; endMs: number }> = [];
  for (const state of ["pending", "uploaded"] as const) {
    for (const name of await readdir(spool.dir(cameraId, state)).catch(() => [] as string[])) {
      const meta = parseSegmentFileName(name);
      if (meta && meta.startMs < toMs && meta.startMs + meta.durationMs > fromMs) segments.push({ startMs: meta.startMs, endMs: meta.startMs + meta.durationMs });
    }
  }
  segments.sort((a, b) => a.startMs - b.startMs);
  const spans: Array<{ startMs: number; endMs: number }> = [];
  for (const s of segments) {
    const last = spans.at(-1);
    if (last && s.startMs - last.endMs <= JOIN_MS) last.endMs = Math.max(last.endMs, s.endMs);
    else spans.push({ ...s });
  }
  return spans;
}
