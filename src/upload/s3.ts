import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import type { StorageConfig } from "../config/schema.ts";
import { describe } from "../errors.ts";
import { StorageError, type ListedObject, type ObjectInfo, type PutOutcome, type Storage, type StoredObject } from "./storage.ts";

/** Reads of 1 MiB instead of the default 64 KiB: fewer round trips through the event loop. */
const READ_CHUNK = 1024 * 1024;

/** What waiting cannot fix; everything else (network, 5xx, throttling) is worth retrying. */
const PERMANENT = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "NoSuchBucket", "AllAccessDisabled", "InvalidBucketName"]);

/**
 * S3-compatible storage through @aws-sdk/client-s3. Multipart is written by hand rather than with
 * lib-storage so that every PUT and every part carries Content-MD5: the server then rejects a
 * truncated body instead of storing it (Bun's node:http client has an open report of streamed
 * bodies cut short). Bodies are streamed from disk, so memory does not grow with the file's size.
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

  async prepare(signal?: AbortSignal): Promise<void> {
    const Bucket = this.config.bucket;
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket }), { abortSignal: signal });
      return;
    } catch (error) {
      if (statusOf(error) !== 404) throw toStorageError(`cannot reach bucket ${Bucket}`, error);
      if (!this.config.create_bucket) throw new StorageError(`bucket ${Bucket} does not exist (storage.create_bucket = false)`, false);
    }
    try {
      await this.#client.send(new CreateBucketCommand({ Bucket }), { abortSignal: signal });
    } catch (error) {
      const name = (error as Error).name;
      if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw toStorageError(`cannot create bucket ${Bucket}`, error);
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncGenerator<ListedObject> {
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, ContinuationToken }), { abortSignal: signal });
      } catch (error) {
        throw toStorageError(`cannot list ${this.config.bucket}/${prefix}`, error);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) yield { key: o.Key, bytes: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() ?? 0 };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: key }), { abortSignal: signal });
      return { bytes: out.ContentLength ?? 0, metadata: out.Metadata ?? {} };
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw toStorageError(`cannot read ${key}`, error);
    }
  }

  async read(key: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key }), { abortSignal: signal });
      if (!out.Body) throw new StorageError(`cannot read ${key}: empty response`, true);
      return out.Body.transformToWebStream() as ReadableStream<Uint8Array>;
    } catch (error) {
      throw toStorageError(`cannot read ${key}`, error);
    }
  }

  async remove(keys: string[], signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      let out;
      try {
        const command = withContentMd5(new DeleteObjectsCommand({ Bucket: this.config.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
        out = await this.#client.send(command, { abortSignal: signal });
      } catch (error) {
        throw toStorageError(`cannot delete ${batch.length} object(s) from ${this.config.bucket}`, error);
      }
      const failed = out.Errors ?? [];
      if (failed.length > 0) throw new StorageError(`cannot delete ${failed.length} object(s), e.g. ${failed[0]!.Key}: ${failed[0]!.Code ?? "error"}`, true);
    }
  }

  /**
   * Never replaces an object. A HEAD first, since not every server honours a conditional write
   * (s3rver 3.7.1 ignores If-None-Match on PUT and on CompleteMultipartUpload); then the write
   * with `If-None-Match: *`, which closes the gap between the two where the server does honour it.
   * Credentials allowed to write but not to read (HEAD answers 403) rely on that condition alone;
   * a re-upload after a crash then cannot be told from a different segment and goes to `-2`.
   */
  async put(object: StoredObject, signal?: AbortSignal): Promise<PutOutcome> {
    const holder = await this.#holder(object, signal);
    if (holder) return holder;
    return object.bytes <= this.partSizeBytes ? await this.#putWhole(object, signal) : await this.#putMultipart(object, signal);
  }

  /** What holds the key now: `present` (this segment), `taken` (another one), or undefined: free, or not ours to read. */
  async #holder(object: StoredObject, signal: AbortSignal | undefined): Promise<Exclude<PutOutcome, "stored"> | undefined> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: object.key }), { abortSignal: signal });
      return sameSegment(head.Metadata ?? {}, object.metadata) ? "present" : "taken";
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || status === 403) return undefined;
      throw toStorageError(`cannot check ${object.key}`, error);
    }
  }

  async #putWhole(object: StoredObject, signal: AbortSignal | undefined): Promise<PutOutcome> {
    try {
      const ContentMD5 = await md5Of(object.file, 0, object.bytes);
      await this.#client.send(new PutObjectCommand({ ...this.#head(object), Body: rangeOf(object.file, 0, object.bytes), ContentLength: object.bytes, ContentMD5, IfNoneMatch: "*" }), { abortSignal: signal });
      return "stored";
    } catch (error) {
      // Another writer got there between our HEAD and PUT.
      if (statusOf(error) === 412) return (await this.#holder(object, signal)) ?? "taken";
      throw toStorageError(`upload of ${object.key} failed`, error);
    }
  }

  async #putMultipart(object: StoredObject, signal: AbortSignal | undefined): Promise<PutOutcome> {
    const { Bucket, Key } = this.#head(object);
    let UploadId: string | undefined;
    try {
      ({ UploadId } = await this.#client.send(new CreateMultipartUploadCommand(this.#head(object)), { abortSignal: signal }));
      const Parts: Array<{ ETag: string | undefined; PartNumber: number }> = [];
      for (let offset = 0, PartNumber = 1; offset < object.bytes; offset += this.partSizeBytes, PartNumber++) {
        const length = Math.min(this.partSizeBytes, object.bytes - offset);
        const ContentMD5 = await md5Of(object.file, offset, length);
        const { ETag } = await this.#client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: rangeOf(object.file, offset, length), ContentLength: length, ContentMD5 }), { abortSignal: signal });
        Parts.push({ ETag, PartNumber });
      }
      // The parts took a while: complete only if the key is still free.
      const holder = await this.#holder(object, signal);
      if (holder) {
        await this.#abort(Key, UploadId);
        return holder;
      }
      await this.#client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts }, IfNoneMatch: "*" }), { abortSignal: signal });
      return "stored";
    } catch (error) {
      await this.#abort(Key, UploadId);
      if (statusOf(error) === 412) return (await this.#holder(object, signal)) ?? "taken";
      throw toStorageError(`multipart upload of ${object.key} failed`, error);
    }
  }

  async #abort(Key: string, UploadId: string | undefined): Promise<void> {
    // Not under the signal: an aborted upload's parts must not stay behind in the bucket.
    if (UploadId) await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.config.bucket, Key, UploadId })).catch(() => {});
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

