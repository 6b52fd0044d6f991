/**
 * Maps stream time (seconds since ffmpeg's first frame) to wall-clock time.
 *
 * Each progress report gives an estimate `now - outTime` of the wall time of stream time 0. Frames
 * reach ffmpeg only after they were captured, so every estimate is late by some delay: the smallest
 * one seen is the best. (The burst in which ffmpeg writes what it buffered while probing the
 * streams gives the smallest estimates of all; later ones carry the steady processing delay.)
 *
 * A camera clock slower than ours makes the estimates creep later and later. That is told apart
 * from the steady delay by comparing the smallest estimate of each minute with that of the first
 * steady minute: once it has crept by more than MAX_DRIFT_MS, the anchor moves by as much.
 */
export const MAX_DRIFT_MS = 500;
const WINDOW_MS = 60_000;

export class WallClockAnchor {
  #anchorMs: number | undefined;
  #windowStartMs: number | undefined;
  #windowMinMs = Infinity;
  #windowsSeen = 0;
  #baselineMs: number | undefined;

  /** Feed one observation: ffmpeg had written `outTimeSecs` of media at wall time `nowMs`. */
  observe(nowMs: number, outTimeSecs: number): void {
    if (outTimeSecs <= 0) return;
    const estimate = nowMs - outTimeSecs * 1000;
    if (this.#anchorMs === undefined || estimate < this.#anchorMs) this.#anchorMs = estimate;
    this.#windowStartMs ??= nowMs;
    this.#windowMinMs = Math.min(this.#windowMinMs, estimate);
    if (nowMs - this.#windowStartMs < WINDOW_MS) return;
    // The first minute holds the start-up burst: the baseline is the second minute's.
    if (++this.#windowsSeen === 2) this.#baselineMs = this.#windowMinMs;
    else if (this.#baselineMs !== undefined && this.#windowMinMs - this.#baselineMs > MAX_DRIFT_MS) {
      this.#anchorMs += this.#windowMinMs - this.#baselineMs;
      this.#baselineMs = this.#windowMinMs;
    }
    this.#windowStartMs = nowMs;
    this.#windowMinMs = Infinity;
  }

  /** The host clock was stepped by `stepMs`: every earlier estimate is off by as much. */
  shift(stepMs: number): void {
    if (this.#anchorMs !== undefined) this.#anchorMs += stepMs;
    if (this.#baselineMs !== undefined) this.#baselineMs += stepMs;
    if (this.#windowMinMs !== Infinity) this.#windowMinMs += stepMs;
    if (this.#windowStartMs !== undefined) this.#windowStartMs += stepMs;
  }

  get known(): boolean {
    return this.#anchorMs !== undefined;
  }

  /** Wall-clock ms of a stream time; `fallbackMs` when no observation came yet. */
  wallTime(streamSecs: number, fallbackMs: number): number {
    return Math.round((this.#anchorMs ?? fallbackMs) + streamSecs * 1000);
  }
}
