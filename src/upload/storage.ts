import { AppError } from "../errors.ts";

/** One object to store: a spool file and where it goes. */
export interface StoredObject {
  key: string;
  file: string;
  bytes: number;
  /** User metadata; its `start` (the first frame, ms) tells one segment from another. */
  metadata: Record<string, string>;
}

/** An object found by `list`. */
export interface ListedObject {
  key: string;
  bytes: number;
  /** When the storage last wrote it, ms since the epoch. */
  modifiedMs: number;
}

/** What `head` finds at a key. */
export interface ObjectInfo {
  bytes: number;
  /** User metadata (`camera-id`, `start`, `duration-secs`); the filesystem backend has none. */
  metadata: Record<string, string>;
}

/**
 * What a put found: `stored` (written now), `present` (this same segment was already there, an
 * upload before a crash: done), `taken` (a different segment holds the key: nothing was written).
 */
export type PutOutcome = "stored" | "present" | "taken";

/** Where finished segments go: S3-compatible storage or a directory. */
export interface Storage {
  /** For logs and `probe`: the endpoint and bucket or path, never a credential. */
  readonly target: string;
  /** Creates the bucket or the root directory if needed; throws StorageError when unreachable. */
  prepare(signal?: AbortSignal): Promise<void>;
  /**
   * Stores the file under the key unless an object is already there: never replaces one. Resolves
   * only once the storage confirmed it; throws StorageError, or the signal's reason when aborted.
   */
  put(object: StoredObject, signal?: AbortSignal): Promise<PutOutcome>;
  /** Every object whose key starts with `prefix`, in key order; throws StorageError if a page fails. */
  list(prefix: string, signal?: AbortSignal): AsyncGenerator<ListedObject>;
  /** Size and metadata of the object at `key`, or undefined when there is none. */
  head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined>;
  /** The object's bytes, streamed. */
  read(key: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>>;
  /** Deletes the objects (S3: DeleteObjects batches of at most 1,000); throws StorageError naming what failed. */
  remove(keys: string[], signal?: AbortSignal): Promise<void>;
}

/**
 * A failed storage operation. `retryable` is false for what waiting cannot fix (access denied, no
 * such bucket): those are still retried later, since an operator may fix them, but logged as such.
 */
export class StorageError extends AppError {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super("storage", message, 1, options);
  }
}
