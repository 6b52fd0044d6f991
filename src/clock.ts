/** Time as a dependency: the real one in the service, a hand-driven one in tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  delay(ms: number, options?: { signal?: AbortSignal }): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  delay: (ms, { signal } = {}) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** Waits like `clock.delay` but resolves `false` instead of rejecting when the signal aborts. */
export async function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  try {
    await clock.delay(ms, { signal });
    return true;
  } catch {
    return false;
  }
}
