import { AppError } from "../errors.ts";

/** One object to store: a spool file and where it goes. */
export interface StoredObject {
  key: string;
  file: string;
  bytes: number;
  metadata: Record<string, string>;
}

/** Where finished segments go: S3-compatible storage or a directory. */
export interface Storage {
  /** For logs and `probe`: the endpoint and bucket or path, never a credential. */
  readonly target: string;
  /** Creates the bucket or the root directory if needed; throws StorageError when unreachable. */
  prepare(): Promise<void>;
  /** Stores the file under the key; returns only once the storage confirmed it. */
  put(object: StoredObject): Promise<void>;
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
