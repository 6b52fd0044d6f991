import { afterAll, afterEach, expect, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeCamera } from "../fixtures/camera.ts";
import { killAll, track } from "../fixtures/processes.ts";
import { scratch, startService } from "../fixtures/service.ts";
import { waitFor } from "../fixtures/wait.ts";

afterEach(killAll);
afterAll(killAll);

const recordedCount = (logs: Array<{ msg: string }>) => logs.filter((l) => l.msg === "segment recorded").length;

test("camera_recording_bytes_total moves within one segment, as ffmpeg writes", async () => {
  const cam = await startFakeCamera();
  const dir = scratch();
  const service = await startService(dir, `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "${dir}/spool"\n[[cameras]]\nid = "cam"\nrtsp_url = "${cam.url()}"\nsegment_duration_secs = 600\n`);
  const bytes = async () => Number(/camera_recording_bytes_total\{camera_id="cam"\} (\d+)/.exec((await service.get("/metrics")).text)![1]);
  const first = await waitFor("bytes counted", async () => (await bytes()) > 0 && (await bytes()), 30_000);
  await waitFor("more bytes counted", async () => (await bytes()) > first, 15_000);
  // All of it within the first segment: none was finished yet.
  expect(recordedCount(service.logs)).toBe(0);
  service.signal("SIGTERM");
  expect(await service.proc.exited).toBe(0);
}, 90_000);

test("the host clock stepped 90 s back and then forward while recording: recording goes on, the jumps are logged, no segment overwrites another", async () => {
  const cam = await startFakeCamera();
  const dir = scratch();
  const offset = join(dir, "faketime");
  writeFileSync(offset, "+0\n");
  const service = await startService(dir, `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "${dir}/spool"\n[[cameras]]\nid = "cam"\nrtsp_url = "${cam.url()}"\nsegment_duration_secs = 2\n`, {
    LD_PRELOAD: "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    FAKETIME_TIMESTAMP_FILE: offset,
    FAKETIME_NO_CACHE: "1",
    DONT_FAKE_MONOTONIC: "1",
  });
  await waitFor("two segments", () => recordedCount(service.logs) >= 2, 60_000);
  writeFileSync(offset, "-90\n");
  const back = await service.waitForLog("the step back logged", (l) => l.msg.startsWith("the host clock jumped back"), 30_000);
  expect(back.msg).toMatch(/^the host clock jumped back by 9\d\.\d s; segment times follow the new clock$/);
  const afterBack = recordedCount(service.logs);
  await waitFor("two more segments", () => recordedCount(service.logs) >= afterBack + 2, 60_000);
  writeFileSync(offset, "+0\n");
  const forward = await service.waitForLog("the step forward logged", (l) => l.msg.startsWith("the host clock jumped forward"), 30_000);
  expect(forward.msg).toMatch(/^the host clock jumped forward by (8|9)\d\.\d s; segment times follow the new clock$/);
  const afterForward = recordedCount(service.logs);
  await waitFor("two more segments", () => recordedCount(service.logs) >= afterForward + 2, 60_000);
  service.signal("SIGTERM");
  expect(await service.proc.exited).toBe(0);
  expect(service.logs.some((l) => l.level === "warn" && String(l.msg).startsWith("no media"))).toBe(false);
  // Every segment recorded is a file of its own in the storage and the spool: nothing overwritten.
  expect(readdirSync(join(dir, "spool", "cam", "pending"))).toEqual([]);
  const stored = readdirSync(join(dir, "store", "cam"), { recursive: true }).filter((n) => String(n).endsWith(".mp4"));
  expect(stored.length).toBe(recordedCount(service.logs));
}, 240_000);

test("on a loaded machine (three busy loops), the first segments of a run still join without a gap", async () => {
  const loops = [0, 1, 2].map(() => track(Bun.spawn(["sh", "-c", "while :; do :; done"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" })));
  const cam = await startFakeCamera();
  const dir = scratch();
  const service = await startService(dir, `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "${dir}/spool"\n[[cameras]]\nid = "cam"\nrtsp_url = "${cam.url()}"\nsegment_duration_secs = 2\n`);
  await waitFor("four segments", () => recordedCount(service.logs) >= 4, 90_000);
  for (const loop of loops) loop.kill("SIGKILL");
  service.signal("SIGTERM");
  expect(await service.proc.exited).toBe(0);
  const segments = service.logs
    .filter((l) => l.msg === "segment recorded")
    .map((l) => ({ startMs: Date.parse(String(l.start)), durationMs: Number(l.duration_secs) * 1000 }));
  for (let i = 1; i < segments.length; i++) {
    const gapMs = segments[i]!.startMs - (segments[i - 1]!.startMs + segments[i - 1]!.durationMs);
    expect(Math.abs(gapMs)).toBeLessThanOrEqual(5);
  }
}, 180_000);
