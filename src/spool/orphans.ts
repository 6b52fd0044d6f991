import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import type { SpoolLayout } from "./layout.ts";

/**
 * ffmpeg processes still writing into this spool, left by an instance that died in a way none of
 * the safeguards caught. They are found by their output path in /proc (Linux), so a new start
 * never records a camera twice. Returns the pids it ended.
 */
export async function endOrphanedFfmpeg(layout: SpoolLayout): Promise<number[]> {
  // Paths compared resolved, against the orphan's own working directory: an instance started with a
  // relative temp_dir ("./spool") gave its ffmpeg relative paths.
  const orphans = listProcesses().filter((p) => p.pid !== process.pid && p.args.some((a) => a.endsWith("ffmpeg")) && writesInto(p, layout));
  for (const { pid } of orphans) signal(pid, "SIGTERM");
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && orphans.some(({ pid }) => alive(pid))) await Bun.sleep(100);
  for (const { pid } of orphans) if (alive(pid)) signal(pid, "SIGKILL");
  return orphans.map((p) => p.pid);
}

function writesInto(p: { pid: number; args: string[] }, layout: SpoolLayout): boolean {
  let cwd: string;
  try {
    cwd = readlinkSync(`/proc/${p.pid}/cwd`);
  } catch {
    cwd = "/"; // not ours to read: only absolute paths can match
  }
  return p.args.some((a) => !a.startsWith("-") && layout.contains(a, cwd));
}

/** Every process with its command line, from /proc (empty where there is no /proc). */
export function listProcesses(): Array<{ pid: number; args: string[] }> {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return []; // no /proc: nothing to find
  }
  return entries.flatMap((entry) => {
    try {
      return [{ pid: Number(entry), args: readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean) }];
    } catch {
      return [];
    }
  });
}

/** Alive and not a zombie. */
export function alive(pid: number): boolean {
  try {
    if (/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"))) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {}
}
