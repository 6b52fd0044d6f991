import { afterAll, afterEach, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBinary } from "../fixtures/binary.ts";
import { startFakeCamera } from "../fixtures/camera.ts";
import { killAll } from "../fixtures/processes.ts";
import { scratch } from "../fixtures/service.ts";

afterEach(killAll);
afterAll(killAll);

function configFile(dir: string, text: string): string {
  const file = join(dir, "config.toml");
  writeFileSync(file, text);
  return file;
}

test("probe: one line per check, the failures classified, exit 1 when any failed", async () => {
  const cam = await startFakeCamera({ user: "admin", password: "probe-pw" });
  const dir = scratch();
  const file = configFile(dir, `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n
[[cameras]]\nid = "good"\nrtsp_url = "${cam.url()}"\n
[[cameras]]\nid = "badpw"\nrtsp_url = "${cam.url({ user: "admin", password: "nope" })}"\n
[[cameras]]\nid = "badpath"\nrtsp_url = "${cam.url(undefined, "/nope")}"\n
[[cameras]]\nid = "closed"\nrtsp_url = "rtsp://127.0.0.1:9/stream1"\n`);
  const out = await runBinary(["probe", "--config", file]);
  expect(out.exitCode).toBe(1);
  const port = cam.port;
  expect(out.stdout.split("\n").filter(Boolean)).toEqual([
    `ok   camera good (rtsp://admin:***@127.0.0.1:${port}/stream1): h264 320x240, audio pcm_alaw`,
    `FAIL camera badpw (rtsp://admin:***@127.0.0.1:${port}/stream1): wrong credentials (401 Unauthorized)`,
    `FAIL camera badpath (rtsp://admin:***@127.0.0.1:${port}/nope): stream not found (404): check the path in rtsp_url`,
    "FAIL camera closed (rtsp://127.0.0.1:9/stream1): camera unreachable (connection refused, no route or timeout)",
    `ok   storage: filesystem ${dir}/store reachable`,
  ]);
  expect(out.stdout).not.toContain("probe-pw");
});

test("probe: all good, exit 0", async () => {
  const cam = await startFakeCamera();
  const dir = scratch();
  const out = await runBinary(["probe", "--config", configFile(dir, `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[[cameras]]\nid = "cam"\nrtsp_url = "${cam.url()}"\n`)]);
  expect(out.stderr).toBe("");
  expect(out.exitCode).toBe(0);
});

test("a missing ffmpeg is a startup error naming where it looked", async () => {
  const dir = scratch();
  const base = `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "${dir}/spool"\n`;
  const camera = `[[cameras]]\nid = "cam"\nrtsp_url = "rtsp://127.0.0.1:9/x"\n`;
  const configured = await runBinary(["run", "--config", configFile(dir, `${base}ffmpeg_path = "/opt/none/ffmpeg"\n${camera}`)]);
  expect(configured.exitCode).toBe(1);
  expect(configured.stderr).toBe("camera-recorder: ffmpeg not found: /opt/none/ffmpeg is not an executable file (recording.ffmpeg_path or FFMPEG_PATH)\n");
  const onPath = await runBinary(["run", "--config", configFile(dir, `${base}${camera}`)], { PATH: dir });
  expect(onPath.exitCode).toBe(1);
  expect(onPath.stderr).toBe(`camera-recorder: ffmpeg not found: no "ffmpeg" on PATH (${dir}); install ffmpeg or set recording.ffmpeg_path or FFMPEG_PATH\n`);
});
