import { createReadStream, createWriteStream } from "node:fs";
import { link, mkdir, open, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { describe } from "../errors.ts";
import { StorageError, type PutOutcome, type Storage, type StoredObject } from "./storage.ts";

let tempCounter = 0;

/**
 * `type = "filesystem"`: the object key as a relative path under `root`. Each file is written to a
 * temp file in the same directory and fsynced, then linked to its name: a reader (or a crash) never
 * sees half a file, and link(2), unlike rename, never replaces an existing file.
 */
export class FilesystemStorage implements Storage {
  constructor(readonly root: string) {}

  get target(): string {
    return `filesystem ${this.root}`;
  }

  async prepare(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
    } catch (error) {
      throw new StorageError(`cannot create storage directory ${this.root}: ${describe(error)}`, false, { cause: error });
    }
  }

  async put(object: StoredObject, signal?: AbortSignal): Promise<PutOutcome> {
    const target = join(this.root, object.key);
    const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${++tempCounter}.tmp`);
    try {
      await mkdir(dirname(target), { recursive: true });
      // A stream, not copyFile: an abort (shutdown) must be able to end a long copy.
      await pipeline(createReadStream(object.file, { highWaterMark: 1024 * 1024 }), createWriteStream(temp), { signal });
      await fsync(temp);
      try {
        await link(temp, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        // No metadata on a plain file: the same segment is the same bytes (a spool file never changes).
        return (await sameContent(target, object.file)) ? "present" : "taken";
      }
      await fsync(dirname(target));
      return "stored";
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const code = (error as NodeJS.ErrnoException).code;
      throw new StorageError(`cannot write ${target}: ${describe(error)}`, code !== "EACCES" && code !== "EROFS", { cause: error });
    } finally {
      await rm(temp, { force: true }).catch(() => {});
    }
  }
}

async function fsync(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function sameContent(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)]);
  if (sa.size !== sb.size) return false;
  const [ha, hb] = await Promise.all([open(a, "r"), open(b, "r")]);
  try {
    const chunk = 1024 * 1024;
    const [ba, bb] = [Buffer.alloc(chunk), Buffer.alloc(chunk)];
    for (let position = 0; position < sa.size; position += chunk) {
      const [ra, rb] = await Promise.all([ha.read(ba, 0, chunk, position), hb.read(bb, 0, chunk, position)]);
      if (ra.bytesRead !== rb.bytesRead || !ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
    return true;
  } finally {
    await Promise.all([ha.close(), hb.close()]);
  }
}
