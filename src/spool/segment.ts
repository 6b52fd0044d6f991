/**
 * How a segment began: cut by ffmpeg on a wall-clock boundary, or the first one of an ffmpeg run
 * (after a start or a reconnect). The object key names the boundary for the one, the second of the
 * first frame for the other (see upload/key.ts).
 */
export type SegmentCut = "boundary" | "start";

/** A finished segment in the spool: everything needed to name and upload it survives in its file name. */
export interface Segment {
  cameraId: string;
  /** Wall-clock time of the first frame, ms since the epoch. */
  startMs: number;
  /** Media duration, ms. */
  durationMs: number;
  /** The camera's segment_duration_secs when it was recorded: the `{D}` of the key. */
  configuredSecs: number;
  cut: SegmentCut;
  /** Where the file is now. */
  path: string;
  bytes: number;
  /** When it was finished (file mtime): the start of the upload latency. */
  finishedMs: number;
}

type NameFields = Pick<Segment, "startMs" | "durationMs" | "configuredSecs" | "cut">;

const NAME = /^(\d+)_(\d+)_(\d+)_([bs])(?:_(\d+))?\.mp4$/;
/** Spools written before the key named the boundary: `{keySec}_{startMs}_{durationMs}_{configuredSecs}.mp4`. */
const OLD_NAME = /^\d+_(\d+)_(\d+)_(\d+)\.mp4$/;

/**
 * `{startMs}_{durationMs}_{configuredSecs}_{b|s}.mp4`, sorting oldest first by name. `copy` > 1
 * tells apart two segments of one camera with the same start (a clock set back): `_2`, `_3`, ...
 * Only the spool's own file names; the object key's uniqueness is the storage's (upload/claim-key.ts).
 */
export function segmentFileName(s: NameFields, copy = 1): string {
  return `${s.startMs}_${s.durationMs}_${s.configuredSecs}_${s.cut === "boundary" ? "b" : "s"}${copy > 1 ? `_${copy}` : ""}.mp4`;
}

export function parseSegmentFileName(name: string): NameFields | undefined {
  const match = NAME.exec(name);
  if (match) {
    const [startMs, durationMs, configuredSecs] = match.slice(1, 4).map(Number) as [number, number, number];
    return { startMs, durationMs, configuredSecs, cut: match[4] === "b" ? "boundary" : "start" };
  }
  const old = OLD_NAME.exec(name);
  if (!old) return undefined;
  const [startMs, durationMs, configuredSecs] = old.slice(1, 4).map(Number) as [number, number, number];
  return { startMs, durationMs, configuredSecs, cut: "start" };
}
