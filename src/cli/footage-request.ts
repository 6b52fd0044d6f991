import type { CameraConfig } from "../config/schema.ts";
import { UsageError } from "../errors.ts";
import type { FootageDeps } from "../footage/find-segments.ts";
import { checkRequest, type TimeRange } from "../footage/time-range.ts";
import type { CliArgs } from "./args.ts";

/** list/export's --camera, --from, --to checked; a problem is a UsageError naming the flag (exit 2). */
export function cliRequest(deps: FootageDeps, args: CliArgs, defaults?: () => TimeRange): { camera: CameraConfig; range: TimeRange } {
  const checked = checkRequest({ camera: args.camera, from: args.from, to: args.to }, { cameras: deps.cameras, timezone: deps.timezone, defaults });
  if ("problem" in checked) throw new UsageError(`--${checked.problem.field}: ${checked.problem.reason}`);
  return checked;
}
