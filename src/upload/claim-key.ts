import type { Segment } from "../spool/segment.ts";
import { objectKey, objectMetadata } from "./key.ts";
import { StorageError, type Storage } from "./storage.ts";

/** A segment whose every key up to this copy is held by other segments is not stored; a bug, or an attack. */
export const MAX_COPIES = 100;

export interface Claim {
  /** The key the segment is stored under. */
  key: string;
  /** Its copy number: 1 for the plain key, 2 for `-2`, ... */
  copy: number;
  /** False when this segment was already there (uploaded before a crash). */
  written: boolean;
}

/**
 * Stores a segment under the first key no *different* segment holds: `{HH-MM-SS}_{D}.mp4`, then
 * `-2`, `-3`, ... This is the one rule that keeps two segments from overwriting each other, whatever
 * the clocks did. `from` is the copy the last attempt reached, so retries of one segment probe
 * from where they stopped and keep the key they chose; `onProbe` reports each copy tried.
 * Claims of one base key are serialised within the process (the HEAD fallback alone is not atomic).
 */
export class KeyClaims {
  readonly #busy = new Map<string, Promise<unknown>>();

  constructor(
    readonly storage: Storage,
    readonly keyPrefix: string,
    readonly timezone: string,
  ) {}

  async store(segment: Segment, options: { from?: number; signal?: AbortSignal; onProbe?: (copy: number) => void } = {}): Promise<Claim> {
    const base = objectKey(segment, this.keyPrefix, this.timezone);
    const before = this.#busy.get(base) ?? Promise.resolve();
    const mine = before.catch(() => {}).then(() => this.#probe(segment, options));
    this.#busy.set(base, mine);
    try {
      return await mine;
    } finally {
      if (this.#busy.get(base) === mine) this.#busy.delete(base);
    }
  }

  async #probe(segment: Segment, { from = 1, signal, onProbe }: { from?: number; signal?: AbortSignal; onProbe?: (copy: number) => void }): Promise<Claim> {
    const metadata = objectMetadata(segment);
    for (let copy = from; copy <= MAX_COPIES; copy++) {
      onProbe?.(copy);
      const key = objectKey(segment, this.keyPrefix, this.timezone, copy);
      const outcome = await this.storage.put({ key, file: segment.path, bytes: segment.bytes, metadata }, signal);
      if (outcome !== "taken") return { key, copy, written: outcome === "stored" };
    }
    throw new StorageError(`${objectKey(segment, this.keyPrefix, this.timezone)} and its ${MAX_COPIES - 1} numbered keys are all held by other segments`, false);
  }
}
