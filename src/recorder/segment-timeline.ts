import { MAX_DRIFT_MS, WallClockAnchor } from "./wall-clock.ts";

/**
 * The wall-clock start and duration of each segment of one ffmpeg run. Each segment starts exactly
 * where the previous one ended, whatever later progress reports teach the anchor: no gap, no
 * overlap. Only when the anchored time and the chain disagree by more than MAX_DRIFT_MS (a camera
 * clock drifting from ours) does the chain follow the anchor.
 */
export class SegmentTimeline {
  readonly #anchor = new WallClockAnchor();
  #chainEndMs: number | undefined;

  constructor(readonly runStartMs: number) {}

  /** A progress report: `outTimeSecs` of media were written by wall time `nowMs`. */
  progress(nowMs: number, outTimeSecs: number): void {
    this.#anchor.observe(nowMs, outTimeSecs);
  }

  /** The host clock was stepped: the anchor follows the new clock at once, the chain breaks there. */
  clockStepped(stepMs: number): void {
    this.#anchor.shift(stepMs);
  }

  /** Wall time of the run's first frame, as far as known by `nowMs`. */
  firstFrameMs(nowMs: number): number {
    return this.#anchor.wallTime(0, nowMs);
  }

  /**
   * A finished segment, from its stream start and end in seconds, reported at `nowMs`. The report
   * itself says that `endSecs` of media were written by then: on a loaded machine ffmpeg can close
   * the first segment before its first progress report, and the spawn time is no anchor (a 0.5 s
   * gap after the first segment was seen).
   */
  segment(startSecs: number, endSecs: number, nowMs?: number): { startMs: number; durationMs: number; endMs: number } {
    if (nowMs !== undefined) this.#anchor.observe(nowMs, endSecs);
    const anchored = this.#anchor.wallTime(startSecs, this.runStartMs);
    const chained = this.#chainEndMs;
    const startMs = chained !== undefined && Math.abs(chained - anchored) <= MAX_DRIFT_MS ? chained : anchored;
    const durationMs = Math.round((endSecs - startSecs) * 1000);
    this.#chainEndMs = startMs + durationMs;
    return { startMs, durationMs, endMs: this.#chainEndMs };
  }
}
