import { afterAll, afterEach, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBinary } from "../fixtures/binary.ts";
import { startFakeCamera } from "../fixtures/camera.ts";
import { ffmpegPidsWith, killAll, track } from "../fixtures/processes.ts";
import { scratch, startService } from "../fixtures/service.ts";
import { waitFor } from "../fixtures/wait.ts";

afterEach(killAll);
afterAll(killAll);

test("a camera refusing the session (503) is busy in probe and /health, and backs off", async () => {
  const cam = await startFakeCamera({ busy: true });
  const dir = scratch();
  const file = join(dir, "probe.toml");
  writeFileSync(file, `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[[cameras]]\nid = "full"\nrtsp_url = "${cam.url()}"\n`);
  const out = await runBinary(["probe", "--config", file]);
  expect(out.exitCode).toBe(1);
  expect(out.stdout.split("\n")[0]).toBe(`FAIL camera full (rtsp://127.0.0.1:${cam.port}/stream1): the camera refused the session (503): too many clients?`);

  const service = await startService(dir, `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "${dir}/spool"\n[[cameras]]\nid = "full"\nrtsp_url = "${cam.url()}"\n`);
  const warning = await service.waitForLog("the busy warning", (l) => l.failure === "busy");
  expect(warning.msg).toBe("the camera refused the session (503): too many clients?; retrying in 1 s");
  const health = await service.get("/health");
  expect(health.body.cameras[0].status).toBe("busy");
  expect(health.body.cameras[0].last_failure.message).toBe("the camera refused the session (503): too many clients?");
  const ready = await service.get("/ready");
  expect(ready.body.not_ready).toEqual([{ id: "full", state: "backing_off", reason: "busy" }]);
  service.signal("SIGTERM");
  expect(await service.proc.exited).toBe(0);
}, 60_000);

test("with a relative temp_dir, an ffmpeg a dead instance left writing into the spool is still found and ended", async () => {
  const dir = scratch();
  // What an instance started in `dir` with temp_dir = "./spool" gave its ffmpeg: a path relative to `dir`.
  mkdirSync(join(dir, "spool", "cam", "recording"), { recursive: true });
  const orphan = track(Bun.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=rate=5", "-f", "mp4", "-movflags", "+frag_keyframe+empty_moov", "spool/cam/recording/1_2_000000.mp4"], { cwd: dir, stdin: "pipe", stdout: "ignore", stderr: "ignore" }));
  await waitFor("the orphan running", () => ffmpegPidsWith("spool/cam/recording").includes(orphan.pid));
  const service = await startService(dir, `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "./spool"\n[[cameras]]\nid = "cam"\nrtsp_url = "rtsp://127.0.0.1:9/none"\n`, {}, { cwd: dir });
  const warning = await service.waitForLog("the orphan ended", (l) => l.msg.startsWith("ended 1 ffmpeg process(es) of an earlier instance"));
  expect(warning.pids).toEqual([orphan.pid]);
  await orphan.exited;
  service.signal("SIGTERM");
  expect(await service.proc.exited).toBe(0);
}, 60_000);

test("a camera recorded with a relative temp_dir: its ffmpeg is given absolute paths", async () => {
  const cam = await startFakeCamera();
  const dir = scratch();
  const service = await startService(dir, `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "./spool"\n[[cameras]]\nid = "cam"\nrtsp_url = "${cam.url()}"\nsegment_duration_secs = 2\n`, {}, { cwd: dir });
  await waitFor("ffmpeg writing into the spool by its absolute path", () => ffmpegPidsWith(`${dir}/spool/cam/recording/`).length === 1, 30_000);
  service.signal("SIGTERM");
  expect(await service.proc.exited).toBe(0);
}, 60_000);

test("a camera that accepts the connection and never answers is unreachable, not a stream that ended", async () => {
  const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const dir = scratch();
  const service = await startService(dir, `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "${dir}/spool"\nstall_timeout_secs = 3\n[[cameras]]\nid = "mute"\nrtsp_url = "rtsp://127.0.0.1:${silent.port}/stream1"\n`);
  const warning = await service.waitForLog("the first failure", (l) => l.level === "warn" && typeof l.failure === "string", 30_000);
  expect(warning.failure).toBe("unreachable");
  expect(warning.msg).toBe("camera unreachable (connection refused, no route or timeout); retrying in 1 s");
  expect((await service.get("/health")).body.cameras[0].status).toBe("unreachable");
  service.signal("SIGTERM");
  expect(await service.proc.exited).toBe(0);
  silent.stop(true);
}, 60_000);
