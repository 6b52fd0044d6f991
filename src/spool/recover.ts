import { rm, stat } from "node:fs/promises";
import type { Logger } from "../log.ts";
import { forEachLine } from "../recorder/ffmpeg-process.ts";
import type { Segment, SegmentCut } from "./segment.ts";
import type { Spool } from "./spool.ts";

/** Recording files are named `{runStartMs}_{configuredSecs}_{counter}.mp4` (see recorder/run-files.ts). */
export function configuredSecsOf(file: string): number | undefined {
  const match = /(?:^|\/)\d+_(\d+)_\d+\.mp4$/.exec(file);
  return match ? Number(match[1]) : undefined;
}

/**
 * A recording file after the first of its run (counter > 0) began where ffmpeg cut on a wall-clock
 * boundary; the first began with the run (a start or reconnect). The object key depends on it.
 */
export function cutOf(file: string): SegmentCut {
  const match = /(?:^|\/)\d+_\d+_(\d+)(?:\.recovered)?\.mp4$/.exec(file);
  return match && Number(match[1]) > 0 ? "boundary" : "start";
}

/**
 * Makes the files a dead ffmpeg left in `recording/` uploadable. They are fragmented MP4, playable
 * up to their last complete fragment: a copy-remux keeps every complete fragment, drops a torn
 * last one, and tells the media duration. Files without a single frame are set aside, not deleted.
 */
export async function recoverLeftovers(spool: Spool, cameraId: string, ffmpegPath: string, log: Logger): Promise<Segment[]> {
  const recovered: Segment[] = [];
  for (const file of await spool.leftovers(cameraId)) {
    if (file.endsWith(".recovered.mp4")) {
      await rm(file, { force: true }); // a remux interrupted by an earlier crash: the original is still there
      continue;
    }
    const output = `${file.slice(0, -4)}.recovered.mp4`;
    const durationMs = await remux(ffmpegPath, file, output);
    if (!durationMs) {
      await rm(output, { force: true });
      const aside = await spool.setAsideDamaged(cameraId, file);
      log.warn("cut-short recording holds no frame; set aside", { camera_id: cameraId, file: aside });
      continue;
    }
    const info = await stat(file);
    const startMs = (await spool.notedStart(file)) ?? Math.round(info.mtimeMs - durationMs);
    const segment = await spool.commit(cameraId, output, { startMs, durationMs, configuredSecs: configuredSecsOf(file) ?? 0, cut: cutOf(file) });
    await rm(file, { force: true });
    await rm(`${file}.start`, { force: true });
    log.info("recovered cut-short segment", { camera_id: cameraId, start: new Date(startMs).toISOString(), duration_secs: durationMs / 1000 });
    recovered.push(segment);
  }
  return recovered;
}

/** Copies the complete fragments of `input` to `output`; returns the media duration in ms (0: none). */
async function remux(ffmpegPath: string, input: string, output: string): Promise<number> {
  const proc = Bun.spawn(
    [ffmpegPath, "-hide_banner", "-nostats", "-loglevel", "error", "-progress", "pipe:1", "-y", "-i", input,
      "-map", "0:v?", "-map", "0:a?", "-c", "copy", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", output],
    { stdin: "ignore", stdout: "pipe", stderr: "ignore" },
  );
  let outTimeUs = 0;
  await forEachLine(proc.stdout, (line) => {
    if (line.startsWith("out_time_us=")) outTimeUs = Number(line.slice(12)) || outTimeUs;
  });
  const code = await proc.exited;
  const size = await stat(output).then((s) => s.size).catch(() => 0);
  return code === 0 && size > 0 && outTimeUs > 0 ? Math.round(outTimeUs / 1000) : 0;
}
