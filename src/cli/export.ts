import { rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { Config } from "../config/schema.ts";
import { AppError, EXIT } from "../errors.ts";
import { findSegments, footageDeps } from "../footage/find-segments.ts";
import { startJoin } from "../footage/join.ts";
import { planJoin } from "../footage/join-plan.ts";
import { measureInexact, videoDurationSecs } from "../footage/measure.ts";
import { formatLength, formatWall, nothingRecorded } from "../footage/time-range.ts";
import { forEachLine } from "../recorder/ffmpeg-process.ts";
import { locateFfmpeg } from "../recorder/ffmpeg-path.ts";
import { wallParts } from "../zoned-time.ts";
import type { CliArgs } from "./args.ts";
import { cliRequest } from "./footage-request.ts";

/**
 * `export`: one MP4 of the range, video and audio copied, moov first. Written under a temporary
 * name beside the output and renamed once complete: never a half file under the final name.
 */
export async function exportClip(config: Config, args: CliArgs, err = (text: string) => process.stderr.write(text)): Promise<number> {
  const deps = footageDeps(config, locateFfmpeg(config.recording.ffmpeg_path, process.env.PATH));
  const tz = deps.timezone;
  const { camera, range } = cliRequest(deps, args);
  const segments = await measureInexact(deps, await findSegments(deps, camera, range));
  if (segments.length === 0) throw new AppError("nothing_recorded", nothingRecorded(camera.id, range, tz), EXIT.failure);
  const plan = planJoin(segments, range);
  const output = resolve(args.output ?? defaultName(camera.id, plan.startMs, plan.lengthMs, tz));
  const temp = join(dirname(output), `.${basename(output)}.${process.pid}.part`);
  if (plan.startMs > range.fromMs) err(`nothing recorded from ${formatWall(range.fromMs, tz)}: starting at ${formatWall(plan.startMs, tz)}\n`);
  for (const gap of plan.gaps) err(`gap: nothing recorded from ${formatWall(gap.startMs, tz)} for ${formatLength(gap.lengthMs)}; skipped\n`);
  const last = segments.at(-1)!;
  if (last.startMs + last.durationMs < range.toMs) err(`nothing recorded after ${formatWall(last.startMs + last.durationMs, tz)}: the clip ends there\n`);

  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const join = startJoin(deps, segments, plan, { kind: "file", path: temp }, interrupted.signal);
    const startedAt = Date.now();
    let lastReport = startedAt;
    await forEachLine(join.stdout, (line) => {
      const m = /^out_time_us=(\d+)/.exec(line);
      if (!m || Date.now() - lastReport < 1000) return;
      lastReport = Date.now();
      const doneSecs = Number(m[1]) / 1e6;
      err(`exporting: ${Math.round(doneSecs)} s of ${Math.round(plan.lengthMs / 1000)} s\n`);
    });
    const { code, errors } = await join.exited;
    if (interrupted.signal.aborted) throw new AppError("interrupted", "export interrupted; nothing written");
    if (code !== 0) throw new AppError("export_failed", `ffmpeg could not join the segments (exit ${code}): ${errors.split("\n").slice(-3).join(" / ")}`);
    await rename(temp, output);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await rm(temp, { force: true });
  }
  const secs = await videoDurationSecs(deps.ffmpegPath, output);
  const earlier = secs === undefined ? 0 : secs - plan.lengthMs / 1000;
  if (plan.entries[0]?.inpointSecs !== undefined && earlier >= 0.05) err(`starts ${earlier.toFixed(1)} s before --from, at the keyframe at or before it\n`);
  err(`wrote ${output} (${secs === undefined ? formatLength(plan.lengthMs) : `${secs.toFixed(1)} s`})\n`);
  return EXIT.ok;
}

/** `{camera_id}_{YYYYMMDD-HHMMSS}_{duration}.mp4`, the start in recording.timezone: `cam_20261124-141000_15min.mp4`. */
export function defaultName(cameraId: string, startMs: number, lengthMs: number, timezone: string): string {
  const t = wallParts(startMs, timezone);
  return `${cameraId}_${t.year}${t.month}${t.day}-${t.hour}${t.minute}${t.second}_${formatLength(lengthMs)}.mp4`;
}
