import { basename, join } from "node:path";
import { sleep, type Clock } from "../clock.ts";
import type { CameraConfig, Config } from "../config/schema.ts";
import { describe } from "../errors.ts";
import type { Logger } from "../log.ts";
import { cutOf, recoverLeftovers } from "../spool/recover.ts";
import type { Spool } from "../spool/spool.ts";
import { HEALTHY_RESET_MS, reconnectDelay } from "./backoff.ts";
import { classifyFailure, FAILURE_TEXT, type FailureKind } from "./failure.ts";
import { buildRecordArgs, type Source } from "./ffmpeg-args.ts";
import { parseOutputLine } from "./ffmpeg-output.ts";
import type { FfmpegProcess, SpawnFfmpeg } from "./ffmpeg-process.ts";
import type { RecorderObserver } from "./observer.ts";
import { SegmentTimeline } from "./segment-timeline.ts";

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
  #snapshot: CameraSnapshot;
  #process: FfmpegProcess | undefined;
  #loop: Promise<void> | undefined;

  constructor(deps: SupervisorDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ camera_id: deps.camera.id });
    const now = deps.clock.now();
    this.#snapshot = { id: deps.camera.id, name: deps.camera.name ?? deps.camera.id, state: "connecting", sinceMs: now, reconnects: 0, ffmpegRestarts: 0, segmentsRecorded: 0, tickMs: now };
  }

  snapshot(): CameraSnapshot {
    return { ...this.#snapshot };
  }

  start(): void {
    this.#loop ??= this.#superviseForever();
  }

  /** Ends recording: ffmpeg finalizes its current segment, which is committed to the spool. */
  async stop(graceMs = 5000): Promise<void> {
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
    this.#setState("connecting");
    const runStartMs = clock.now();
    const dir = spool.dir(camera.id, "recording");
    const fileOf = (index: number) => join(dir, `${runStartMs}_${camera.segment_duration_secs}_${String(index).padStart(6, "0")}.mp4`);
    const timeline = new SegmentTimeline(runStartMs);
    const stderr: string[] = [];
    let lastOutTime = 0;
    let lastAdvanceMs = runStartMs;
    let recordingSinceMs: number | undefined;
    let stalled = false;
    let commits = Promise.resolve();

    const onStdout = (line: string) => {
      const parsed = parseOutputLine(line);
      const now = clock.now();
      if (parsed.kind === "progress" && parsed.outTimeSecs > lastOutTime) {
        lastOutTime = parsed.outTimeSecs;
        lastAdvanceMs = now;
        timeline.progress(now, parsed.outTimeSecs);
        if (recordingSinceMs === undefined) {
          recordingSinceMs = now;
          this.#setState("recording");
          this.#deps.observer.connected(camera.id, true);
          const firstStart = timeline.firstFrameMs(now);
          commits = commits.then(() => spool.noteStart(fileOf(0), firstStart)).catch((e) => this.#log.warn(`cannot note segment start: ${describe(e)}`));
        }
      } else if (parsed.kind === "segment") {
        const segment = timeline.segment(parsed.startSecs, parsed.endSecs);
        commits = commits.then(() => this.#commit(join(dir, basename(parsed.file)), segment)).catch((e) => this.#log.error(`cannot move a finished segment into the spool: ${describe(e)}`));
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
        command: [this.#deps.ffmpegPath, ...buildRecordArgs({ source: this.#deps.source, segmentSecs: camera.segment_duration_secs, audioCodec: recording.audio_codec, stallTimeoutSecs: recording.stall_timeout_secs, outputPattern: fileOf(0).replace(/\d{6}\.mp4$/, "%06d.mp4") })],
        env: { ...process.env, ...(recording.timezone === "local" ? {} : { TZ: recording.timezone }) },
        onStdoutLine: onStdout,
        onStderrLine: onStderr,
      });
    } catch (error) {
      return { failure: "spawn_failed", recordedMs: 0, exitCode: null, stderr: [describe(error)] };
    }
    this.#process = proc;
    this.#log.info("ffmpeg started", { pid: proc.pid });

    const watchdog = setInterval(() => {
      this.#snapshot.tickMs = clock.now();
      const allowedMs = recording.stall_timeout_secs * 1000 + (recordingSinceMs === undefined ? STARTUP_ALLOWANCE_MS : 0);
      if (!stalled && !this.#stop.signal.aborted && clock.now() - lastAdvanceMs > allowedMs) {
        stalled = true;
        this.#log.warn(`no media for ${Math.round(allowedMs / 1000)} s: restarting ffmpeg`);
        void proc.stop(1000);
      }
    }, WATCHDOG_MS);
    const exitCode = await proc.exited;
    clearInterval(watchdog);
    this.#process = undefined;
    await commits;
    if (recordingSinceMs !== undefined) this.#deps.observer.connected(camera.id, false);
    const recordedMs = recordingSinceMs === undefined ? 0 : clock.now() - recordingSinceMs;
    // A camera that never sent a frame within the stall timeout did not answer: unreachable.
    const failure: FailureKind = stalled ? (recordedMs > 0 ? "stalled" : "unreachable") : exitCode === 0 && recordedMs > 0 ? "stream_ended" : classifyFailure(stderr);
    return { failure, recordedMs, exitCode, stderr };
  }

  async #commit(file: string, s: { startMs: number; durationMs: number; endMs: number }): Promise<void> {
    const { spool, camera } = this.#deps;
    const segment = await spool.commit(camera.id, file, { startMs: s.startMs, durationMs: s.durationMs, configuredSecs: camera.segment_duration_secs, cut: cutOf(file) });
    const next = file.replace(/(\d{6})\.mp4$/, (_m, n: string) => `${String(Number(n) + 1).padStart(6, "0")}.mp4`);
    await spool.noteStart(next, s.endMs);
    this.#snapshot.segmentsRecorded++;
    this.#snapshot.lastSegmentStartMs = segment.startMs;
    this.#log.info("segment recorded", { start: new Date(segment.startMs).toISOString(), duration_secs: segment.durationMs / 1000, bytes: segment.bytes });
    this.#deps.observer.segmentRecorded(segment);
  }

  async #recover(): Promise<void> {
    const { spool, camera, ffmpegPath } = this.#deps;
    try {
      for (const segment of await recoverLeftovers(spool, camera.id, ffmpegPath, this.#log)) this.#deps.observer.segmentRecorded(segment);
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
