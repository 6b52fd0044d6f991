import { copyFile, mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join, basename } from "node:path";
import { describe } from "../errors.ts";
import { StorageError, type Storage, type StoredObject } from "./storage.ts";

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

async function fsync(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
