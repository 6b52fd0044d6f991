import type { FootageSegment } from "./find-segments.ts";
import { JOIN_MS } from "./spans.ts";
import type { TimeRange } from "./time-range.ts";

/** One input of the concat demuxer: which segment, and the part of it to keep (seconds into it). */
export interface JoinEntry {
  index: number;
  inpointSecs?: number;
  /** Absent: the file plays to its end. */
  outpointSecs?: number;
}

export interface JoinPlan {
  entries: JoinEntry[];
  /** Holes inside the range with no recording, skipped over in the output. */
  gaps: Array<{ startMs: number; lengthMs: number }>;
  /** Wall time the output starts at (before the step back to a keyframe) and its planned length. */
  startMs: number;
  lengthMs: number;
}

/**
 * Pure: which part of each segment (oldest first, all overlapping `range`) goes into the output.
 *
 * An entry joined to the next gets an outpoint at its video's end (the segment's duration): the
 * recorder's segments carry a few AAC packets past the last video frame, and the concat demuxer
 * would otherwise start the next file after them, leaving a ~0.1 s hole in the video at each join.
 * With it, the next file's first frame follows the last one exactly. An entry before a gap gets
 * none: a segment ffmpeg closed on stopping can end on its last frame, and an outpoint rounded up
 * past that frame keeps it and starts the next file under a millisecond later (two frames on one
 * timestamp); across a gap nothing needs to abut. The first entry's inpoint makes the demuxer seek
 * to the keyframe at or before `from`; the last entry's outpoint ends at `to`.
 */
export function planJoin(segments: readonly FootageSegment[], range: TimeRange): JoinPlan {
  const entries: JoinEntry[] = [];
  const gaps: JoinPlan["gaps"] = [];
  let lengthMs = 0;
  const gapAfter = (s: FootageSegment, next: FootageSegment | undefined) => (next ? next.startMs - (s.startMs + s.durationMs) : 0);
  segments.forEach((s, index) => {
    const previous = segments[index - 1];
    if (previous && gapAfter(previous, s) > JOIN_MS) gaps.push({ startMs: previous.startMs + previous.durationMs, lengthMs: gapAfter(previous, s) });
    const inMs = Math.max(0, range.fromMs - s.startMs);
    const outMs = Math.min(s.durationMs, range.toMs - s.startMs);
    lengthMs += outMs - inMs;
    const playsToEnd = outMs === s.durationMs && gapAfter(s, segments[index + 1]) > JOIN_MS;
    entries.push({ index, ...(playsToEnd ? {} : { outpointSecs: outMs / 1000 }), ...(inMs > 0 ? { inpointSecs: inMs / 1000 } : {}) });
  });
  return { entries, gaps, startMs: Math.max(range.fromMs, segments[0]?.startMs ?? range.fromMs), lengthMs };
}

/** The ffconcat script of a plan; `url(i)` is where segment i is read from. */
export function concatScript(plan: JoinPlan, url: (index: number) => string): string {
  const lines = ["ffconcat version 1.0"];
  for (const e of plan.entries) {
    lines.push(`file '${url(e.index)}'`);
    if (e.inpointSecs !== undefined) lines.push(`inpoint ${e.inpointSecs.toFixed(3)}`);
    if (e.outpointSecs !== undefined) lines.push(`outpoint ${e.outpointSecs.toFixed(3)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Where the joined MP4 goes: a file (moov first, for `export`) or stdout as fragments (HTTP). */
export type JoinOutput = { kind: "file"; path: string } | { kind: "stream" };

/**
 * The ffmpeg command line joining the segments listed by the concat script on stdin:
 * - the concat demuxer, not the concat protocol: each segment is a complete fragmented MP4 with its
 *   own moov, so byte-joining them is no MP4; the demuxer offsets each file's timestamps by the
 *   durations before it, so they run on without a jump (no "non-monotonic DTS");
 * - the demuxer's default auto_convert (h264_mp4toannexb) stays on: it puts SPS and PPS before
 *   each keyframe that lacks them, so a camera that changed resolution between segments still
 *   decodes after the join. Camera streams carry them in-band already: their packets stay bit-exact;
 * - `-safe 0` and the protocol whitelist let the script name the loopback URLs of SegmentServer;
 * - `-c copy`: video and audio bit-exact, no re-encoding;
 * - a file gets `+faststart` (moov moved to the front once complete: it plays while it downloads);
 *   a stream cannot be rewritten afterwards, so it is fragmented (moov first, empty, then fragments).
 */
export function joinArgs(output: JoinOutput): string[] {
  const common = [
    "-hide_banner", "-nostats", "-loglevel", "error",
    "-protocol_whitelist", "pipe,file,http,tcp",
    "-f", "concat", "-safe", "0", "-i", "pipe:0",
    "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy",
  ];
  if (output.kind === "file") return [...common, "-progress", "pipe:1", "-movflags", "+faststart", "-f", "mp4", "-y", output.path];
  return [...common, "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", "pipe:1"];
}
