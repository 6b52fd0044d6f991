import type { Server } from "bun";
import type { Clock } from "./clock.ts";
import type { Config } from "./config/schema.ts";
import { describe } from "./errors.ts";
import { footageDeps } from "./footage/find-segments.ts";
import { Metrics } from "./http/metrics.ts";
import { recordingsRoutes } from "./http/recordings-api.ts";
import { createHandler, startHttpServer } from "./http/server.ts";
import type { Logger } from "./log.ts";
import type { Source } from "./recorder/ffmpeg-args.ts";
import { locateFfmpeg } from "./recorder/ffmpeg-path.ts";
import { createSpawner } from "./recorder/ffmpeg-process.ts";
import type { RecorderObserver } from "./recorder/observer.ts";
import { CameraSupervisor } from "./recorder/supervisor.ts";
import { Housekeeper } from "./spool/housekeeper.ts";
import { SpoolLock } from "./spool/lock.ts";
import { endOrphanedFfmpeg } from "./spool/orphans.ts";
import { Spool } from "./spool/spool.ts";
import { createStorage } from "./upload/create-storage.ts";
import { Uploader } from "./upload/uploader.ts";
import { VERSION } from "./version.ts";

export interface ServiceOptions {
  config: Config;
  log: Logger;
  clock: Clock;
  /** Where each camera's video comes from; the demo swaps in its synthetic camera. */
  sourceOf?: (camera: Config["cameras"][number]) => Source;
}

const FINALIZE_GRACE_MS = 5000;
const FORCED_GRACE_MS = 1000;

/** The whole recorder: cameras, spool, uploader, HTTP. `start` and `stop` mirror each other. */
export class Service {
  readonly #options: ServiceOptions;
  readonly #spool: Spool;
  readonly #lock: SpoolLock;
  readonly #startedMs: number;
  #supervisors: CameraSupervisor[] = [];
  #uploader: Uploader | undefined;
  #housekeeper: Housekeeper | undefined;
  #server: Server<undefined> | undefined;

  constructor(options: ServiceOptions) {
    this.#options = options;
    this.#spool = new Spool(options.config.recording.temp_dir);
    this.#lock = new SpoolLock(options.config.recording.temp_dir);
    this.#startedMs = options.clock.now();
  }

  get url(): string | undefined {
    return this.#server?.url.href;
  }

