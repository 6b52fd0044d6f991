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

/** Proportional set size (shared pages divided among their sharers), from /proc/PID/smaps_rollup. */
export function pssOf(pid: number): number | undefined {
  try {
    const pss = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return pss ? Number(pss[1]) * 1024 : undefined;
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
  #peakPss = 0;
  #lastPss = 0;
  #steadyPss = 0;
  #samples = 0;

  constructor(readonly pids: () => number[], readonly intervalMs = 1000) {}

  start(): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
  }

  sample(): void {
    const pids = this.pids();
    // PSS summed over the processes alive at this moment (shared libraries counted once in all).
    let pss = 0;
    for (const pid of pids) pss += pssOf(pid) ?? 0;
    this.#peakPss = Math.max(this.#peakPss, pss);
    this.#lastPss = pss;
    this.#samples++;
    for (const pid of pids) {
      const usage = usageOf(pid);
      const before = this.#last.get(pid);
      // A zombie reads as zero memory: keep the highest of every reading, never a lower one.
      if (usage) this.#last.set(pid, { cpuSecs: Math.max(usage.cpuSecs, before?.cpuSecs ?? 0), peakRssBytes: Math.max(usage.peakRssBytes, before?.peakRssBytes ?? 0) });
    }
  }

  /** Samples now and keeps this PSS sum as the steady state (call it before stopping anything). */
  markSteady(): void {
    this.sample();
    this.#steadyPss = this.#lastPss;
  }

  stop(): { cpuSecs: number; peakRssBytes: number; sumPeakRssBytes: number; peakPssBytes: number; lastPssBytes: number; processes: number } {
    this.sample();
    clearInterval(this.#timer);
    const all = [...this.#last.values()];
    return {
      cpuSecs: all.reduce((s, u) => s + u.cpuSecs, 0),
      peakRssBytes: Math.max(0, ...all.map((u) => u.peakRssBytes)),
      sumPeakRssBytes: all.reduce((s, u) => s + u.peakRssBytes, 0),
      peakPssBytes: this.#peakPss,
      lastPssBytes: this.#steadyPss,
      processes: all.length,
    };
  }
}
