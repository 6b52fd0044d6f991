import { redactUrl } from "../config/redact.ts";
import type { CameraSnapshot } from "../recorder/supervisor.ts";
import type { DiskSnapshot } from "../spool/housekeeper.ts";
import type { BacklogSnapshot } from "../upload/uploader.ts";

export interface ServiceSnapshot {
  version: string;
  startedMs: number;
  nowMs: number;
  cameras: CameraSnapshot[];
  /** Present when the service runs sharded; cameras above are the owned ones. */
  shard?: { index: number; shards: number };
  backlog: BacklogSnapshot;
  disk: DiskSnapshot;
}

/** A loop that has not ticked for this long has stopped: the service no longer works. */
export const STALE_LOOP_MS = 30_000;

/** Liveness: 200 while every loop ticks and temp_dir is writable, else 503 with the reasons. */
export function health(s: ServiceSnapshot): { status: number; body: unknown } {
  const problems: string[] = [];
  const stale = (tickMs: number) => s.nowMs - tickMs > STALE_LOOP_MS;
  for (const camera of s.cameras) {
    if (camera.state !== "stopped" && stale(camera.tickMs)) problems.push(`camera ${camera.id}: supervisor loop stopped`);
  }
  if (stale(s.backlog.tickMs)) problems.push("uploader loop stopped");
  if (stale(s.disk.tickMs)) problems.push("disk checker loop stopped");
  if (!s.disk.writable) problems.push("temp_dir is not writable");
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    status: problems.length === 0 ? 200 : 503,
    body: {
      status: problems.length === 0 ? "ok" : "failing",
      problems,
      version: s.version,
      uptime_secs: Math.round((s.nowMs - s.startedMs) / 1000),
      shard: s.shard ? { index: s.shard.index, shards: s.shard.shards, cameras: s.cameras.map((c) => c.id) } : null,
      cameras: s.cameras.map((c) => ({
        id: c.id,
        name: c.name,
        // One word for the operator: "recording", or why not ("auth", "not_found", "unreachable", ...).
        status: c.state === "backing_off" && c.lastFailure ? c.lastFailure.kind : c.state,
        state: c.state,
        since: iso(c.sinceMs),
        last_failure: c.lastFailure ? { kind: c.lastFailure.kind, message: c.lastFailure.message, at: iso(c.lastFailure.atMs) } : null,
        reconnects: c.reconnects,
        ffmpeg_restarts: c.ffmpegRestarts,
        segments_recorded: c.segmentsRecorded,
        last_segment_start: iso(c.lastSegmentStartMs),
      })),
      upload_backlog: {
        segments: s.backlog.segments,
        bytes: s.backlog.bytes,
        oldest_age_secs: s.backlog.oldestStartMs === undefined ? null : Math.round((s.nowMs - s.backlog.oldestStartMs) / 1000),
        uploading: s.backlog.inFlight,
        retry_at: iso(s.backlog.retryAtMs),
        last_error: s.backlog.lastError ? redactUrl(s.backlog.lastError) : null,
      },
      disk: {
        usage_ratio: Number(s.disk.usageRatio.toFixed(4)),
        free_bytes: s.disk.freeBytes,
        total_bytes: s.disk.totalBytes,
        writable: s.disk.writable,
        pressure: s.disk.pressure,
      },
    },
  };
}

/** Readiness: 200 when every enabled camera is recording, else 503 naming those that are not and why. */
export function ready(cameras: CameraSnapshot[]): { status: number; body: unknown } {
  const notReady = cameras
    .filter((c) => c.state !== "recording")
    .map((c) => ({ id: c.id, state: c.state, reason: c.lastFailure?.kind ?? c.state }));
  return { status: notReady.length === 0 ? 200 : 503, body: { ready: notReady.length === 0, not_ready: notReady } };
}
