import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseSegmentFileName } from "../../src/spool/segment.ts";
import { startFakeCamera } from "../fixtures/camera.ts";
import { decodeErrors, probeMedia } from "../fixtures/media.ts";
import { ffmpegPidsWith, killAll } from "../fixtures/processes.ts";
import { scratch, startService } from "../fixtures/service.ts";
import { freePort, waitFor } from "../fixtures/wait.ts";

afterEach(killAll);
afterAll(killAll);

const SEGMENT_SECS = 2;

function config(dir: string, cameras: string, extra = ""): string {
  return `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "${dir}/spool"\nstall_timeout_secs = 3\n${extra}\n${cameras}`;
}

function camera(id: string, url: string, segmentSecs = SEGMENT_SECS): string {
  return `[[cameras]]\nid = "${id}"\nrtsp_url = "${url}"\nsegment_duration_secs = ${segmentSecs}\n`;
}

/** Segments of a camera that the storage confirmed, from the spool's uploaded state (name = metadata). */
function uploadedSegments(dir: string, cameraId: string) {
  const uploaded = join(dir, "spool", cameraId, "uploaded");
  return readdirSync(uploaded)
    .map((name) => ({ name, path: join(uploaded, name), ...parseSegmentFileName(name)! }))
    .sort((a, b) => a.startMs - b.startMs);
}

function storedFiles(dir: string, cameraId: string): string[] {
  const root = join(dir, "store", cameraId);
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith(".")) // not the backend's temp files mid-write
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

