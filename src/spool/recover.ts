import { rm, stat } from "node:fs/promises";
import type { Logger } from "../log.ts";
import { forEachLine } from "../recorder/ffmpeg-process.ts";
import { tiedCommand } from "../recorder/tied-spawn.ts";
import type { Segment } from "./segment.ts";
import type { Spool } from "./spool.ts";

const REMUX_TIMEOUT_MS = 60_000;

/**
 * Makes the files a dead ffmpeg left in `recording/` uploadable. They are fragmented MP4, playable
 * up to their last complete fragment: a copy-remux keeps every complete fragment, drops a torn
 * last one, and tells the media duration. Files without a single frame are set aside, not deleted.
 */
export async function recoverLeftovers(spool: Spool, cameraId: string, ffmpegPath: string, log: Logger, signal?: AbortSignal): Promise<Array<{ segment: Segment; from: string }>> {
  const recovered: Array<{ segment: Segment; from: string }> = [];
  for (const file of await spool.leftovers(cameraId)) {
    if (spool.layout.isRecoveredFile(file)) {
      await rm(file, { force: true }); // a remux interrupted by an earlier crash: the original is still there
      continue;
    }
    const output = spool.layout.recoveredFile(file);
    const durationMs = await remux(ffmpegPath, file, output, signal);
    if (durationMs === "interrupted") {
      // Stopped now, or hung: the file stays as it is for the next attempt (or the next start).
      await rm(output, { force: true });
      log.warn("recovery of a cut-short recording interrupted; the file stays in the spool", { camera_id: cameraId, file });
      break;
    }
    if (!durationMs) {
      await rm(output, { force: true });
      const aside = await spool.setAsideDamaged(cameraId, file);
      log.warn("cut-short recording holds no frame; set aside", { camera_id: cameraId, file: aside });
      continue;
    }
    const info = await stat(file);
    const startMs = (await spool.notedStart(file)) ?? Math.round(info.mtimeMs - durationMs);
    const segment = await spool.commit(cameraId, output, { startMs, durationMs, configuredSecs: spool.layout.configuredSecsOf(file) ?? 0, cut: spool.layout.cutOf(file) });
    await rm(file, { force: true });
    await rm(spool.layout.startNote(file), { force: true });
    log.info("recovered cut-short segment", { camera_id: cameraId, start: new Date(startMs).toISOString(), duration_secs: durationMs / 1000 });
    recovered.push({ segment, from: file });
  }
  return recovered;
}

/** Copies the complete fragments of `input` to `output`; returns the media duration in ms (0: none). */
async function remux(ffmpegPath: string, input: string, output: string, signal?: AbortSignal): Promise<number | "interrupted"> {
  // A copy-remux takes a second or two; one that hangs must not hold the camera (or the shutdown).
  const timeout = AbortSignal.timeout(REMUX_TIMEOUT_MS);
  const proc = Bun.spawn(
    tiedCommand([ffmpegPath, "-hide_banner", "-nostats", "-loglevel", "error", "-progress", "pipe:1", "-y", "-i", input,
      "-map", "0:v?", "-map", "0:a?", "-c", "copy", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", output]),
    { stdin: "ignore", stdout: "pipe", stderr: "ignore", signal: signal ? AbortSignal.any([signal, timeout]) : timeout, killSignal: "SIGKILL" },
  );
  let outTimeUs = 0;
  await forEachLine(proc.stdout, (line) => {
    if (line.startsWith("out_time_us=")) outTimeUs = Number(line.slice(12)) || outTimeUs;
  });
  const code = await proc.exited;
  if (timeout.aborted || signal?.aborted) return "interrupted";
  const size = await stat(output).then((s) => s.size).catch(() => 0);
  return code === 0 && size > 0 && outTimeUs > 0 ? Math.round(outTimeUs / 1000) : 0;
}
