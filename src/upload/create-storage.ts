import type { Config } from "../config/schema.ts";
import { FilesystemStorage } from "./filesystem.ts";
import { S3Storage } from "./s3.ts";
import type { Storage } from "./storage.ts";

export function createStorage(config: Config): Storage {
  if (config.storage.type === "filesystem") return new FilesystemStorage(config.storage.path!);
  return new S3Storage(config.storage, config.upload.part_size_mb * 1024 * 1024);
}