describe("recording a camera", () => {
  test("wall-clock cuts, no gap, every file decodes with AAC audio; SIGTERM finalizes and exits 0", async () => {
    const cam = await startFakeCamera({ user: "admin", password: "s3cret-pw" });
    const dir = scratch();
    const segmentSecs = 4;
    const service = await startService(dir, config(dir, camera("cam", cam.url(), segmentSecs)));
    await waitFor("four uploaded segments", () => uploadedSegments(dir, "cam").length >= 4, 60_000);
    service.signal("SIGTERM");
    expect(await service.proc.exited).toBe(0);
    expect(ffmpegPidsWith(dir)).toEqual([]);

    const segments = uploadedSegments(dir, "cam");
    const files = storedFiles(dir, "cam");
    expect(files.length).toBe(segments.length);
    expect(service.logs.some((l) => l.msg.startsWith("shutdown complete") && l.msg.includes("nothing left"))).toBe(true);
    for (let i = 1; i < segments.length; i++) {
      const previous = segments[i - 1]!;
      const current = segments[i]!;
      // No gap, no overlap: each segment starts where the one before ended.
      expect(Math.abs(previous.startMs + previous.durationMs - current.startMs)).toBeLessThanOrEqual(5);
      // ffmpeg cuts at the first keyframe (1 s apart here) it receives after a wall-clock multiple of
      // the duration; the start is the estimated capture time of that keyframe, so it may lie a
      // little before the boundary. An unaligned cut would fall anywhere in the 4 s.
      const offset = ((current.startMs / 1000 + segmentSecs / 2) % segmentSecs) - segmentSecs / 2;
      if (i < segments.length - 1) expect(offset).toBeGreaterThan(-1);
      if (i < segments.length - 1) expect(offset).toBeLessThan(2);
    }
    // The middle segments are whole: the duration, give or take one keyframe interval.
    for (const s of segments.slice(1, -1)) expect(Math.abs(s.durationMs - segmentSecs * 1000)).toBeLessThan(1100);
    const span = segments.at(-1)!.startMs + segments.at(-1)!.durationMs - segments[0]!.startMs;
    const media = segments.reduce((sum, s) => sum + s.durationMs, 0);
    expect(Math.abs(span - media)).toBeLessThan(50);
    for (const file of files) {
      expect(file).toMatch(/\/cam\/\d{4}-\d{2}-\d{2}\/\d{2}-\d{2}-\d{2}_4s\.mp4$/);
      expect(await decodeErrors(file)).toBe("");
      expect((await probeMedia(file)).codecs).toEqual(["h264", "aac"]);
    }
    // The password never reached the log.
    expect(JSON.stringify(service.logs)).not.toContain("s3cret-pw");
  });

  test("wrong password, wrong path and a closed port are told apart", async () => {
    const cam = await startFakeCamera({ user: "admin", password: "right-pw" });
    const dir = scratch();
    const cameras = [
      camera("good", cam.url()),
      camera("badpw", cam.url({ user: "admin", password: "wrong-pw" })),
      camera("badpath", cam.url(undefined, "/nope")),
      camera("closed", "rtsp://127.0.0.1:9/stream1"),
    ].join("");
    const service = await startService(dir, config(dir, cameras));
    const health = await waitFor("all four cameras classified", async () => {
      const { body } = await service.get("/health");
      const byId = Object.fromEntries(body.cameras.map((c: any) => [c.id, c]));
      const done = byId.good.state === "recording" && ["badpw", "badpath", "closed"].every((id) => byId[id].last_failure);
      return done ? byId : undefined;
    });
    expect(health.badpw.last_failure.kind).toBe("auth");
    expect(health.badpath.last_failure.kind).toBe("not_found");
    expect(health.closed.last_failure.kind).toBe("unreachable");
    const warnings = service.logs.filter((l) => l.level === "warn" && l.failure);
    expect(warnings.find((l) => l.camera_id === "badpw")?.msg).toStartWith("wrong credentials (401 Unauthorized); retrying in");
    expect(warnings.find((l) => l.camera_id === "badpath")?.msg).toStartWith("stream not found (404)");
    expect(warnings.find((l) => l.camera_id === "closed")?.msg).toStartWith("camera unreachable");
  });

  test("camera killed and restarted: reconnects with backoff, records again, counters up", async () => {
    // A port outside the range of outgoing connections, so it is still free when the camera comes back.
    const cam = await startFakeCamera({ port: freePort() });
    const dir = scratch();
    const service = await startService(dir, config(dir, camera("cam", cam.url())));
    await waitFor("a first segment", () => uploadedSegments(dir, "cam").length >= 1, 30_000);
    await cam.stop();
    await waitFor("the camera seen as lost", async () => (await service.get("/health")).body.cameras[0].state === "backing_off");
    const before = uploadedSegments(dir, "cam").length;
    const again = await startFakeCamera({ port: cam.port });
    await waitFor("recording again", async () => (await service.get("/health")).body.cameras[0].state === "recording", 60_000);
    await waitFor("a new segment after the restart", () => uploadedSegments(dir, "cam").length > before + 1, 30_000);
    const { body } = await service.get("/health");
    expect(body.cameras[0].reconnects).toBeGreaterThanOrEqual(1);
    expect(body.cameras[0].ffmpeg_restarts).toBeGreaterThanOrEqual(1);
    const metrics = (await service.get("/metrics")).text;
    expect(metrics).toMatch(/camera_reconnects_total\{camera_id="cam"\} [1-9]/);
    expect(metrics).toMatch(/camera_ffmpeg_restarts_total\{camera_id="cam"\} [1-9]/);
    for (const s of uploadedSegments(dir, "cam")) expect(await decodeErrors(s.path)).toBe("");
    await again.stop();
  });

  test("camera frozen (SIGSTOP): stall detected within stall_timeout_secs, recovered after SIGCONT", async () => {
    const cam = await startFakeCamera();
    const dir = scratch();
    const service = await startService(dir, config(dir, camera("cam", cam.url())));
    await waitFor("recording", async () => (await service.get("/health")).body.cameras[0].state === "recording", 30_000);
    cam.pause();
    const frozenAt = Date.now();
    const stall = await service.waitForLog("the stall", (l) => l.msg.startsWith("no media for 3 s"), 20_000);
    expect(Date.now() - frozenAt).toBeLessThan(3000 + 5000);
    expect(stall.camera_id).toBe("cam");
    cam.resume();
    await waitFor("recording after SIGCONT", async () => {
      const { body } = await service.get("/health");
      return body.cameras[0].state === "recording" && body.cameras[0].last_failure?.kind === "stalled";
    }, 60_000);
  });

  test("service SIGKILLed: its ffmpeg ends within 5 s; the next start uploads the cut-short file, playable", async () => {
    const cam = await startFakeCamera({ gop: 60 });
    const dir = scratch();
    const cameras = camera("cam", cam.url(), 3600);
    const service = await startService(dir, config(dir, cameras));
    await waitFor("recording", async () => (await service.get("/health")).body.cameras[0].state === "recording", 30_000);
    // Let the hour-long segment hold a fragment on disk (4 s keyframe interval, a fragment each).
    const recording = join(dir, "spool", "cam", "recording");
    await waitFor("a fragment of the open segment on disk", async () => {
      const file = readdirSync(recording).find((n) => n.endsWith(".mp4"));
      return file !== undefined && (await probeMedia(join(recording, file))).durationSecs > 2;
    }, 30_000);
    const killedAt = Date.now();
    service.proc.kill("SIGKILL");
    await service.proc.exited;
    await waitFor("no ffmpeg left", () => ffmpegPidsWith(dir).length === 0, 5000);
    expect(Date.now() - killedAt).toBeLessThan(5000);

    const restarted = await startService(dir, config(dir, cameras));
    const recovered = await restarted.waitForLog("the recovery", (l) => l.msg === "recovered cut-short segment");
    expect(Number(recovered.duration_secs)).toBeGreaterThan(2);
    await waitFor("the recovered segment stored", () => storedFiles(dir, "cam").length >= 1);
    const file = storedFiles(dir, "cam")[0]!;
    expect(await decodeErrors(file)).toBe("");
    expect((await probeMedia(file)).durationSecs).toBeGreaterThan(2);
    expect(file).toEndWith("_60min.mp4");
  });
});
