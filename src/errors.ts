/** Exit codes of SPEC.md: 0 success, 1 runtime failure, 2 usage or config error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * An expected failure, written for the operator: a code for programs and tests, a message for people.
 * Only the outermost edge (main.ts) turns it into an exit code and lines on stderr.
 */
export class AppError extends Error {
  override readonly name: string = "AppError";
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = EXIT.failure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The lines printed for this error; one per problem. */
  lines(): string[] {
    return [this.message];
  }
}

export class UsageError extends AppError {
  constructor(message: string) {
    super("usage", message, EXIT.usage);
  }
}

/** A config that cannot be used: every problem found, one line each. */
export class ConfigError extends AppError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super("config", `${file}: ${problems.join("; ")}`, EXIT.usage);
  }

  override lines(): string[] {
    return this.problems.map((problem) => `${this.file}: ${problem}`);
  }
}

/** The message of anything thrown, for a log line; never a stack trace. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
