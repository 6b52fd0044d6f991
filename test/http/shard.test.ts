import { expect, test } from "bun:test";
import { health, ready, type ServiceSnapshot } from "../../src/http/health.ts";
import { Metrics } from "../../src/http/metrics.ts";

const NOW = Date.UTC(2026, 0, 1);
const backlog = { segments: 0, bytes: 0, byCamera: {}, inFlight: 0, tickMs: NOW };
const disk = { totalBytes: 100, freeBytes: 40, usageRatio: 0.6, writable: true, pressure: false, tickMs: NOW };

test("metrics: the shard, the shard count and the configured cameras; per-camera series only for owned cameras", async () => {
  const metrics = new Metrics(["cam-a"], "1.0.0", { backlog: () => backlog, disk: () => disk }, { index: 2, shards: 3, configuredCameras: 7 });
  const segment = (cameraId: string) => ({ cameraId, startMs: NOW, durationMs: 2000, configuredSecs: 2, cut: "start" as const, path: "/x", bytes: 10, finishedMs: NOW });
  // A camera that moved to another replica: its leftover segment is uploaded here but counted by its owner.
  metrics.uploaded(segment("moved"), 0.1, 1);
  metrics.failed(segment("moved"));
  metrics.uploaded(segment("cam-a"), 0.1, 1);
  const text = await metrics.registry.metrics();
  expect(text).toContain('camera_recorder_shard_info{index="2",shards="3"} 1');
  expect(text).toContain("camera_recorder_shards 3");
  expect(text).toContain("camera_recorder_cameras_configured 7");
  expect(text).toContain('camera_segments_uploaded_total{camera_id="cam-a"} 1');
  expect(text).not.toContain('camera_id="moved"');
});

test("unsharded, the shard is 0 of 1", async () => {
  const text = await new Metrics(["a", "b"], "1.0.0", { backlog: () => backlog, disk: () => disk }).registry.metrics();
  expect(text).toContain('camera_recorder_shard_info{index="0",shards="1"} 1');
  expect(text).toContain("camera_recorder_cameras_configured 2");
});

test("/health names the shard and its cameras; a replica that owns none is healthy and ready", () => {
  const snapshot: ServiceSnapshot = { version: "1", startedMs: NOW, nowMs: NOW, cameras: [], shard: { index: 3, shards: 4 }, backlog, disk };
  const body = health(snapshot).body as { shard: unknown };
  expect(health(snapshot).status).toBe(200);
  expect(body.shard).toEqual({ index: 3, shards: 4, cameras: [] });
  expect(ready([])).toEqual({ status: 200, body: { ready: true, not_ready: [] } });
  const owning = health({ ...snapshot, cameras: [{ id: "c1", name: "c1", state: "recording", sinceMs: NOW, reconnects: 0, ffmpegRestarts: 0, segmentsRecorded: 0, tickMs: NOW }] });
  expect((owning.body as { shard: unknown }).shard).toEqual({ index: 3, shards: 4, cameras: ["c1"] });
});
