import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBinary } from "../fixtures/binary.ts";
import { startFakeCamera, type FakeCamera } from "../fixtures/camera.ts";
import { decodeErrors, probeMedia } from "../fixtures/media.ts";
import { ffmpegPidsWith, killAll, track } from "../fixtures/processes.ts";
import { startFaultProxy } from "../fixtures/fault-proxy.ts";
import { coverage, startS3, storedSegments, type S3Server } from "../fixtures/s3.ts";
import { scratch, startService, type RunningService } from "../fixtures/service.ts";
import { freePort, waitFor } from "../fixtures/wait.ts";

afterEach(killAll);
afterAll(killAll);

const BUCKET = "camera-recordings";

function config(dir: string, s3Port: number, cam: FakeCamera, extra = ""): string {
  return `[storage]\nendpoint = "http://127.0.0.1:${s3Port}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\n[upload]\nretry_backoff_secs = 1\nmax_retries = 2\n[recording]\ntemp_dir = "${dir}/spool"\n${extra}\n[[cameras]]\nid = "cam"\nrtsp_url = "${cam.url()}"\nsegment_duration_secs = 2\n`;
}

const pendingFiles = (dir: string) => readdirSync(join(dir, "spool", "cam", "pending"));
const recorded = (service: RunningService) => service.logs.filter((l) => l.msg === "segment recorded").length;
/** The files ffmpeg is writing now. */
const recordingFiles = (dir: string) => readdirSync(join(dir, "spool", "cam", "recording")).filter((n) => n.endsWith(".mp4")).map((n) => join(dir, "spool", "cam", "recording", n));
// The segment open at the signal is finalized; one more can close between the signal and the count.
const finalized = "[0-2] segment\\(s\\) finalized";

/** Lost = wall time the camera was recorded minus media kept; printed for the README's reliability table. */
function report(fault: string, segments: Awaited<ReturnType<typeof storedSegments>>) {
  const c = coverage(segments);
  console.log(`figure: ${fault}: ${segments.length} segments, media ${c.mediaSecs.toFixed(1)} s over ${c.spanSecs.toFixed(1)} s, largest gap ${c.largestGapSecs.toFixed(2)} s`);
  return c;
}

/**
 * The largest hole between segments after a run's first one. The first segment's start is
 * estimated from ffmpeg's first progress reports; on a loaded machine that estimate can be off by
 * more than the 0.5 s the timeline tolerates, and the next segment's start then follows the
 * better-informed estimate, a hole in the timestamps only (ffmpeg ran on). Every later join is
 * exact whatever the load, so holes made by a fault show there.
 */
const largestGapAfterFirst = (segments: Awaited<ReturnType<typeof storedSegments>>) => coverage(segments.slice(1)).largestGapSecs;

