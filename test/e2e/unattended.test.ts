import { afterAll, afterEach, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY } from "../fixtures/binary.ts";
import { startFakeCamera } from "../fixtures/camera.ts";
import { ffmpegPidsWith, killAll } from "../fixtures/processes.ts";
import { alive } from "../../src/spool/orphans.ts";
import { scratch } from "../fixtures/service.ts";
import { freePort, waitFor } from "../fixtures/wait.ts";

/** The binary under test (CR_TEST_BINARY: another build, to show what an older one did). */
const BIN = process.env.CR_TEST_BINARY ?? BINARY;

/** Services started detached are not our children: ended by pid here, also when a test fails. */
const detached = new Set<number>();
async function endDetached() {
  for (const pid of detached) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  detached.clear();
}
afterEach(async () => {
  await endDetached();
  await killAll();
});
afterAll(killAll);

const logLines = (file: string) =>
  readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => {
    try {
      return JSON.parse(l) as { msg: string; level: string } & Record<string, unknown>;
    } catch {
      return { msg: l, level: "raw" };
    }
  });

test("started from a shell that exits at once, the service keeps recording; SIGTERM still finalizes; SIGKILL still ends its ffmpeg", async () => {
  const cam = await startFakeCamera();
  const dir = scratch();
  const config = join(dir, "config.toml");
  const log = join(dir, "service.log");
  writeFileSync(config, `[service]\nmetrics_host = "127.0.0.1"\nmetrics_port = ${freePort()}\nlog_format = "json"\nshutdown_timeout_secs = 5\n[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "${dir}/spool"\n[[cameras]]\nid = "cam"\nrtsp_url = "${cam.url()}"\nsegment_duration_secs = 2\n`);
  // setsid: a session of its own, like a login shell; the script exits 2 s after starting the service.
  const shell = Bun.spawn(["setsid", "sh", "-c", `"${BIN}" run --config "${config}" >"${log}" 2>&1 </dev/null & echo $!; sleep 2`], { stdout: "pipe", stderr: "inherit", stdin: "ignore", env: { PATH: process.env.PATH } });
  const pid = Number((await new Response(shell.stdout).text()).trim());
  detached.add(pid);
  await shell.exited;
  const shellGoneAt = Date.now();
  const recorded = () => logLines(log).filter((l) => l.msg === "segment recorded").length;
  await waitFor("a first segment", () => recorded() >= 1, 60_000);
  await waitFor("20 s after the shell exited", () => Date.now() - shellGoneAt >= 20_000, 30_000, 500);
  expect(alive(pid)).toBe(true);
  const before = recorded();
  await waitFor("segments still arriving", () => recorded() >= before + 2, 30_000);

  process.kill(pid, "SIGTERM");
  await waitFor("the service gone after SIGTERM", () => !alive(pid), 30_000);
  detached.delete(pid);
  expect(logLines(log).some((l) => l.msg.startsWith("shutdown complete: 1 segment(s) finalized"))).toBe(true);
  expect(ffmpegPidsWith(dir)).toEqual([]);

  // Started from a shell that exits at once: SIGKILL of the service still takes its ffmpeg along at once.
  const again = Bun.spawn(["setsid", "sh", "-c", `"${BIN}" run --config "${config}" >"${log}" 2>&1 </dev/null & echo $!`], { stdout: "pipe", stderr: "inherit", stdin: "ignore", env: { PATH: process.env.PATH } });
  const pid2 = Number((await new Response(again.stdout).text()).trim());
  detached.add(pid2);
  await waitFor("its ffmpeg running", () => ffmpegPidsWith(dir).length === 1, 30_000);
  process.kill(pid2, "SIGKILL");
  await waitFor("no ffmpeg left after SIGKILL", () => ffmpegPidsWith(dir).length === 0, 5000, 100);
}, 180_000);
