/**
 * Delay after failed attempt number `failures` (1 for the first failure): retry_backoff_secs * 2^n,
 * 5, 10, 20, 40, 80 s by default. After `maxRetries` retries the round is over: the error is
 * reported and the segment waits one more doubling before a new round begins.
 */
export function uploadRetryDelayMs(failures: number, backoffSecs: number, maxRetries: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), maxRetries);
  return backoffSecs * 1000 * 2 ** exponent;
}

/** True when this failure ends a round of retries (it is then logged as an error and counted). */
export function roundExhausted(failures: number, maxRetries: number): boolean {
  return failures > maxRetries;
}
