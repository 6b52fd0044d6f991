import type { CliArgs } from "../cli/args.ts";
import type { CameraConfig } from "../config/schema.ts";
import { UsageError } from "../errors.ts";
import type { FootageDeps } from "./find-segments.ts";
import { checkRequest, formatWall, type TimeRange } from "./time-range.ts";

/** list/export's --camera, --from, --to checked; a problem is a UsageError naming the flag (exit 2). */
export function cliRequest(deps: FootageDeps, args: CliArgs, defaults?: () => TimeRange): { camera: CameraConfig; range: TimeRange } {
  const checked = checkRequest({ camera: args.camera, from: args.from, to: args.to }, { cameras: deps.cameras, timezone: deps.timezone, defaults });
  if ("problem" in checked) throw new UsageError(`--${checked.problem.field}: ${checked.problem.reason}`);
  return checked;
}

/** "nothing recorded for camera-1 from 2026-11-24 14:10:00 to 2026-11-24 14:25:00 (UTC)" */
export function nothingRecorded(cameraId: string, range: TimeRange, timezone: string): string {
  return `nothing recorded for ${cameraId} from ${formatWall(range.fromMs, timezone)} to ${formatWall(range.toMs, timezone)} (${timezone})`;
}
