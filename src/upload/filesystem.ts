import { createReadStream, createWriteStream } from "node:fs";
import { link, mkdir, open, readdir, rm, rmdir, stat } from "node:fs/promises";
import { basename, dirname, join, relative, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { describe } from "../errors.ts";
import { StorageError, type ListedObject, type ObjectInfo, type PutOutcome, type Storage, type StoredObject } from "./storage.ts";

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

  async *list(prefix: string): AsyncGenerator<ListedObject> {
    // Walk only the directory the prefix names; the rest of the prefix filters file names.
    const cut = prefix.lastIndexOf("/") + 1;
    const start = join(this.root, prefix.slice(0, cut));
    for (const path of await walk(start)) {
      const key = relative(this.root, path).split(sep).join("/");
      if (!key.startsWith(prefix) || isTempFile(key)) continue;
      const info = await stat(path).catch(() => undefined);
      if (info) yield { key, bytes: info.size, modifiedMs: info.mtimeMs };
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const info = await stat(join(this.root, key)).catch(() => undefined);
    return info?.isFile() ? { bytes: info.size, metadata: {} } : undefined;
  }

  async read(key: string): Promise<ReadableStream<Uint8Array>> {
    const path = join(this.root, key);
    if (!(await this.head(key))) throw new StorageError(`cannot read ${path}: no such file`, false);
    return Bun.file(path).stream();
  }

  /** Deletes the files, then each directory they leave empty (a date folder), never the root. */
  async remove(keys: string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const key of keys) {
      try {
        await rm(join(this.root, key), { force: true });
      } catch (error) {
        throw new StorageError(`cannot delete ${join(this.root, key)}: ${describe(error)}`, true, { cause: error });
      }
      dirs.add(dirname(join(this.root, key)));
    }
    // rmdir refuses a directory that is not empty: a folder with other files, or one a put just made, stays.
    for (const dir of dirs) {
      const below = relative(this.root, dir);
      if (below !== "" && !below.startsWith("..")) await rmdir(dir).catch(() => {});
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

/** The put's temp files (`.{name}.{pid}.tmp`) are not objects. */
function isTempFile(key: string): boolean {
  return /(^|\/)\.[^/]*\.tmp$/.test(key);
}

/** Every file below `dir`, sorted by path (a missing directory has none). */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return [];
    throw new StorageError(`cannot list ${dir}: ${describe(error)}`, true, { cause: error });
  });
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
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
