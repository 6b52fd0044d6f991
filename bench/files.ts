// What a recording kept, measured from its files: media duration (ffprobe), segments, the largest
// gap between consecutive segments, and when the first file appeared.

/** Media duration of one file in seconds (ffprobe's format duration), 0 if unreadable. */
export async function mediaSecs(path: string): Promise<number> {
  const proc = Bun.spawn(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path], { stdout: "pipe", stderr: "ignore" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const secs = Number.parseFloat(out);
  return Number.isFinite(secs) ? secs : 0;
}

/** Runs `work` over `items`, `width` at a time. */
export async function pool<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  }));
  return out;
}

/** One camera's segments in order: where each starts on a common timeline (s) and its media seconds. */
export interface CameraFiles {
  paths: string[];
  /** Start of each segment on the camera's timeline, seconds; same order as paths. */
  starts: number[];
}

export interface Kept {
  segments: number;
  /** Media seconds kept, averaged per camera. */
  mediaPerCamera: number;
  /** Largest time between a segment's start and the furthest end of the segments before it, over all cameras, seconds. */
  largestGap: number;
  /** Seconds from spawn to each camera's first PLAY (the first frame follows at once): median and largest. */
  firstFrameMedian: number;
  firstFrameMax: number;
  /** Seconds of video the cameras sent to this recorder's sessions, averaged per camera (the farm counts them). */
  sentPerCamera: number;
}

export async function measureKept(cameras: CameraFiles[], firstFrames: number[], sentPerCamera: number): Promise<Kept> {
  let segments = 0;
  let media = 0;
  let largestGap = 0;
  const firsts = [...firstFrames].sort((a, b) => a - b);
  for (const camera of cameras) {
    const durations = await pool(camera.paths, 2, mediaSecs);
    segments += camera.paths.length;
    media += durations.reduce((a, b) => a + b, 0);
    // Against the furthest end so far, not the previous segment's: when a starved camera's first
    // frames came late, the service names the first segment late and the next one where the
    // anchor puts it, so the first can overlap the second (names, not media; wall-clock.ts).
    let furthestEnd = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < camera.paths.length; k++) {
      const start = camera.starts[k]!;
      if (!Number.isFinite(start)) continue; // bare ffmpeg's unlisted last segment: no known start
      if (Number.isFinite(furthestEnd)) largestGap = Math.max(largestGap, start - furthestEnd);
      furthestEnd = Math.max(furthestEnd, start + durations[k]!);
    }
  }
  return {
    segments,
    mediaPerCamera: media / Math.max(1, cameras.length),
    largestGap: Math.max(0, largestGap),
    firstFrameMedian: firsts[Math.floor(firsts.length / 2)] ?? Number.NaN,
    firstFrameMax: firsts.at(-1) ?? Number.NaN,
    sentPerCamera,
  };
}
