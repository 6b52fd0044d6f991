import { StorageError, type ListedObject, type ObjectInfo, type PutOutcome, type Storage } from "../../src/upload/storage.ts";

/** An in-memory Storage: objects by key; listings can be made to fail after some objects. */
export class StorageDouble implements Storage {
  readonly target = "double";
  readonly objects = new Map<string, { bytes: number; modifiedMs: number }>();
  readonly removeCalls: string[][] = [];
  /** The next listing throws after yielding this many objects (then the setting clears). */
  failListingAfter: number | undefined;

  async prepare(): Promise<void> {}
  async put(): Promise<PutOutcome> {
    throw new Error("not used");
  }

  async *list(prefix: string): AsyncGenerator<ListedObject> {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    let yielded = 0;
    for (const key of keys) {
      if (this.failListingAfter !== undefined && yielded === this.failListingAfter) {
        this.failListingAfter = undefined;
        throw new StorageError(`cannot list bucket/${prefix}: InternalError, HTTP 500`, true);
      }
      const o = this.objects.get(key)!;
      yielded++;
      yield { key, bytes: o.bytes, modifiedMs: o.modifiedMs };
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const o = this.objects.get(key);
    return o && { bytes: o.bytes, metadata: {} };
  }

  async read(): Promise<ReadableStream<Uint8Array>> {
    throw new Error("not used");
  }

  async remove(keys: string[]): Promise<void> {
    this.removeCalls.push(keys);
    for (const key of keys) this.objects.delete(key);
  }
}
