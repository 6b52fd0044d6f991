import { systemClock } from "../clock.ts";
import type { Config } from "../config/schema.ts";
import { EXIT } from "../errors.ts";
import type { Logger } from "../log.ts";
import { createPruner } from "../retention/create-pruner.ts";
import type { CameraOutcome } from "../retention/pruner.ts";
import { createStorage } from "../upload/create-storage.ts";
import type { CliArgs } from "./args.ts";

/** The pruner reports through its outcomes here; its log lines are the service's. */
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

/**
 * `prune [--dry-run]`: one retention run; one line per camera on stdout, problems on stderr.
 * Exit 1 when a camera's storage could not be listed or a delete failed.
 */
export async function prune(
  config: Config,
  args: CliArgs,
  out = (line: string) => process.stdout.write(`${line}\n`),
  err = (line: string) => process.stderr.write(`camera-recorder: ${line}\n`),
): Promise<number> {
  const dryRun = args.dryRun ?? false;
  const outcomes = await createPruner(config, createStorage(config), systemClock, quiet).runOnce({ dryRun });
  for (const outcome of outcomes) {
    if (outcome.error && outcome.error.startsWith("cannot list")) err(`${outcome.cameraId}: ${outcome.error}; nothing deleted`);
    else {
      out(pruneLine(outcome, dryRun));
      if (outcome.error) err(`${outcome.cameraId}: ${outcome.error}`);
    }
  }
  return outcomes.some((o) => o.error) ? EXIT.failure : EXIT.ok;
}

/** `camera-1: would delete 12 segments (1.5 GiB, 1610612736 bytes); oldest kept: camera-1/2026-11-01/14-30-00_15min.mp4` */
export function pruneLine(outcome: CameraOutcome, dryRun: boolean): string {
  const { segments, bytes } = outcome.removed;
  const verb = dryRun ? "would delete" : "deleted";
  const kept = outcome.oldestKept ? outcome.oldestKept.key : "none";
  return `${outcome.cameraId}: ${verb} ${segments} ${segments === 1 ? "segment" : "segments"} (${humanBytes(bytes)}, ${bytes} bytes); oldest kept: ${kept}`;
}

/** 1536 -> `1.5 KiB`. */
export function humanBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