describe("lifecycle on the compiled binary", () => {
  test("SIGTERM with storage up: every segment uploaded, contiguous, exit 0", async () => {
    const cam = await startFakeCamera();
    const s3 = await startS3();
    const dir = scratch();
    const service = await startService(dir, config(dir, s3.port, cam));
    await waitFor("three segments recorded", () => recorded(service) >= 3, 60_000);
    service.signal("SIGTERM");
    expect(await service.proc.exited).toBe(0);
    expect(ffmpegPidsWith(dir)).toEqual([]);
    expect(pendingFiles(dir)).toEqual([]);
    const stored = await storedSegments(s3, BUCKET);
    expect(stored.length).toBe(recorded(service));
    report("SIGTERM, storage up", stored);
    expect(largestGapAfterFirst(stored)).toBeLessThan(0.05);
    expect(service.logs.map((l) => l.msg)).toContainEqual(expect.stringMatching(new RegExp(`^shutdown complete: ${finalized}, nothing left to upload$`)));
  });

  test("SIGTERM with storage down: exit 0 after shutdown_timeout_secs, files kept, uploaded on the next start", async () => {
    const cam = await startFakeCamera();
    const s3Port = freePort();
    const dir = scratch();
    const service = await startService(dir, config(dir, s3Port, cam), {}, { shutdownTimeoutSecs: 3 });
    await waitFor("two segments recorded", () => recorded(service) >= 2, 60_000);
    const signalled = Date.now();
    service.signal("SIGTERM");
    expect(await service.proc.exited).toBe(0);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(2500);
    const kept = pendingFiles(dir);
    expect(kept.length).toBe(recorded(service));
    expect(service.logs.map((l) => l.msg)).toContainEqual(expect.stringMatching(new RegExp(`^shutdown complete: ${finalized}, ${kept.length} left in the spool for the next start$`)));

    const s3 = await startS3({ port: s3Port });
    const next = await startService(dir, config(dir, s3Port, cam));
    await waitFor("the kept segments uploaded", async () => (await s3.keys(BUCKET).catch(() => [])).length >= kept.length, 60_000);
    next.signal("SIGTERM");
    expect(await next.proc.exited).toBe(0);
    const c = report("SIGTERM with storage down, then restart", await storedSegments(s3, BUCKET));
    expect(c.largestGapSecs).toBeLessThan(10); // the restart's own gap only
  });

  test("a second SIGTERM stops at once; nothing is deleted", async () => {
    const cam = await startFakeCamera();
    const dir = scratch();
    const service = await startService(dir, config(dir, freePort(), cam), {}, { shutdownTimeoutSecs: 60 });
    await waitFor("a segment recorded", () => recorded(service) >= 1, 60_000);
    service.signal("SIGTERM");
    await service.waitForLog("the backlog drain", (l) => l.msg.startsWith("uploading the backlog"));
    const signalled = Date.now();
    service.signal("SIGTERM");
    expect(await service.proc.exited).toBe(0);
    // At once: far below the 60 s shutdown_timeout_secs, with room for a loaded machine.
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(pendingFiles(dir).length).toBe(recorded(service));
    expect(ffmpegPidsWith(dir)).toEqual([]);
  });

  test("storage down for a while during recording: the backlog grows, then drains in order without a restart", async () => {
    const cam = await startFakeCamera();
    const s3Port = freePort();
    let s3: S3Server = await startS3({ port: s3Port, directory: mkdtempSync(join(tmpdir(), "s3-")) });
    const dir = scratch();
    const service = await startService(dir, config(dir, s3Port, cam));
    await waitFor("a first upload", async () => (await s3.keys(BUCKET).catch(() => [])).length >= 1, 60_000);
    const directory = mkdtempSync(join(tmpdir(), "s3-"));
    await s3.stop();
    await waitFor("a backlog of three", async () => (await service.get("/health")).body.upload_backlog.segments >= 3, 60_000);
    expect((await service.get("/metrics")).text).toMatch(/camera_upload_queue_segments\{camera_id="cam"\} [3-9]/);
    s3 = await startS3({ port: s3Port, directory });
    await waitFor("the backlog drained", async () => (await service.get("/health")).body.upload_backlog.segments === 0, 60_000);
    service.signal("SIGTERM");
    expect(await service.proc.exited).toBe(0);
    // The restarted server holds everything recorded after the outage began, with no hole.
    const c = report("storage down during recording", await storedSegments(s3, BUCKET));
    expect(c.largestGapSecs).toBeLessThan(0.05);
    expect(c.mediaSecs).toBeGreaterThan(5);
  });

  test("storage answering 500s, then resetting connections: every segment stored once, no hole", async () => {
    const cam = await startFakeCamera();
    const s3 = await startS3();
    const proxy = await startFaultProxy(s3.port);
    const dir = scratch();
    const service = await startService(dir, config(dir, proxy.port, cam));
    await waitFor("a first upload", async () => (await s3.keys(BUCKET).catch(() => [])).length >= 1, 60_000);
    proxy.mode = "error500";
    await waitFor("uploads failing with 500", async () => String((await service.get("/health")).body.upload_backlog.last_error).includes("HTTP 500"), 60_000);
    proxy.mode = "reset";
    await waitFor("uploads failing on reset connections", async () => {
      const error = String((await service.get("/health")).body.upload_backlog.last_error);
      return error !== "null" && !error.includes("HTTP 500");
    }, 60_000);
    expect((await service.get("/health")).body.upload_backlog.segments).toBeGreaterThanOrEqual(1);
    proxy.mode = "pass";
    await waitFor("the backlog drained", async () => (await service.get("/health")).body.upload_backlog.segments === 0, 60_000);
    service.signal("SIGTERM");
    expect(await service.proc.exited).toBe(0);
    const stored = await storedSegments(s3, BUCKET);
    expect(stored.length).toBe(recorded(service));
    report("storage answering 500s and resets", stored);
    expect(largestGapAfterFirst(stored)).toBeLessThan(0.05);
    await proxy.stop();
  });

  test("SIGKILL mid-segment with storage down, then a start with storage up: everything uploaded, the cut-short file playable", async () => {
    const cam = await startFakeCamera();
    const s3Port = freePort();
    const dir = scratch();
    const service = await startService(dir, config(dir, s3Port, cam).replace("segment_duration_secs = 2", "segment_duration_secs = 4"));
    await waitFor("two segments recorded", () => recorded(service) >= 2, 60_000);
    // Kill once a fragment or two of the open segment are on disk (1 s keyframes, a fragment each).
    const count = recorded(service);
    await waitFor("the next segment begun", () => recorded(service) > count, 20_000);
    const onDisk = await waitFor("1.5 to 3 s of the open segment on disk", async () => {
      const before = recorded(service);
      const files = recordingFiles(dir);
      if (files.length !== 1) return undefined; // mid-cut
      const secs = (await probeMedia(files[0]!)).durationSecs;
      // Well before the 4 s cut, and still the same segment after the probe: the file the kill cuts short.
      return secs >= 1.5 && secs < 3 && recorded(service) === before && recordingFiles(dir).length === 1 ? secs : undefined;
    }, 30_000);
    const killedAt = Date.now();
    service.proc.kill("SIGKILL");
    await service.proc.exited;
    await waitFor("no ffmpeg left", () => ffmpegPidsWith(dir).length === 0, 5000);

    const s3 = await startS3({ port: s3Port });
    const next = await startService(dir, config(dir, s3Port, cam).replace("segment_duration_secs = 2", "segment_duration_secs = 4"));
    await next.waitForLog("the recovery", (l) => l.msg === "recovered cut-short segment");
    await waitFor("the pre-kill segments uploaded", async () => (await s3.keys(BUCKET).catch(() => [])).length >= recorded(service) + 1, 60_000);
    next.signal("SIGTERM");
    expect(await next.proc.exited).toBe(0);
    const stored = await storedSegments(s3, BUCKET);
    const beforeKill = stored.filter((s) => s.startMs < killedAt);
    const last = beforeKill.at(-1)!;
    const lostAtKill = (killedAt - (last.startMs + last.durationMs)) / 1000;
    report(`SIGKILL (lost at the kill ${lostAtKill.toFixed(2)} s)`, beforeKill);
    // Everything on disk at the kill is kept; less than the 4 s segment is lost.
    expect(last.durationMs / 1000).toBeGreaterThanOrEqual(onDisk - 0.1);
    expect(lostAtKill).toBeLessThan(4);
    expect(largestGapAfterFirst(beforeKill)).toBeLessThan(0.05);
    const cutShort = join(dir, "cut-short.mp4");
    writeFileSync(cutShort, await s3.get(BUCKET, last.key));
    expect(await decodeErrors(cutShort)).toBe("");
  });

  test("a second instance on the same temp_dir refuses to start", async () => {
    const cam = await startFakeCamera();
    const dir = scratch();
    const first = await startService(dir, config(dir, freePort(), cam));
    const file = join(dir, "second.toml");
    writeFileSync(file, `[service]\nmetrics_port = ${freePort()}\n${config(dir, freePort(), cam)}`);
    const second = await runBinary(["run", "--config", file]);
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toBe(`camera-recorder: another camera-recorder (pid ${first.proc.pid}) is already using ${dir}/spool; stop it first or give this one another recording.temp_dir\n`);
    expect(ffmpegPidsWith(dir).length).toBe(1);
  });

  test("low disk: uploaded segments go before their retention, pending ones stay, /health shows it", async () => {
    const cam = await startFakeCamera();
    const s3 = await startS3();
    const dir = scratch();
    // The machine's disk is large: a free-space floor above it makes this disk "low" for the test.
    const service = await startService(dir, config(dir, s3.port, cam, "min_free_mb = 16000000"));
    await waitFor("segments uploaded and removed under pressure", () => service.logs.some((l) => /removed \d+ uploaded segment\(s\) from the spool \(disk pressure\)/.test(l.msg)), 60_000);
    const health = await service.get("/health");
    expect(health.status).toBe(200);
    expect(health.body.disk.pressure).toBe(true);
    expect(service.logs.some((l) => l.level === "warn" && l.msg.startsWith("temp_dir is nearly full"))).toBe(true);
    expect((await s3.keys(BUCKET)).length).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(dir, "spool", "cam", "pending"))).toBe(true);
    service.signal("SIGTERM");
    expect(await service.proc.exited).toBe(0);
  });
});

test("an ffmpeg left writing into the spool by an earlier instance is ended at start", async () => {
  const dir = scratch();
  const recording = join(dir, "spool", "cam", "recording");
  mkdirSync(recording, { recursive: true });
  // A stand-in for an orphan: a real ffmpeg writing into this spool, parented by the test.
  const orphan = Bun.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=rate=5", "-f", "mp4", "-movflags", "+frag_keyframe+empty_moov", join(recording, "orphan.mp4")], { stdin: "pipe", stdout: "ignore", stderr: "ignore" });
  track(orphan);
  await waitFor("the orphan running", () => ffmpegPidsWith(dir).includes(orphan.pid));
  const service = await startService(dir, `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "${dir}/spool"\n[[cameras]]\nid = "cam"\nrtsp_url = "rtsp://127.0.0.1:9/none"\n`);
  const warning = await service.waitForLog("the orphan ended", (l) => l.msg.startsWith("ended 1 ffmpeg process(es) of an earlier instance"));
  expect(warning.pids).toEqual([orphan.pid]);
  await orphan.exited;
});
