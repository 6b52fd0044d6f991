/** What ffmpeg records from: a camera, or the demo's built-in synthetic camera. */
export type Source = { kind: "rtsp"; url: string } | { kind: "synthetic" };

export interface RecordArgs {
  source: Source;
  segmentSecs: number;
  audioCodec: "aac" | "copy" | "none";
  stallTimeoutSecs: number;
  /** Segment file pattern with a `%06d` counter, inside the spool's recording directory. */
  outputPattern: string;
}

/**
 * Fragmented MP4 written as it goes, so that a kill at any moment leaves a playable file:
 * - empty_moov + default_base_moof: the header is complete before the first frame;
 * - frag_keyframe starts a fragment at each keyframe, and frag_duration=0.5 s also between them,
 *   so a camera with a 4 s keyframe interval loses at most ~0.5 s, not 4 s; the muxer holds one
 *   fragment in memory: 1 s fragments cost each ffmpeg ~0.9 MB over bare ffmpeg's plain MP4 at
 *   4 Mbit/s, 0.5 s ones ~0.4 MB (PSS, BENCHMARKS.md); the extra moof boxes are ~100 bytes each;
 * - flush_packets=1 inside the segment muxer's options: without it the fragments sit in
 *   ffmpeg's buffer (a SIGKILL 3 s into a segment left a 28-byte unplayable file).
 */
export const FRAGMENTED_MP4 = "movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=500000:flush_packets=1";

/**
 * G.711 to AAC with ffmpeg's "fast" coder, not its default "twoloop": on a camera's 8 kHz speech it
 * costs a third as much (0.19 against 0.62 % of a core per camera, ffmpeg's whole cost 0.79 against
 * 1.23 %) and decodes as close to the source (SNR 37.9 against 35.9 dB; bench/audio-quality.ts,
 * BENCHMARKS.md). The bitrate stays ffmpeg's default (~40 kbit/s at 8 kHz mono).
 */
export const AAC_ENCODE = ["-c:a", "aac", "-aac_coder", "fast"];

/** The ffmpeg command line for one camera; pure, so it is tested without running anything. */
export function buildRecordArgs(options: RecordArgs): string[] {
  return [
    "-hide_banner",
    "-nostats",
    "-loglevel", "error",
    // key=value progress on stdout: the stall detector's heartbeat and the wall-clock anchor.
    "-progress", "pipe:1",
    "-stats_period", String(progressPeriodSecs(options.stallTimeoutSecs)),
    ...inputArgs(options),
    ...codecArgs(options),
    "-f", "segment",
    "-segment_time", String(options.segmentSecs),
    // Cut at the first keyframe after each wall-clock multiple of the duration (in ffmpeg's TZ).
    "-segment_atclocktime", "1",
    "-reset_timestamps", "1",
    "-segment_format", "mp4",
    "-segment_format_options", FRAGMENTED_MP4,
    // "name,start,end" on stdout the moment each segment is closed.
    "-segment_list", "pipe:1",
    "-segment_list_type", "csv",
    options.outputPattern,
  ];
}

/**
 * Four progress reports per stall timeout, so a healthy stream never looks stalled, but no more
 * than one every 2 s: each report wakes ffmpeg and the service (32 cameras, 10 s timeout: 16/s).
 */
export function progressPeriodSecs(stallTimeoutSecs: number): number {
  return Math.min(2, Math.max(0.25, stallTimeoutSecs / 4));
}

function inputArgs({ source, stallTimeoutSecs }: RecordArgs): string[] {
  if (source.kind === "synthetic") {
    return [
      "-re", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=15",
      "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000",
    ];
  }
  // ffmpeg 5 has no -stimeout: -timeout is the RTSP socket timeout in microseconds; without it a
  // silent camera hangs ffmpeg forever.
  return ["-rtsp_transport", "tcp", "-timeout", String(stallTimeoutSecs * 1_000_000), "-i", source.url];
}

function codecArgs({ source, audioCodec }: RecordArgs): string[] {
  const synthetic = source.kind === "synthetic";
  const video = synthetic
    ? ["-map", "0:v:0", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15", "-pix_fmt", "yuv420p"]
    : ["-map", "0:v:0", "-c:v", "copy"];
  if (audioCodec === "none") return [...video, "-an"];
  // Cameras send G.711 (PCMA/PCMU), which MP4 cannot hold: "aac" transcodes it.
  const audioMap = synthetic ? ["-map", "1:a:0"] : ["-map", "0:a:0?"];
  // AAC from a camera is copied only when configured: "aac" re-encodes whatever comes (a choice per
  // input codec would need the camera's SDP before ffmpeg starts: one more RTSP session per start).
  return [...video, ...audioMap, ...(audioCodec === "aac" ? AAC_ENCODE : ["-c:a", "copy"])];
}
