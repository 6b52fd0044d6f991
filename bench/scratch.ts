// The benchmarks' scratch space and their end: every directory they write (a soak stores ~30 GB)
// is removed when the run ends, also on failure and on Ctrl-C or SIGTERM, with every process started.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll } from "../test/fixtures/processes.ts";

const dirs: string[] = [];

/** A new directory under the system's temp dir, removed by `endRun`. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Ends every process the run started and removes its scratch directories. */
export async function endRun(): Promise<void> {
  await killAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Runs `main` and then `endRun`, whether it succeeds, fails or is interrupted. */
export async function runBenchmark(main: () => Promise<void>): Promise<void> {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => void endRun().finally(() => process.exit(signal === "SIGINT" ? 130 : 143)));
  }
  try {
    await main();
  } finally {
    await endRun();
  }
}
