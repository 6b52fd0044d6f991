import { describe, expect, test } from "bun:test";
import { health, ready, type ServiceSnapshot } from "../../src/http/health.ts";
import { Metrics } from "../../src/http/metrics.ts";
import { createHandler } from "../../src/http/server.ts";
import type { CameraSnapshot } from "../../src/recorder/supervisor.ts";
import { specProblems } from "../fixtures/exposition.ts";

const NOW = Date.UTC(2025, 11, 13, 14, 30, 0);

function camera(id: string, state: CameraSnapshot["state"], extra: Partial<CameraSnapshot> = {}): CameraSnapshot {
  return { id, name: id, state, sinceMs: NOW - 5000, reconnects: 0, ffmpegRestarts: 0, segmentsRecorded: 3, tickMs: NOW, ...extra };
}

function snapshot(overrides: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  return {
    version: "1.2.3",
    startedMs: NOW - 60_000,
    nowMs: NOW,
    cameras: [camera("good", "recording"), camera("bad", "backing_off", { lastFailure: { kind: "auth", message: "wrong credentials (401 Unauthorized)", atMs: NOW - 1000 } })],
    backlog: { segments: 2, bytes: 2048, oldestStartMs: NOW - 30_000, byCamera: { good: { segments: 2, bytes: 2048 } }, inFlight: 1, tickMs: NOW },
    disk: { totalBytes: 100, freeBytes: 40, usageRatio: 0.6, writable: true, pressure: false, tickMs: NOW },
    ...overrides,
  };
}

function handlerFor(s: ServiceSnapshot) {
  const metrics = new Metrics(["good", "bad"], "1.2.3", { backlog: () => s.backlog, disk: () => s.disk });
  return { metrics, handle: createHandler({ metrics, snapshot: () => s }) };
}

const request = (path: string, method = "GET") => new Request(`http://localhost${path}`, { method });

describe("routes", () => {
  test("GET /metrics: Prometheus text, every spec metric from the start, with exact labels", async () => {
    const { handle } = handlerFor(snapshot());
    const response = await handle(request("/metrics"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    expect(specProblems(text, ["good", "bad"])).toEqual([]);
    expect(text).toContain('camera_segments_recorded_total{camera_id="bad"} 0');
    expect(text).toContain('camera_upload_queue_segments{camera_id="good"} 2');
    expect(text).toContain("camera_recorder_disk_usage_ratio 0.6");
    expect(text).toContain('camera_recorder_build_info{version="1.2.3"} 1');
    expect(text).not.toMatch(/nodejs_gc_duration_seconds|nodejs_heap_space|process_heap_bytes/);
  });

  test("metrics follow the recorder's and uploader's events", async () => {
    const { metrics, handle } = handlerFor(snapshot());
    const segment = { cameraId: "good", startMs: NOW, durationMs: 4000, configuredSecs: 4, cut: "start" as const, path: "/x", bytes: 5000, finishedMs: NOW };
    metrics.connected("good", true);
    metrics.segmentRecorded(segment);
    metrics.recordingBytes("good", 3000);
    metrics.recordingBytes("good", 2000);
    metrics.uploaded(segment, 0.2, 1.5);
    metrics.failed(segment);
    metrics.ffmpegRestarted("bad");
    metrics.reconnected("bad");
    const text = await (await handle(request("/metrics"))).text();
    for (const line of [
      'camera_stream_connected{camera_id="good"} 1',
      'camera_stream_connected{camera_id="bad"} 0',
      'camera_segments_recorded_total{camera_id="good"} 1',
      'camera_recording_bytes_total{camera_id="good"} 5000',
      'camera_segments_uploaded_total{camera_id="good"} 1',
      'camera_upload_failures_total{camera_id="good"} 1',
      'camera_ffmpeg_restarts_total{camera_id="bad"} 1',
      'camera_reconnects_total{camera_id="bad"} 1',
      'camera_segment_duration_seconds_sum{camera_id="good"} 4',
      'camera_upload_latency_seconds_sum{camera_id="good"} 1.5',
      `camera_last_segment_timestamp_seconds{camera_id="good"} ${NOW / 1000 + 4}`,
    ]) expect(text).toContain(line);
  });

  test("GET /health 200 with cameras, backlog and disk; HEAD has no body", async () => {
    const { handle } = handlerFor(snapshot());
    const response = await handle(request("/health"));
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.status).toBe("ok");
    expect(body.version).toBe("1.2.3");
    expect(body.uptime_secs).toBe(60);
    expect(body.cameras[1]).toMatchObject({ id: "bad", state: "backing_off", last_failure: { kind: "auth" } });
    expect(body.upload_backlog).toMatchObject({ segments: 2, bytes: 2048, oldest_age_secs: 30 });
    expect(body.disk).toMatchObject({ usage_ratio: 0.6, free_bytes: 40, writable: true });
    const head = await handle(request("/health", "HEAD"));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  test("GET /ready 503 naming the cameras that do not record, and why", async () => {
    const { handle } = handlerFor(snapshot());
    const response = await handle(request("/ready"));
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ ready: false, not_ready: [{ id: "bad", state: "backing_off", reason: "auth" }] });
    expect(ready([camera("a", "recording")]).status).toBe(200);
  });

  test("unknown path 404, wrong method 405 with Allow", async () => {
    const { handle } = handlerFor(snapshot());
    expect((await handle(request("/nope"))).status).toBe(404);
    const post = await handle(request("/metrics", "POST"));
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("health", () => {
  test("503 when temp_dir is not writable", () => {
    const result = health(snapshot({ disk: { ...snapshot().disk, writable: false } }));
    expect(result.status).toBe(503);
    expect((result.body as { problems: string[] }).problems).toEqual(["temp_dir is not writable"]);
  });
  test("503 when a loop stopped ticking", () => {
    const s = snapshot();
    const result = health({ ...s, cameras: [camera("good", "recording", { tickMs: NOW - 31_000 })], backlog: { ...s.backlog, tickMs: NOW - 60_000 } });
    expect(result.status).toBe(503);
    expect((result.body as { problems: string[] }).problems).toEqual(["camera good: supervisor loop stopped", "uploader loop stopped"]);
  });
});
