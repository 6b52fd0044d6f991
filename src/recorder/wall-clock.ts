/**
 * Maps stream time (seconds since ffmpeg's first frame) to wall-clock time.
 *
 * Each progress report gives an estimate `now - outTime` of the wall time of stream time 0. Frames
 * reach ffmpeg only after they were captured, so every estimate is late by some delay: the smallest
 * one seen is the best. The anchor then stays fixed for the whole ffmpeg run, so consecutive
 * segments (start = anchor + stream start) leave no gap and no overlap. A camera clock slower than
 * ours makes every estimate later: when the smallest estimate of a whole window is later than the
 * anchor by more than `MAX_DRIFT_MS`, the anchor follows it.
 */
export const MAX_DRIFT_MS = 500;
const WINDOW_MS = 60_000;

export class WallClockAnchor {
  #anchorMs: number | undefined;
  #windowStartMs = 0;
  #windowMinMs = Infinity;

  /** Feed one observation: ffmpeg had written `outTimeSecs` of media at wall time `nowMs`. */
  observe(nowMs: number, outTimeSecs: number): void {
    if (outTimeSecs <= 0) return;
    const estimate = nowMs - outTimeSecs * 1000;
    if (this.#anchorMs === undefined || estimate < this.#anchorMs) this.#anchorMs = estimate;
    this.#windowMinMs = Math.min(this.#windowMinMs, estimate);
    if (nowMs - this.#windowStartMs < WINDOW_MS) return;
    if (this.#windowMinMs - this.#anchorMs > MAX_DRIFT_MS) this.#anchorMs = this.#windowMinMs;
    this.#windowStartMs = nowMs;
    this.#windowMinMs = Infinity;
  }

  get known(): boolean {
    return this.#anchorMs !== undefined;
  }

  /** Wall-clock ms of a stream time; `fallbackMs` when no observation came yet. */
  wallTime(streamSecs: number, fallbackMs: number): number {
    return Math.round((this.#anchorMs ?? fallbackMs) + streamSecs * 1000);
  }
}
