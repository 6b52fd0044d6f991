import { statfs, writeFile, rm } from "node:fs/promises";
import type { Clock } from "../clock.ts";
import { describe } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Segment } from "./segment.ts";
import type { Spool } from "./spool.ts";

export interface DiskSnapshot {
  totalBytes: number;
  freeBytes: number;
  usageRatio: number;
  writable: boolean;
  /** Above the pressure threshold: retained uploads are being removed early. */
  pressure: boolean;
  error?: string;
  tickMs: number;
}

export interface HousekeeperDeps {
  spool: Spool;
  cameraIds: readonly string[];
  clock: Clock;
  log: Logger;
  retentionMs: number;
  /** Usage ratio above which retained uploads go regardless of retention. */
  pressureRatio: number;
  /** Free bytes below which the same happens. */
  minFreeBytes: number;
  intervalMs: number;
  /** Told of every failed run: the metrics count them. */
  onError?: () => void;
}

/**
 * Keeps the spool's disk healthy: removes uploaded segments after their retention, and earlier
 * (oldest first) when the disk runs low. Segments not yet uploaded are never touched. Also proves
 * that temp_dir is writable, for /health.
 */
export class Housekeeper {
  readonly #deps: HousekeeperDeps;
  #snapshot: DiskSnapshot;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;
  #lastLoggedError: string | undefined;

  constructor(deps: HousekeeperDeps) {
    this.#deps = deps;
    this.#snapshot = { totalBytes: 0, freeBytes: 0, usageRatio: 0, writable: true, pressure: false, tickMs: deps.clock.now() };
  }

  snapshot(): DiskSnapshot {
    return { ...this.#snapshot };
  }

  async start(): Promise<void> {
    await this.runOnce();
    this.#timer = setInterval(() => {
      this.#running ??= this.runOnce().finally(() => (this.#running = undefined));
    }, this.#deps.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  async runOnce(): Promise<void> {
    const { clock, retentionMs } = this.#deps;
    const now = clock.now();
    try {
      const uploaded = await this.#uploadedOldestFirst();
      const expired = uploaded.filter((s) => now - s.finishedMs >= retentionMs);
      await this.#remove(expired, "retention");
      let disk = await this.#measure();
      const left = uploaded.filter((s) => !expired.includes(s));
      while (disk.pressure && left.length > 0) {
        await this.#remove(left.splice(0, 10), "disk pressure");
        disk = await this.#measure();
      }
      if (disk.pressure && !this.#snapshot.pressure) this.#deps.log.warn(`temp_dir is nearly full (${(disk.usageRatio * 100).toFixed(1)}% used, ${disk.freeBytes} bytes free) and no uploaded segment is left to remove`);
      this.#snapshot = { ...disk, writable: await this.#probeWritable(), tickMs: clock.now() };
      if (this.#snapshot.error === undefined && this.#lastLoggedError !== undefined) {
        this.#deps.log.info("spool housekeeping works again");
        this.#lastLoggedError = undefined;
      }
    } catch (error) {
      const message = describe(error);
      this.#deps.onError?.();
      // Logged once, and again only when it changes: a failing cleanup must not fill the disk silently,
      // nor fill the log every 10 s.
      if (message !== this.#lastLoggedError) this.#deps.log.error(`spool housekeeping failed: ${message}; uploaded segments may pile up in temp_dir`);
      this.#lastLoggedError = message;
      this.#snapshot = { ...this.#snapshot, writable: await this.#probeWritable(), error: message, tickMs: clock.now() };
    }
  }

  async #measure(): Promise<Omit<DiskSnapshot, "writable" | "tickMs">> {
    const fs = await statfs(this.#deps.spool.root);
    const totalBytes = fs.blocks * fs.bsize;
    const freeBytes = fs.bavail * fs.bsize;
    const usageRatio = totalBytes > 0 ? 1 - fs.bfree / fs.blocks : 0;
    return { totalBytes, freeBytes, usageRatio, pressure: usageRatio > this.#deps.pressureRatio || freeBytes < this.#deps.minFreeBytes };
  }

  async #uploadedOldestFirst(): Promise<Segment[]> {
    const all = await Promise.all(this.#deps.cameraIds.map((id) => this.#deps.spool.uploaded(id)));
    return all.flat().sort((a, b) => a.finishedMs - b.finishedMs);
  }

  async #remove(segments: Segment[], why: string): Promise<void> {
    for (const s of segments) await rm(s.path, { force: true });
    if (segments.length > 0) this.#deps.log.info(`removed ${segments.length} uploaded segment(s) from the spool (${why})`);
  }

  async #probeWritable(): Promise<boolean> {
    const probe = this.#deps.spool.layout.writeProbe(process.pid);
    try {
      await writeFile(probe, "ok");
      await rm(probe, { force: true });
      if (!this.#snapshot.writable) this.#deps.log.info("temp_dir is writable again");
      return true;
    } catch (error) {
      if (this.#snapshot.writable) this.#deps.log.error(`temp_dir is not writable: ${describe(error)}`);
      return false;
    }
  }
}
