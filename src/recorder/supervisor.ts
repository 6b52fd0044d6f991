import { stat } from "node:fs/promises";
import { sleep, type Clock } from "../clock.ts";
import type { CameraConfig, Config } from "../config/schema.ts";
import { describe } from "../errors.ts";
import type { Logger } from "../log.ts";
import { recoverLeftovers } from "../spool/recover.ts";
import type { Spool } from "../spool/spool.ts";
import { HEALTHY_RESET_MS, reconnectDelay } from "./backoff.ts";
import { classifyRunEnd, FAILURE_TEXT, type FailureKind } from "./failure.ts";
import { buildRecordArgs, type Source } from "./ffmpeg-args.ts";
import { parseOutputLine } from "./ffmpeg-output.ts";
import type { FfmpegProcess, SpawnFfmpeg } from "./ffmpeg-process.ts";
import type { RecorderObserver } from "./observer.ts";
import { SegmentTimeline } from "./segment-timeline.ts";
import { ClockStepDetector } from "./clock-step.ts";

export type CameraState = "connecting" | "recording" | "backing_off" | "stopped";

/** What /health, /ready and the logs know of one camera. No URL, so no secret. */
export interface CameraSnapshot {
  id: string;
  name: string;
  state: CameraState;
  sinceMs: number;
  lastFailure?: { kind: FailureKind; message: string; atMs: number };
  reconnects: number;
  ffmpegRestarts: number;
  segmentsRecorded: number;
  lastSegmentStartMs?: number;
  /** Last time the supervisor's watchdog ran: proof for /health that the loop is alive. */
  tickMs: number;
}

export interface SupervisorDeps {
  camera: CameraConfig;
  recording: Config["recording"];
  ffmpegPath: string;
  source: Source;
  spool: Spool;
  spawn: SpawnFfmpeg;
  clock: Clock;
  log: Logger;
  observer: RecorderObserver;
}

const STDERR_LINES_KEPT = 20;
const WATCHDOG_MS = 1000;
/**
 * Before the first frame, ffmpeg spends a few seconds on the RTSP handshake and on probing the
 * streams (2-3 s seen on loopback). A camera that does not answer at all is ended by ffmpeg's own
 * socket timeout (stall_timeout_secs); the watchdog gives the start this much more.
 */
const STARTUP_ALLOWANCE_MS = 10_000;

/** Keeps one camera's ffmpeg running forever, cuts its output into spool segments, says what is wrong. */
export class CameraSupervisor {
  readonly #deps: SupervisorDeps;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  readonly #forced = new AbortController();
  #snapshot: CameraSnapshot;
  #process: FfmpegProcess | undefined;
  #loop: Promise<void> | undefined;
  /** Bytes of each open recording file already counted in camera_recording_bytes_total. */
  readonly #counted = new Map<string, number>();
  readonly #clockSteps: ClockStepDetector;

