import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RecorderObserver } from "../recorder/observer.ts";
import type { RetentionObserver } from "../retention/pruner.ts";
import type { Segment } from "../spool/segment.ts";
import type { DiskSnapshot } from "../spool/housekeeper.ts";
import type { BacklogSnapshot, UploadObserver } from "../upload/uploader.ts";

/**
 * prom-client's default metrics that are true under Bun: CPU, resident and virtual memory, fds,
 * start time, event-loop lag. The rest (GC durations never sampled, heap spaces at 0,
 * process_heap_bytes reporting virtual memory, node-only handle counts) would mislead.
 */
const UNTRUE_DEFAULTS = /^(process_heap_bytes|nodejs_(gc|heap|active|external|version).*)$/;

const MIB = 1024 * 1024;
// Buckets span the real workload (15-minute segments of ~100-500 MB, uploads of minutes) and the
// short segments of tests and demos (seconds, tens of kB), so both show where they fall.
const SIZE_BUCKETS = [0.0625, 0.25, 1, 4, 16, 64, 128, 256, 512, 1024, 2048].map((m) => m * MIB);
const SEGMENT_SECONDS = [1, 2, 5, 10, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600];
const UPLOAD_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const LATENCY_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];

export interface MetricsSources {
  backlog(): BacklogSnapshot;
  disk(): DiskSnapshot;
}

/** This replica's share of the camera list (SPEC "Sharding over several replicas"). */
export interface ShardInfo {
  index: number;
  shards: number;
  /** Enabled cameras in the whole config, all shards: lets an alert find cameras no replica records. */
  configuredCameras: number;
}

/** Every metric of SPEC.md, fed by the recorder's and uploader's events and read from snapshots. */
export class Metrics implements RecorderObserver, UploadObserver, RetentionObserver {
  readonly registry = new Registry();
  readonly #connected;
  readonly #recorded;
  readonly #uploadedTotal;
  readonly #failures;
  readonly #uploadDuration;
  readonly #restarts;
  readonly #reconnects;
  readonly #bytes;
  readonly #housekeepingErrors: Counter;
  readonly #latency;
  readonly #size;
  readonly #duration;
  readonly #lastSegment;
  readonly #owned: ReadonlySet<string>;
  readonly #retention;

  constructor(cameraIds: readonly string[], version: string, sources: MetricsSources, shard: ShardInfo = { index: 0, shards: 1, configuredCameras: cameraIds.length }) {
    this.#owned = new Set(cameraIds);
    const registers = [this.registry];
    const labelNames = ["camera_id"] as const;
    const counter = (name: string, help: string) => new Counter({ name, help, labelNames, registers });
    const histogram = (name: string, help: string, buckets: number[]) => new Histogram({ name, help, labelNames, buckets, registers });
    this.#connected = new Gauge({ name: "camera_stream_connected", help: "1 while the camera's stream is being recorded", labelNames, registers });
    this.#recorded = counter("camera_segments_recorded_total", "Segments finished and queued for upload");
    this.#uploadedTotal = counter("camera_segments_uploaded_total", "Segments confirmed by the storage");
    this.#failures = counter("camera_upload_failures_total", "Segments whose upload failed after max_retries retries (kept and retried later)");
    this.#uploadDuration = histogram("camera_segment_upload_duration_seconds", "Time to upload one segment", UPLOAD_SECONDS);
    this.#restarts = counter("camera_ffmpeg_restarts_total", "ffmpeg processes started again after one exited");
    this.#reconnects = counter("camera_reconnects_total", "Times a recording stream was lost and reconnected");
    this.#bytes = counter("camera_recording_bytes_total", "Bytes written by ffmpeg into the spool, counted as they are written");
    this.#latency = histogram("camera_upload_latency_seconds", "Time from a segment finished to its upload confirmed", LATENCY_SECONDS);
    this.#size = histogram("camera_segment_size_bytes", "Size of finished segments", SIZE_BUCKETS);
    this.#duration = histogram("camera_segment_duration_seconds", "Media duration of finished segments", SEGMENT_SECONDS);
    this.#lastSegment = new Gauge({ name: "camera_last_segment_timestamp_seconds", help: "End (wall clock) of the last finished segment; 0 before the first", labelNames, registers });

    new Gauge({
      name: "camera_upload_queue_segments", help: "Segments waiting for upload", labelNames, registers,
      collect() {
        const { byCamera } = sources.backlog();
        for (const id of cameraIds) this.set({ camera_id: id }, byCamera[id]?.segments ?? 0);
      },
    });
    new Gauge({
      name: "camera_upload_queue_bytes", help: "Bytes waiting for upload", labelNames, registers,
      collect() {
        const { byCamera } = sources.backlog();
        for (const id of cameraIds) this.set({ camera_id: id }, byCamera[id]?.bytes ?? 0);
      },
    });
    new Gauge({ name: "camera_recorder_disk_usage_ratio", help: "Used fraction of temp_dir's filesystem", registers, collect() { this.set(sources.disk().usageRatio); } });
    new Gauge({ name: "camera_recorder_disk_free_bytes", help: "Free bytes on temp_dir's filesystem", registers, collect() { this.set(sources.disk().freeBytes); } });
    this.#housekeepingErrors = new Counter({ name: "camera_recorder_housekeeping_errors_total", help: "Failed spool cleanups and disk checks (a failing cleanup can fill the disk)", registers });
    new Gauge({ name: "camera_recorder_build_info", help: "Version of the running camera-recorder", labelNames: ["version"], registers }).set({ version }, 1);
    new Gauge({ name: "camera_recorder_shard_info", help: "This replica's shard index and the number of shards", labelNames: ["index", "shards"], registers }).set({ index: String(shard.index), shards: String(shard.shards) }, 1);
    new Gauge({ name: "camera_recorder_shards", help: "service.shards: replicas sharing the camera list", registers }).set(shard.shards);
    new Gauge({ name: "camera_recorder_cameras_configured", help: "Enabled cameras in the config, over all shards", registers }).set(shard.configuredCameras);

    // Retention in storage: fed by the pruner's runs.
    this.#retention = {
      deletedSegments: counter("camera_retention_deleted_segments_total", "Stored segments deleted by the retention"),
      deletedBytes: counter("camera_retention_deleted_bytes_total", "Bytes of stored segments deleted by the retention"),
      storedBytes: new Gauge({ name: "camera_storage_bytes", help: "Bytes of the camera's segments in storage, as of the last pruner run", labelNames, registers }),
      lastRun: new Gauge({ name: "camera_recorder_retention_last_run_timestamp_seconds", help: "When the pruner last completed a run over every camera; 0 before the first", registers }),
    };
    this.#retention.lastRun.set(0);

