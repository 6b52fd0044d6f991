import { copyFile, mkdir, open, readdir, rename, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join, basename, relative, sep } from "node:path";
import { describe } from "../errors.ts";
import { StorageError, type ListedObject, type ObjectInfo, type Storage, type StoredObject } from "./storage.ts";

/**
 * `type = "filesystem"`: the object key as a relative path under `root`. Each file is written to a
 * temp file in the same directory, fsynced, then renamed: a reader (or a crash) never sees half a file.
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

  async put(object: StoredObject): Promise<void> {
    const target = join(this.root, object.key);
    const temp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
    try {
      await mkdir(dirname(target), { recursive: true });
      await copyFile(object.file, temp);
      await fsync(temp);
      await rename(temp, target);
      await fsync(dirname(target));
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      const code = (error as NodeJS.ErrnoException).code;
      throw new StorageError(`cannot write ${target}: ${describe(error)}`, code !== "EACCES" && code !== "EROFS", { cause: error });
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