/**
 * DeleteObjects needs Content-MD5 on MinIO, Ceph and other S3 servers ("Missing required header for
 * this request: Content-Md5"); under `requestChecksumCalculation: WHEN_REQUIRED` the SDK sends only
 * a CRC32 (aws-sdk-js-v3 issue 6920). The body is the serialized XML, a string, by this step.
 */
function withContentMd5(command: DeleteObjectsCommand): DeleteObjectsCommand {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      if (request.headers && (typeof request.body === "string" || request.body instanceof Uint8Array)) {
        request.headers["content-md5"] = createHash("md5").update(request.body).digest("base64");
      }
      return next(args);
    },
    { step: "build", name: "deleteObjectsContentMd5" },
  );
  return command;
}

/**
 * A byte range of a file as a stream body. Streams, not buffers: the SDK signs a buffer's payload
 * (a SHA-256 pass that made a 185 MB PUT 2.6x slower here) and holds it in memory; a stream is read
 * from disk as it is sent.
 */
function rangeOf(file: string, start: number, length: number): ReadStream | Uint8Array {
  return length === 0 ? new Uint8Array(0) : createReadStream(file, { start, end: start + length - 1, highWaterMark: READ_CHUNK });
}

/** Content-MD5 of a byte range, read as a stream (the send reads it again, from the page cache). */
async function md5Of(file: string, start: number, length: number): Promise<string> {
  const hash = createHash("md5");
  if (length > 0) for await (const chunk of createReadStream(file, { start, end: start + length - 1, highWaterMark: READ_CHUNK })) hash.update(chunk);
  return hash.digest("base64");
}

/** The same segment: same camera and the same first-frame time (S3 lowercases metadata names). */
function sameSegment(stored: Record<string, string>, ours: Record<string, string>): boolean {
  return stored.start === ours.start && stored["camera-id"] === ours["camera-id"];
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function toStorageError(what: string, error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.code ?? e.name ?? "Error";
  const detail = [name, status ? `HTTP ${status}` : undefined, e.message && e.message !== name ? e.message : undefined].filter(Boolean).join(", ");
  return new StorageError(`${what}: ${detail}`, !PERMANENT.has(e.name ?? "") && status !== 403, { cause: error });
}
