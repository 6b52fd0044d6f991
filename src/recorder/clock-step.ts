/**
 * Notices the host clock being stepped (NTP correcting by minutes, an operator setting the date):
 * between two observations, wall-clock time and monotonic time must advance alike. The monotonic
 * clock is never stepped (faketime leaves it alone with DONT_FAKE_MONOTONIC=1).
 */
export const CLOCK_STEP_MIN_MS = 2000;

export class ClockStepDetector {
  #last: { wallMs: number; monoMs: number } | undefined;

  constructor(
    private readonly onStep: (stepMs: number) => void = () => {},
    private readonly monotonicMs: () => number = () => performance.now(),
  ) {}

  /** Feed the wall clock's `now`; returns the step since the last call (0: none). */
  observe(wallMs: number): number {
    const monoMs = this.monotonicMs();
    const last = this.#last;
    this.#last = { wallMs, monoMs };
    if (!last) return 0;
    const stepMs = Math.round(wallMs - last.wallMs - (monoMs - last.monoMs));
    if (Math.abs(stepMs) < CLOCK_STEP_MIN_MS) return 0;
    this.onStep(stepMs);
    return stepMs;
  }
}
