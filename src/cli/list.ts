import type { Config } from "../config/schema.ts";
import { AppError, EXIT } from "../errors.ts";
import { findSegments, footageDeps } from "../footage/find-segments.ts";
import { gapsOf, spanJson, spansOf } from "../footage/spans.ts";
import { formatLength, formatWall, nothingRecorded } from "../footage/time-range.ts";
import { locateFfmpeg } from "../recorder/ffmpeg-path.ts";
import type { CliArgs } from "./args.ts";
import { cliRequest } from "./footage-request.ts";

const DAY_MS = 86_400_000;

/** `list`: the recorded spans of a camera, oldest first, each gap a line of its own; `--json`: an array. */
export async function list(config: Config, args: CliArgs, out = (text: string) => process.stdout.write(text)): Promise<number> {
  const deps = footageDeps(config, locateFfmpeg(config.recording.ffmpeg_path, process.env.PATH));
  const now = Date.now();
  const { camera, range } = cliRequest(deps, args, () => ({ fromMs: now - DAY_MS, toMs: now }));
  const spans = spansOf(await findSegments(deps, camera, range), range);
  if (args.json) out(`${JSON.stringify(spans.map(spanJson), null, 2)}\n`);
  if (spans.length === 0) throw new AppError("nothing_recorded", nothingRecorded(camera.id, range, deps.timezone), EXIT.failure);
  if (args.json) return EXIT.ok;
  const tz = deps.timezone;
  const gaps = gapsOf(spans);
  const lines: string[] = [];
  spans.forEach((span, i) => {
    const count = `${span.segments} segment${span.segments === 1 ? "" : "s"}`;
    lines.push(`${formatWall(span.startMs, tz)} to ${formatWall(span.endMs, tz)}  ${formatLength(span.endMs - span.startMs).padEnd(9)} ${count.padEnd(13)} ${formatBytes(span.bytes)}`);
    const gap = gaps[i];
    if (gap) lines.push(`gap: nothing recorded from ${formatWall(gap.startMs, tz)} for ${formatLength(gap.endMs - gap.startMs)}`);
  });
  out(`${camera.id}, ${formatWall(range.fromMs, tz)} to ${formatWall(range.toMs, tz)} (${tz}):\n${lines.join("\n")}\n`);
  return EXIT.ok;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
