import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import type { StorageConfig } from "../config/schema.ts";
import { describe } from "../errors.ts";
import { StorageError, type Storage, type StoredObject } from "./storage.ts";

/** What waiting cannot fix; everything else (network, 5xx, throttling) is worth retrying. */
const PERMANENT = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "NoSuchBucket", "AllAccessDisabled", "InvalidBucketName"]);

/**
 * S3-compatible storage through @aws-sdk/client-s3. Multipart is written by hand rather than with
 * lib-storage so that every PUT and every part carries Content-MD5: the server then rejects a
 * truncated body instead of storing it. A file is read part by part from disk, so memory is bounded
 * by `part_size_mb` per upload in flight, whatever the file's size.
 */
export class S3Storage implements Storage {
  readonly #client: S3Client;

  constructor(
    readonly config: StorageConfig,
    readonly partSizeBytes: number,
  ) {
    this.#client = new S3Client(clientConfig(config));
  }

  get target(): string {
    return `s3 ${this.config.endpoint ?? "aws"} bucket ${this.config.bucket}`;
  }

  async prepare(): Promise<void> {
    const Bucket = this.config.bucket;
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket }));
      return;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 404) throw toStorageError(`cannot reach bucket ${Bucket}`, error);
      if (!this.config.create_bucket) throw new StorageError(`bucket ${Bucket} does not exist (storage.create_bucket = false)`, false);
    }
    try {
      await this.#client.send(new CreateBucketCommand({ Bucket }));
    } catch (error) {
      const name = (error as Error).name;
      if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw toStorageError(`cannot create bucket ${Bucket}`, error);
    }
  }

  async put(object: StoredObject): Promise<void> {
    const handle = await open(object.file, "r").catch((error) => {
      throw new StorageError(`cannot read ${object.file}: ${describe(error)}`, true, { cause: error });
    });
    try {
      if (object.bytes <= this.partSizeBytes) await this.#putWhole(handle, object);
      else await this.#putMultipart(handle, object);
    } finally {
      await handle.close();
    }
  }

  async #putWhole(handle: FileHandle, object: StoredObject): Promise<void> {
    const body = await readPart(handle, 0, object.bytes);
    try {
      await this.#client.send(new PutObjectCommand({ ...this.#head(object), Body: body, ContentLength: body.length, ContentMD5: md5(body) }));
    } catch (error) {
      throw toStorageError(`upload of ${object.key} failed`, error);
    }
  }

  async #putMultipart(handle: FileHandle, object: StoredObject): Promise<void> {
    const { Bucket, Key } = this.#head(object);
    let UploadId: string | undefined;
    try {
      ({ UploadId } = await this.#client.send(new CreateMultipartUploadCommand(this.#head(object))));
      const Parts: Array<{ ETag: string | undefined; PartNumber: number }> = [];
      for (let offset = 0, PartNumber = 1; offset < object.bytes; offset += this.partSizeBytes, PartNumber++) {
        const body = await readPart(handle, offset, Math.min(this.partSizeBytes, object.bytes - offset));
        const { ETag } = await this.#client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body, ContentLength: body.length, ContentMD5: md5(body) }));
        Parts.push({ ETag, PartNumber });
      }
      await this.#client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }));
    } catch (error) {
      if (UploadId) await this.#client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => {});
      throw toStorageError(`multipart upload of ${object.key} failed`, error);
    }
  }

  #head(object: StoredObject) {
    return { Bucket: this.config.bucket, Key: object.key, ContentType: "video/mp4", Metadata: object.metadata };
  }
}

function clientConfig(config: StorageConfig): S3ClientConfig {
  return {
    region: config.region,
    forcePathStyle: config.force_path_style,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.access_key_id && config.secret_access_key
      ? { credentials: { accessKeyId: config.access_key_id, secretAccessKey: config.secret_access_key } }
      : {}),
    // SDK >= 3.729 adds CRC32 checksums in aws-chunked framing by default; SeaweedFS stored the
    // framing inside objects, Ceph and R2 rejected it. Send checksums only where S3 requires them.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // Retries are the uploader's, with the configured backoff; a hung connection must not hang it.
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
  };
}

async function readPart(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await handle.read(buffer, read, length - read, position + read);
    if (bytesRead === 0) throw new StorageError(`file shrank while uploading (expected ${length} bytes at ${position})`, true);
    read += bytesRead;
  }
  return buffer;
}

function md5(body: Uint8Array): string {
  return createHash("md5").update(body).digest("base64");
}

function toStorageError(what: string, error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.code ?? e.name ?? "Error";
  const detail = [name, status ? `HTTP ${status}` : undefined, e.message && e.message !== name ? e.message : undefined].filter(Boolean).join(", ");
  return new StorageError(`${what}: ${detail}`, !PERMANENT.has(e.name ?? "") && status !== 403, { cause: error });
}
