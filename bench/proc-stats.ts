import { readFileSync } from "node:fs";
import { listProcesses } from "../src/spool/orphans.ts";

const TICKS = 100; // USER_HZ on Linux

export interface ProcessUsage {
  cpuSecs: number;
  peakRssBytes: number;
}

/** CPU time and peak RSS of a live process, from /proc (peak: VmHWM). */
export function usageOf(pid: number): ProcessUsage | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuSecs = (Number(fields[11]) + Number(fields[12])) / TICKS;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return { cpuSecs, peakRssBytes: hwm ? Number(hwm[1]) * 1024 : 0 };
  } catch {
    return undefined;
  }
}

/** Pids of processes whose command line matches. */
export function pidsWhere(match: (args: string[]) => boolean): number[] {
  return listProcesses()
    .filter(({ args }) => match(args))
    .map(({ pid }) => pid);
}

/**
 * Samples a set of processes once a second and keeps the last CPU reading and the peak RSS of
 * each, so that processes which exit before the end are still counted.
 */
export class UsageSampler {
  readonly #last = new Map<number, ProcessUsage>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(readonly pids: () => number[]) {}

  start(): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), 1000);
  }

  sample(): void {
    for (const pid of this.pids()) {
      const usage = usageOf(pid);
      const before = this.#last.get(pid);
      // A zombie reads as zero memory: keep the highest of every reading, never a lower one.
      if (usage) this.#last.set(pid, { cpuSecs: Math.max(usage.cpuSecs, before?.cpuSecs ?? 0), peakRssBytes: Math.max(usage.peakRssBytes, before?.peakRssBytes ?? 0) });
    }
  }

  stop(): { cpuSecs: number; peakRssBytes: number; sumPeakRssBytes: number; processes: number } {
    this.sample();
    clearInterval(this.#timer);
    const all = [...this.#last.values()];
    return {
      cpuSecs: all.reduce((s, u) => s + u.cpuSecs, 0),
      peakRssBytes: Math.max(0, ...all.map((u) => u.peakRssBytes)),
      sumPeakRssBytes: all.reduce((s, u) => s + u.peakRssBytes, 0),
      processes: all.length,
    };
  }
}