    // Event-loop lag sampled every 100 ms, not 10: the default wakes an idle service 100 times a second.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    for (const metric of this.registry.getMetricsAsArray()) {
      if (UNTRUE_DEFAULTS.test(metric.name)) this.registry.removeSingleMetric(metric.name);
    }
    // Every camera's series exist from the start: a counter at 0 is shown, not missing.
    for (const camera_id of cameraIds) {
      for (const metric of [this.#recorded, this.#uploadedTotal, this.#failures, this.#restarts, this.#reconnects, this.#bytes]) metric.inc({ camera_id }, 0);
      for (const metric of [this.#retention.deletedSegments, this.#retention.deletedBytes]) metric.inc({ camera_id }, 0);
      this.#retention.storedBytes.set({ camera_id }, 0);
      for (const metric of [this.#uploadDuration, this.#latency, this.#size, this.#duration]) metric.zero({ camera_id });
      this.#connected.set({ camera_id }, 0);
      this.#lastSegment.set({ camera_id }, 0);
    }
  }

  connected(cameraId: string, connected: boolean): void {
    this.#connected.set({ camera_id: cameraId }, connected ? 1 : 0);
  }

  segmentRecorded(segment: Segment): void {
    const labels = { camera_id: segment.cameraId };
    this.#recorded.inc(labels);
    this.#size.observe(labels, segment.bytes);
    this.#duration.observe(labels, segment.durationMs / 1000);
    this.#lastSegment.set(labels, (segment.startMs + segment.durationMs) / 1000);
  }

  recordingBytes(cameraId: string, bytes: number): void {
    this.#bytes.inc({ camera_id: cameraId }, bytes);
  }

  housekeepingFailed(): void {
    this.#housekeepingErrors.inc();
  }

  ffmpegRestarted(cameraId: string): void {
    this.#restarts.inc({ camera_id: cameraId });
  }

  reconnected(cameraId: string): void {
    this.#reconnects.inc({ camera_id: cameraId });
  }

  uploaded(segment: Segment, uploadSecs: number, latencySecs: number): void {
    // A camera that moved to another shard left segments here: they are uploaded, but per-camera
    // series cover owned cameras only (SPEC), so two replicas never export one camera.
    if (!this.#owned.has(segment.cameraId)) return;
    const labels = { camera_id: segment.cameraId };
    this.#uploadedTotal.inc(labels);
    this.#uploadDuration.observe(labels, uploadSecs);
    this.#latency.observe(labels, Math.max(0, latencySecs));
  }

  failed(segment: Segment): void {
    if (!this.#owned.has(segment.cameraId)) return;
    this.#failures.inc({ camera_id: segment.cameraId });
  }

  retentionDeleted(cameraId: string, segments: number, bytes: number): void {
    this.#retention.deletedSegments.inc({ camera_id: cameraId }, segments);
    this.#retention.deletedBytes.inc({ camera_id: cameraId }, bytes);
  }

  storageBytes(cameraId: string, bytes: number): void {
    this.#retention.storedBytes.set({ camera_id: cameraId }, bytes);
  }

  retentionRunCompleted(nowMs: number): void {
    this.#retention.lastRun.set(nowMs / 1000);
  }
}
