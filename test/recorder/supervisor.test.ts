import { afterEach, expect, test } from "bun:test";
import { appendFileSync, readdirSync } from "node:fs";
import { systemClock } from "../../src/clock.ts";
import { parseConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import type { FfmpegProcess, SpawnFfmpeg, SpawnOptions } from "../../src/recorder/ffmpeg-process.ts";
import { ignoreRecorderEvents } from "../../src/recorder/observer.ts";
import { CameraSupervisor } from "../../src/recorder/supervisor.ts";
import { Spool } from "../../src/spool/spool.ts";
import { scratch } from "../fixtures/service.ts";
import { waitFor } from "../fixtures/wait.ts";

/**
 * A scripted ffmpeg double: writes files where the supervisor told ffmpeg to, and says on stdout what
 * the real one would. The test drives it step by step.
 */
function scriptedFfmpeg() {
  let options: SpawnOptions | undefined;
  const exit = Promise.withResolvers<number | null>();
  const spawn: SpawnFfmpeg = (o) => {
    options = o;
    const proc: FfmpegProcess = { pid: 1, exited: exit.promise, stop: async () => exit.resolve(0), kill: () => exit.resolve(null) };
    return proc;
  };
  const file = (n: number) => options!.command.at(-1)!.replace("%06d", String(n).padStart(6, "0"));
  return {
    spawn,
    started: () => options !== undefined,
    write: (n: number, bytes: number) => appendFileSync(file(n), Buffer.alloc(bytes, 1)),
    say: (line: string) => options!.onStdoutLine(line),
    segment: (n: number, start: number, end: number) => options!.onStdoutLine(`${file(n)},${start.toFixed(6)},${end.toFixed(6)}`),
  };
}

const supervisors: CameraSupervisor[] = [];
afterEach(async () => {
  for (const s of supervisors.splice(0)) await s.stop(100);
});

function setup() {
  const dir = scratch();
  const config = parseConfig(`[recording]\ntemp_dir = "${dir}/spool"\n[[cameras]]\nid = "cam"\nrtsp_url = "rtsp://127.0.0.1:9/s"\nsegment_duration_secs = 2\n`, "c.toml", {});
  const spool = new Spool(config.recording.temp_dir);
  const ffmpeg = scriptedFfmpeg();
  const bytes: number[] = [];
  const logs: string[] = [];
  const log = createLogger({ level: "debug", format: "json", write: (l) => logs.push(JSON.parse(l).msg) });
  const supervisor = new CameraSupervisor({
    camera: config.cameras[0]!, recording: config.recording, ffmpegPath: "/usr/bin/ffmpeg", source: { kind: "rtsp", url: "rtsp://127.0.0.1:9/s" },
    spool, spawn: ffmpeg.spawn, clock: systemClock, log, observer: { ...ignoreRecorderEvents, recordingBytes: (_id, n) => bytes.push(n) },
  });
  supervisors.push(supervisor);
  return { spool, ffmpeg, bytes, logs, supervisor };
}

test("camera_recording_bytes_total moves while a segment is written, and counts every byte once", async () => {
  const { spool, ffmpeg, bytes, supervisor } = setup();
  await spool.prepare(["cam"]);
  supervisor.start();
  await waitFor("ffmpeg spawned", () => ffmpeg.started());
  ffmpeg.write(0, 1000);
  ffmpeg.say("out_time_us=1000000");
  await waitFor("the first bytes counted", () => bytes.length === 1);
  expect(bytes).toEqual([1000]);
  ffmpeg.write(0, 500);
  ffmpeg.say("out_time_us=1500000");
  await waitFor("more bytes counted within the segment", () => bytes.length === 2);
  ffmpeg.write(0, 20);
  ffmpeg.write(1, 300); // the next file, opened at the cut
  ffmpeg.segment(0, 0, 2);
  await waitFor("the segment committed", async () => (await spool.pending()).length === 1);
  ffmpeg.say("out_time_us=2500000");
  await waitFor("the next file counted", () => bytes.reduce((a, b) => a + b, 0) === 1820);
  expect(bytes).toEqual([1000, 500, 20, 300]);
});

test("a segment without a single frame is set aside in damaged/, never queued for upload", async () => {
  const { spool, ffmpeg, logs, supervisor } = setup();
  await spool.prepare(["cam"]);
  supervisor.start();
  await waitFor("ffmpeg spawned", () => ffmpeg.started());
  ffmpeg.write(0, 40_000);
  ffmpeg.say("out_time_us=1000000");
  ffmpeg.write(1, 1387);
  ffmpeg.segment(0, 0, 2);
  // Stopped right after the cut: ffmpeg closes the new file with no frame in it.
  ffmpeg.segment(1, 2, 2);
  await waitFor("the empty one set aside", () => logs.includes("segment without a frame; set aside"));
  expect((await spool.pending()).map((s) => s.durationMs)).toEqual([2000]);
  expect(readdirSync(spool.dir("cam", "damaged"))).toEqual([readdirSync(spool.dir("cam", "damaged"))[0]!]);
  expect(readdirSync(spool.dir("cam", "damaged"))[0]).toMatch(/_000001\.mp4$/);
});
