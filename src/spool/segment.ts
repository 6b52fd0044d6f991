/** A finished segment in the spool: everything needed to name and upload it survives in its file name. */
export interface Segment {
  cameraId: string;
  /** Wall-clock time of the first frame, ms since the epoch. */
  startMs: number;
  /** Media duration, ms. */
  durationMs: number;
  /** The camera's segment_duration_secs when it was recorded: the `{D}` of the key. */
  configuredSecs: number;
  /** Epoch second named in the object key: the start second, unique per camera (see Spool.commit). */
  keySec: number;
  /** Where the file is now. */
  path: string;
  bytes: number;
  /** When it was finished (file mtime): the start of the upload latency. */
  finishedMs: number;
}

const NAME = /^(\d+)_(\d+)_(\d+)_(\d+)\.mp4$/;

/** `{keySec}_{startMs}_{durationMs}_{configuredSecs}.mp4`: sorts oldest first by name. */
export function segmentFileName(s: Pick<Segment, "keySec" | "startMs" | "durationMs" | "configuredSecs">): string {
  return `${s.keySec}_${s.startMs}_${s.durationMs}_${s.configuredSecs}.mp4`;
}

export function parseSegmentFileName(name: string): Pick<Segment, "keySec" | "startMs" | "durationMs" | "configuredSecs"> | undefined {
  const match = NAME.exec(name);
  if (!match) return undefined;
  const [keySec, startMs, durationMs, configuredSecs] = match.slice(1).map(Number) as [number, number, number, number];
  return { keySec, startMs, durationMs, configuredSecs };
}
