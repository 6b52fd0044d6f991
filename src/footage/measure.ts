import { dirname, join } from "node:path";
import type { FootageDeps, FootageSegment } from "./find-segments.ts";
import { JOIN_MS } from "./spans.ts";

/**
 * Segments known only by their key (the filesystem backend keeps no metadata) get their video's
 * duration from ffprobe, and a start chained to the end of the segment before when the key's
 * second agrees with it: the concat demuxer needs each file's exact video duration to join
 * without a jump. Segments that cannot be probed keep their estimate.
 */
export async function measureInexact(deps: FootageDeps, segments: readonly FootageSegment[]): Promise<FootageSegment[]> {
  const measured = [...segments];
  let next = 0;
  // A few probes at once: a day of 15 min segments is 96 files.
  const worker = async () => {
    while (next < measured.length) {
      const i = next++;
      const s = measured[i]!;
      const file = s.exact ? undefined : s.locations.find((l) => l.kind === "file");
      const secs = file?.kind === "file" ? await videoDurationSecs(deps.ffmpegPath, file.path) : undefined;
      if (secs !== undefined) measured[i] = { ...s, durationMs: Math.round(secs * 1000) };
    }
  };
  await Promise.all(Array.from({ length: PROBES_AT_ONCE }, worker));
  const out: FootageSegment[] = [];
  for (const s of measured) {
    const previous = out.at(-1);
    const previousEnd = previous ? previous.startMs + previous.durationMs : undefined;
    const chain = !s.exact && previousEnd !== undefined && Math.abs(s.startMs - previousEnd) <= JOIN_MS + 500;
    out.push(chain ? { ...s, startMs: previousEnd } : s);
  }
  return out;
}

const PROBES_AT_ONCE = 4;

/** The first video stream's duration by ffprobe (beside the configured ffmpeg), or undefined. */
export async function videoDurationSecs(ffmpegPath: string, file: string): Promise<number | undefined> {
  const ffprobe = ffmpegPath.includes("/") ? join(dirname(ffmpegPath), "ffprobe") : "ffprobe";
  try {
    const proc = Bun.spawn([ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=duration", "-of", "csv=p=0", file], { stdout: "pipe", stderr: "ignore", stdin: "ignore" });
    const text = await new Response(proc.stdout).text();
    const value = Number.parseFloat(text);
    return (await proc.exited) === 0 && Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