  async start(): Promise<void> {
    const { config, log, clock } = this.#options;
    const cameras = config.cameras.filter((c) => c.enabled);
    const cameraIds = cameras.map((c) => c.id);
    const ffmpegPath = locateFfmpeg(config.recording.ffmpeg_path, process.env.PATH);
    this.#lock.acquire();
    const orphans = await endOrphanedFfmpeg(config.recording.temp_dir);
    if (orphans.length > 0) log.warn(`ended ${orphans.length} ffmpeg process(es) of an earlier instance still writing into the spool`, { pids: orphans });
    await this.#spool.prepare(cameraIds);

    const housekeeper = new Housekeeper({
      spool: this.#spool, cameraIds, clock, log,
      retentionMs: config.recording.local_retention_minutes * 60_000,
      pressureRatio: Number(process.env.CAMERA_RECORDER_DISK_PRESSURE_RATIO ?? 0.9),
      minFreeBytes: Number(process.env.CAMERA_RECORDER_MIN_FREE_MB ?? 512) * 1024 * 1024,
      intervalMs: 10_000,
    });
    this.#housekeeper = housekeeper;
    // Read at scrape time, when the uploader below exists.
    const metrics: Metrics = new Metrics(cameraIds, VERSION, { backlog: () => uploader.snapshot(), disk: () => housekeeper.snapshot() });
    const storage = createStorage(config);
    const uploader: Uploader = new Uploader({
      storage, spool: this.#spool, clock, log, observer: metrics,
      upload: config.upload, keyPrefix: config.storage.key_prefix, timezone: config.recording.timezone,
    });
    this.#uploader = uploader;
    await housekeeper.start();
    await uploader.start();
    // Only now: /health and the queue metrics must not report an empty backlog before the spool is read.
    const uiPassword = config.service.ui_password;
    const app = uiPassword ? { credentials: { user: config.service.ui_user, password: uiPassword }, routes: recordingsRoutes(footageDeps(config, ffmpegPath, storage), { log }) } : undefined;
    const onUnauthorized = (user: string | undefined) => log.warn("rejected a status page or API request: wrong user or password", { user: user ?? "" });
    this.#server = startHttpServer(config.service.metrics_host, config.service.metrics_port, createHandler({ metrics, snapshot: () => this.snapshot(), app, onUnauthorized }));
    const observer: RecorderObserver = {
      connected: (id, up) => metrics.connected(id, up),
      ffmpegRestarted: (id) => metrics.ffmpegRestarted(id),
      reconnected: (id) => metrics.reconnected(id),
      segmentRecorded: (segment) => {
        metrics.segmentRecorded(segment);
        uploader.enqueue(segment);
      },
    };
    const spawn = createSpawner();
    const sourceOf = this.#options.sourceOf ?? ((camera) => ({ kind: "rtsp", url: camera.rtsp_url }) as Source);
    this.#supervisors = cameras.map(
      (camera) => new CameraSupervisor({ camera, recording: config.recording, ffmpegPath, source: sourceOf(camera), spool: this.#spool, spawn, clock, log, observer }),
    );
    for (const supervisor of this.#supervisors) supervisor.start();
    log.info("camera-recorder started", { version: VERSION, cameras: cameraIds, storage: storage.target, http: this.url, ffmpeg: ffmpegPath });
  }

  /**
   * Graceful stop: every ffmpeg finalizes its segment, the backlog is uploaded until `deadlineMs`,
   * then everything ends. `forced` (a second signal) cuts the finalizing short and skips the drain.
   */
  async stop(deadlineMs: number, forced: AbortSignal): Promise<{ finalized: number; uploaded: boolean; left: number }> {
    const { log } = this.#options;
    const recordedBefore = this.#recordedCount();
    const grace = forced.aborted ? FORCED_GRACE_MS : FINALIZE_GRACE_MS;
    const stopping = Promise.all(this.#supervisors.map((s) => s.stop(grace).catch((e) => log.error(`camera ${s.snapshot().id} did not stop cleanly: ${describe(e)}`))));
    forced.addEventListener("abort", () => void Promise.all(this.#supervisors.map((s) => s.stop(FORCED_GRACE_MS))), { once: true });
    await stopping;
    const finalized = this.#recordedCount() - recordedBefore;
    const pending = this.#uploader?.snapshot().segments ?? 0;
    log.info(`recording stopped: ${finalized} segment(s) finalized; ${pending} waiting for upload`);
    let uploaded = true;
    if (this.#uploader && pending > 0 && !forced.aborted) {
      log.info(`uploading the backlog for up to ${Math.max(0, Math.round((deadlineMs - Date.now()) / 1000))} s`);
      uploaded = await Promise.race([this.#uploader.drain(deadlineMs), new Promise<boolean>((resolve) => forced.addEventListener("abort", () => resolve(false), { once: true }))]);
    }
    const left = this.#uploader?.snapshot().segments ?? 0;
    this.#uploader?.stop();
    await this.#housekeeper?.stop().catch(() => {});
    this.#server?.stop(true);
    this.#lock.release();
    return { finalized, uploaded: uploaded && left === 0, left };
  }

  snapshot() {
    const { clock } = this.#options;
    return {
      version: VERSION,
      startedMs: this.#startedMs,
      nowMs: clock.now(),
      cameras: this.#supervisors.map((s) => s.snapshot()),
      backlog: this.#uploader!.snapshot(),
      disk: this.#housekeeper!.snapshot(),
    };
  }

  #recordedCount(): number {
    return this.#supervisors.reduce((sum, s) => sum + s.snapshot().segmentsRecorded, 0);
  }
}