  constructor(deps: SupervisorDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ camera_id: deps.camera.id });
    this.#clockSteps = new ClockStepDetector((stepMs) => this.#log.warn(`the host clock jumped ${stepMs > 0 ? "forward" : "back"} by ${Math.abs(stepMs / 1000).toFixed(1)} s; segment times follow the new clock`, { clock_step_secs: stepMs / 1000 }));
    const now = deps.clock.now();
    this.#snapshot = { id: deps.camera.id, name: deps.camera.name ?? deps.camera.id, state: "connecting", sinceMs: now, reconnects: 0, ffmpegRestarts: 0, segmentsRecorded: 0, tickMs: now };
  }

  snapshot(): CameraSnapshot {
    return { ...this.#snapshot };
  }

  start(): void {
    this.#loop ??= this.#superviseForever();
  }

  /**
   * Ends recording: ffmpeg finalizes its current segment, which is committed to the spool.
   * `forced` (a second signal, a deadline) cuts it short: ffmpeg is killed, a recovery underway
   * is abandoned (the files stay in the spool for the next start).
   */
  async stop(graceMs = 5000, forced?: AbortSignal): Promise<void> {
    const onForced = () => {
      this.#forced.abort();
      this.#process?.kill();
    };
    if (forced?.aborted) onForced();
    else forced?.addEventListener("abort", onForced, { once: true });
    this.#stop.abort();
    await this.#process?.stop(graceMs);
    await this.#loop;
  }

  async #superviseForever(): Promise<void> {
    const { clock, camera } = this.#deps;
    const signal = this.#stop.signal;
    let attempt = 0;
    await this.#recover();
    for (let run = 0; !signal.aborted; run++) {
      if (run > 0) {
        this.#snapshot.ffmpegRestarts++;
        this.#deps.observer.ffmpegRestarted(camera.id);
      }
      const outcome = await this.#recordOnce();
      await this.#recover();
      if (signal.aborted) break;
      if (outcome.recordedMs >= HEALTHY_RESET_MS) attempt = 0;
      if (outcome.recordedMs > 0) {
        this.#snapshot.reconnects++;
        this.#deps.observer.reconnected(camera.id);
      }
      const delayMs = reconnectDelay(attempt++, outcome.failure);
      this.#snapshot.lastFailure = { kind: outcome.failure, message: FAILURE_TEXT[outcome.failure], atMs: clock.now() };
      this.#log.warn(`${FAILURE_TEXT[outcome.failure]}; retrying in ${delayMs / 1000} s`, {
        failure: outcome.failure,
        exit_code: outcome.exitCode,
        ffmpeg_stderr: outcome.stderr.slice(-5),
      });
      this.#setState("backing_off");
      await this.#waitAlive(delayMs, signal);
    }
    this.#setState("stopped");
  }

  /** One ffmpeg run, from spawn to exit. */
  async #recordOnce(): Promise<{ failure: FailureKind; recordedMs: number; exitCode: number | null; stderr: string[] }> {
    const { clock, camera, recording, spool } = this.#deps;
    const layout = spool.layout;
    this.#setState("connecting");
    const runStartMs = clock.now();
    const fileOf = (index: number) => layout.recordingFile(camera.id, runStartMs, camera.segment_duration_secs, index);
    const timeline = new SegmentTimeline(runStartMs);
    const stderr: string[] = [];
    let lastOutTime = 0;
    // Durations on the monotonic clock: a stepped host clock must not look like a stall.
    const monoNow = () => performance.now();
    let lastAdvanceMs = monoNow();
    let recordingSinceMs: number | undefined;
    let stalled = false;
    let openIndex = 0;
    let commits = Promise.resolve();
    // The run's lifetime: ends with the camera's, or when ffmpeg exits (the watchdog loop with it).
    const run = new AbortController();
    const onCameraStop = () => run.abort();
    this.#stop.signal.addEventListener("abort", onCameraStop, { once: true });

    /** ffmpeg had written `outTimeSecs` of media by `now`: a progress report, or a segment's end. */
    const onMedia = (now: number, outTimeSecs: number) => {
      if (outTimeSecs <= lastOutTime) return;
      lastOutTime = outTimeSecs;
      lastAdvanceMs = monoNow();
      timeline.progress(now, outTimeSecs);
      if (recordingSinceMs !== undefined) return;
      recordingSinceMs = monoNow();
      this.#setState("recording");
      this.#deps.observer.connected(camera.id, true);
      const firstStart = timeline.firstFrameMs(now);
      commits = commits.then(() => spool.noteStart(fileOf(0), firstStart)).catch((e) => this.#log.warn(`cannot note segment start: ${describe(e)}`));
    };
    const onStdout = (line: string) => {
      const parsed = parseOutputLine(line);
      const now = clock.now();
      if (parsed.kind === "progress") {
        const stepMs = this.#clockSteps.observe(now);
        if (stepMs !== 0) timeline.clockStepped(stepMs);
        onMedia(now, parsed.outTimeSecs);
        const file = fileOf(openIndex);
        commits = commits.then(() => this.#countWritten(file));
      } else if (parsed.kind === "segment") {
        // A segment closed before the first progress report (a loaded machine) anchors the clock itself.
        onMedia(now, parsed.endSecs);
        const segment = timeline.segment(parsed.startSecs, parsed.endSecs, now);
        openIndex++;
        const file = layout.recordingFileNamed(camera.id, parsed.file);
        commits = commits.then(() => this.#commit(file, segment)).catch((e) => this.#log.error(`cannot move a finished segment into the spool: ${describe(e)}`));
      }
    };
    const onStderr = (line: string) => {
      stderr.push(line);
      if (stderr.length > STDERR_LINES_KEPT) stderr.shift();
      this.#log.debug("ffmpeg", { stderr: line });
    };

    let proc: FfmpegProcess;
    try {
      proc = this.#deps.spawn({
        command: [this.#deps.ffmpegPath, ...buildRecordArgs({ source: this.#deps.source, segmentSecs: camera.segment_duration_secs, audioCodec: recording.audio_codec, stallTimeoutSecs: recording.stall_timeout_secs, outputPattern: layout.recordingPattern(camera.id, runStartMs, camera.segment_duration_secs) })],
        env: { ...process.env, ...(recording.timezone === "local" ? {} : { TZ: recording.timezone }) },
        onStdoutLine: onStdout,
        onStderrLine: onStderr,
      });
    } catch (error) {
      this.#stop.signal.removeEventListener("abort", onCameraStop);
      return { failure: "spawn_failed", recordedMs: 0, exitCode: null, stderr: [describe(error)] };
    }
    this.#process = proc;
    this.#log.info("ffmpeg started", { pid: proc.pid });

    // The watchdog: a loop owned by the run, not a timer nobody stops.
    const watchdog = (async () => {
      while (await sleep(clock, WATCHDOG_MS, run.signal)) {
        this.#snapshot.tickMs = clock.now();
        const allowedMs = recording.stall_timeout_secs * 1000 + (recordingSinceMs === undefined ? STARTUP_ALLOWANCE_MS : 0);
        if (!stalled && monoNow() - lastAdvanceMs > allowedMs) {
          stalled = true;
          this.#log.warn(`no media for ${Math.round(allowedMs / 1000)} s: restarting ffmpeg`);
          await proc.stop(1000);
          return;
        }
      }
    })();
    const exitCode = await proc.exited;
    const exitedMs = monoNow();
    run.abort();
    this.#stop.signal.removeEventListener("abort", onCameraStop);
    await watchdog;
    this.#process = undefined;
    await commits;
    if (recordingSinceMs !== undefined) this.#deps.observer.connected(camera.id, false);
    const recordedMs = recordingSinceMs === undefined ? 0 : exitedMs - recordingSinceMs;
    const failure = classifyRunEnd({ exitCode, stalledByWatchdog: stalled, recordedMs, silentMs: exitedMs - lastAdvanceMs, stallTimeoutMs: recording.stall_timeout_secs * 1000, stderr });
    return { failure, recordedMs, exitCode, stderr };
  }

  /** Counts what ffmpeg wrote to `file` since the last count: camera_recording_bytes_total moves as it is written. */
  async #countWritten(file: string): Promise<void> {
    const size = await stat(file).then((s) => s.size).catch(() => undefined);
    if (size === undefined) return;
    const counted = this.#counted.get(file) ?? 0;
    if (size > counted) {
      this.#counted.set(file, size);
      this.#deps.observer.recordingBytes(this.#deps.camera.id, size - counted);
    }
  }

  /** A file leaves the recording directory: count what was not counted yet, never more than once. */
  #countFinal(file: string, bytes: number): void {
    const counted = this.#counted.get(file) ?? 0;
    this.#counted.delete(file);
    if (bytes > counted) this.#deps.observer.recordingBytes(this.#deps.camera.id, bytes - counted);
  }

  async #commit(file: string, s: { startMs: number; durationMs: number; endMs: number }): Promise<void> {
    const { spool, camera } = this.#deps;
    await spool.noteStart(spool.layout.nextRecordingFile(file), s.endMs);
    if (s.durationMs <= 0) {
      // Not a single frame (seen when ffmpeg was stopped right after a cut): never uploaded, kept aside.
      this.#counted.delete(file);
      const aside = await spool.setAsideDamaged(camera.id, file);
      this.#log.warn("segment without a frame; set aside", { file: aside });
      return;
    }
    const segment = await spool.commit(camera.id, file, { startMs: s.startMs, durationMs: s.durationMs, configuredSecs: camera.segment_duration_secs, cut: spool.layout.cutOf(file) });
    this.#countFinal(file, segment.bytes);
    this.#snapshot.segmentsRecorded++;
    this.#snapshot.lastSegmentStartMs = segment.startMs;
    this.#log.info("segment recorded", { start: new Date(segment.startMs).toISOString(), duration_secs: segment.durationMs / 1000, bytes: segment.bytes });
    this.#deps.observer.segmentRecorded(segment);
  }

  async #recover(): Promise<void> {
    const { spool, camera, ffmpegPath } = this.#deps;
    try {
      for (const { segment, from } of await recoverLeftovers(spool, camera.id, ffmpegPath, this.#log, this.#forced.signal)) {
        this.#countFinal(from, segment.bytes);
        this.#deps.observer.segmentRecorded(segment);
      }
      await spool.removeStrayNotes(camera.id);
    } catch (error) {
      this.#log.error(`cannot recover cut-short recordings: ${describe(error)}`);
    }
  }

  /** Sleeps for the backoff while still proving to /health that this loop is alive. */
  async #waitAlive(ms: number, signal: AbortSignal): Promise<void> {
    const { clock } = this.#deps;
    const until = clock.now() + ms;
    while (!signal.aborted && clock.now() < until) {
      this.#snapshot.tickMs = clock.now();
      if (!(await sleep(clock, Math.min(WATCHDOG_MS, until - clock.now()), signal))) return;
    }
  }

  #setState(state: CameraState): void {
    if (this.#snapshot.state === state) return;
    this.#snapshot.state = state;
    this.#snapshot.sinceMs = this.#deps.clock.now();
    if (state === "recording") this.#log.info("recording");
  }
}
