import type { Server } from "bun";
import type { Clock } from "./clock.ts";
import type { Config } from "./config/schema.ts";
import { ownedCameras, shardOf } from "./config/shard.ts";
import { describe } from "./errors.ts";
import { createApp } from "./http/create-app.ts";
import { Metrics } from "./http/metrics.ts";
import { createHandler, startHttpServer } from "./http/server.ts";
import type { Logger } from "./log.ts";
import type { Source } from "./recorder/ffmpeg-args.ts";
import { locateFfmpeg } from "./recorder/ffmpeg-path.ts";
import { createSpawner } from "./recorder/ffmpeg-process.ts";
import type { RecorderObserver } from "./recorder/observer.ts";
import { createPruner } from "./retention/create-pruner.ts";
import type { Pruner } from "./retention/pruner.ts";
import { CameraSupervisor } from "./recorder/supervisor.ts";
import { tieStatus } from "./recorder/tied-spawn.ts";
import { Housekeeper } from "./spool/housekeeper.ts";
import { SpoolLayout } from "./spool/layout.ts";
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
  readonly #layout: SpoolLayout;
  readonly #spool: Spool;
  readonly #lock: SpoolLock;
  readonly #startedMs: number;
  #supervisors: CameraSupervisor[] = [];
  #uploader: Uploader | undefined;
  #housekeeper: Housekeeper | undefined;
  #pruner: Pruner | undefined;
  #server: Server<undefined> | undefined;

  constructor(options: ServiceOptions) {
    this.#options = options;
    // Resolved once, here: every spool path (and every path given to ffmpeg) is absolute.
    this.#layout = new SpoolLayout(options.config.recording.temp_dir);
    this.#spool = new Spool(this.#layout);
    this.#lock = new SpoolLock(this.#layout);
    this.#startedMs = options.clock.now();
  }

  get url(): string | undefined {
    return this.#server?.url.href;
  }

  async start(): Promise<void> {
    const { config, log, clock } = this.#options;
    // With shards > 1 this replica records only the cameras it owns; its spool is uploaded whole.
    const cameras = ownedCameras(config).filter((c) => c.enabled);
    const cameraIds = cameras.map((c) => c.id);
    const ffmpegPath = locateFfmpeg(config.recording.ffmpeg_path, process.env.PATH);
    this.#lock.acquire();
    const orphans = await endOrphanedFfmpeg(this.#layout);
    if (orphans.length > 0) log.warn(`ended ${orphans.length} ffmpeg process(es) of an earlier instance still writing into the spool`, { pids: orphans });
    const tie = tieStatus();
    if (!tie.tied) log.warn(`ffmpeg is not tied to the service (${tie.reason}): if the service is killed, its ffmpeg runs on until the next start ends it`);
    await this.#spool.prepare(cameraIds);

    // Read at scrape time, when the uploader and the housekeeper below exist.
    const metrics: Metrics = new Metrics(cameraIds, VERSION, { backlog: () => uploader.snapshot(), disk: () => housekeeper.snapshot() }, {
      ...shardOf(config), configuredCameras: config.cameras.filter((c) => c.enabled).length,
    });
    const housekeeper = new Housekeeper({
      // Every configured camera's uploaded files: one that moved to another shard left some here too.
      spool: this.#spool, cameraIds: config.cameras.map((c) => c.id), clock, log,
      retentionMs: config.recording.local_retention_minutes * 60_000,
      pressureRatio: config.recording.disk_pressure_ratio,
      minFreeBytes: config.recording.min_free_mb * 1024 * 1024,
      intervalMs: 10_000,
      onError: () => metrics.housekeepingFailed(),
    });
    this.#housekeeper = housekeeper;
    const storage = createStorage(config);
    const uploader: Uploader = new Uploader({
      storage, spool: this.#spool, clock, log, observer: metrics,
      upload: config.upload, keyPrefix: config.storage.key_prefix, timezone: config.recording.timezone,
    });
    this.#uploader = uploader;
    // Retention in storage: runs now and every interval, in the background.
    this.#pruner = createPruner(config, storage, clock, log, metrics, ownedCameras(config));
    this.#pruner.start();
    await housekeeper.start();
    await uploader.start();
    // Only now: /health and the queue metrics must not report an empty backlog before the spool is read.
    const app = createApp({ config, storage, spool: this.#spool, ffmpegPath, log, snapshot: () => this.snapshot() });
    const onUnauthorized = (user: string | undefined) => log.warn("rejected a status page or API request: wrong user or password", { user: user ?? "" });
    this.#server = startHttpServer(config.service.metrics_host, config.service.metrics_port, createHandler({ metrics, snapshot: () => this.snapshot(), app, onUnauthorized }));
    const observer: RecorderObserver = {
      connected: (id, up) => metrics.connected(id, up),
      ffmpegRestarted: (id) => metrics.ffmpegRestarted(id),
      reconnected: (id) => metrics.reconnected(id),
      recordingBytes: (id, bytes) => metrics.recordingBytes(id, bytes),
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
   * then everything ends. `forced` (a second signal, or the hard deadline in cli/run.ts) kills
   * ffmpeg, abandons recoveries and the drain: what is left stays in the spool for the next start.
   * `phase` tells the caller what it is waiting for, should it have to give up.
   */
  async stop(deadlineMs: number, forced: AbortSignal, phase: (what: string) => void = () => {}): Promise<{ finalized: number; uploaded: boolean; left: number }> {
    const { log, clock } = this.#options;
    const recordedBefore = this.#recordedCount();
    const grace = forced.aborted ? FORCED_GRACE_MS : FINALIZE_GRACE_MS;
    phase("finalizing the cameras' segments");
    await Promise.all(this.#supervisors.map((s) => s.stop(grace, forced).catch((e) => log.error(`camera ${s.snapshot().id} did not stop cleanly: ${describe(e)}`))));
    const finalized = this.#recordedCount() - recordedBefore;
    const pending = this.#uploader?.snapshot().segments ?? 0;
    log.info(`recording stopped: ${finalized} segment(s) finalized; ${pending} waiting for upload`);
    let uploaded = true;
    if (this.#uploader && pending > 0 && !forced.aborted) {
      phase("uploading the backlog");
      log.info(`uploading the backlog for up to ${Math.max(0, Math.round((deadlineMs - clock.now()) / 1000))} s`);
      uploaded = await Promise.race([this.#uploader.drain(deadlineMs), new Promise<boolean>((resolve) => forced.addEventListener("abort", () => resolve(false), { once: true }))]);
    }
    const left = this.#uploader?.snapshot().segments ?? 0;
    // Ends the pump and aborts the uploads in flight; their files stay in pending/ for the next start.
    this.#uploader?.stop();
    phase("stopping the storage pruner and the spool housekeeper");
    await Promise.race([
      Promise.all([this.#pruner?.stop().catch(() => {}), this.#housekeeper?.stop().catch(() => {})]),
      new Promise<void>((resolve) => forced.addEventListener("abort", () => resolve(), { once: true })),
    ]);
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
      shard: shardOf(this.#options.config),
      backlog: this.#uploader!.snapshot(),
      disk: this.#housekeeper!.snapshot(),
    };
  }

  #recordedCount(): number {
    return this.#supervisors.reduce((sum, s) => sum + s.snapshot().segmentsRecorded, 0);
  }
}
