import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import { dirname } from "node:path";
import { AppError } from "../errors.ts";
import type { SpoolLayout } from "./layout.ts";

/**
 * One service per spool: two instances on one temp_dir would record every camera twice and race
 * over the same files. The lock is a file holding our pid; one whose process is gone is stale.
 */
export class SpoolLock {
  readonly #file: string;
  #held = false;

  constructor(layout: SpoolLayout) {
    this.#file = layout.lockFile;
  }

  acquire(): void {
    mkdirSync(dirname(this.#file), { recursive: true });
    for (let tries = 0; tries < 2; tries++) {
      try {
        const fd = openSync(this.#file, "wx", 0o644);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.#held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
          throw new AppError("spool_unusable", `cannot create ${this.#file}: ${(error as Error).message}`);
        }
      }
      const owner = Number(readFileSync(this.#file, "utf8").trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new AppError("spool_locked", `another camera-recorder (pid ${owner}) is already using ${dirname(this.#file)}; stop it first or give this one another recording.temp_dir`);
      }
      rmSync(this.#file, { force: true }); // stale: its process is gone
    }
    throw new AppError("spool_locked", `cannot take the lock ${this.#file}`);
  }

  release(): void {
    if (this.#held) rmSync(this.#file, { force: true });
    this.#held = false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
