import { afterAll, afterEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { startFakeCamera } from "../fixtures/camera.ts";
import { ffmpegPidsWith, killAll } from "../fixtures/processes.ts";
import { scratch, startService } from "../fixtures/service.ts";
import { waitFor } from "../fixtures/wait.ts";

afterEach(killAll);
afterAll(killAll);

/** An S3 endpoint that accepts connections and never answers a byte. */
function hangingStorage() {
  const sockets: Array<{ end(): void }> = [];
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: (s) => void sockets.push(s), data() {} } });
  return { port: server.port, stop: () => { for (const s of sockets) s.end(); server.stop(true); } };
}

/**
 * A leftover recording that hangs its recovery: a FIFO with no writer, so the remux ffmpeg blocks
 * in open() forever, as a remux on a stuck filesystem would.
 */
async function hangingLeftover(dir: string, cameraId: string): Promise<string> {
  const recording = join(dir, "spool", cameraId, "recording");
  mkdirSync(recording, { recursive: true });
  const fifo = join(recording, "1700000000000_2_000000.mp4");
  const made = Bun.spawnSync(["mkfifo", fifo]);
  expect(made.exitCode).toBe(0);
  return fifo;
}

function config(dir: string, s3Port: number, camUrl: string): string {
  return `[storage]\nendpoint = "http://127.0.0.1:${s3Port}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\n[recording]\ntemp_dir = "${dir}/spool"\n[[cameras]]\nid = "cam"\nrtsp_url = "${camUrl}"\nsegment_duration_secs = 2\n[[cameras]]\nid = "stuck"\nrtsp_url = "${camUrl}"\nsegment_duration_secs = 2\n`;
}

test("SIGTERM with a storage that never answers and a recovery that hangs: gone within shutdown_timeout_secs + 10 s, nothing lost", async () => {
  const cam = await startFakeCamera({ shared: true });
  const storage = hangingStorage();
  const dir = scratch();
  const fifo = await hangingLeftover(dir, "stuck");
  const service = await startService(dir, config(dir, storage.port, cam.url()), {}, { shutdownTimeoutSecs: 2 });
  await waitFor("two segments recorded", () => service.logs.filter((l) => l.msg === "segment recorded").length >= 2, 60_000);
  const signalled = Date.now();
  service.signal("SIGTERM");
  const code = await service.proc.exited;
  const tookMs = Date.now() - signalled;
  expect(tookMs).toBeLessThan(2_000 + 10_000 + 2_000);
  expect(code).toBe(1);
  expect(service.logs.some((l) => l.level === "error" && l.msg === "shutdown not finished 12 s after SIGTERM while finalizing the cameras' segments: exiting now; every segment not yet uploaded stays in the spool for the next start")).toBe(true);
  // Every finished segment is still in the spool, the hanging leftover too; no ffmpeg outlives the service.
  const recorded = service.logs.filter((l) => l.msg === "segment recorded" && l.camera_id === "cam").length;
  expect(readdirSync(join(dir, "spool", "cam", "pending")).length).toBe(recorded);
  expect(existsSync(fifo)).toBe(true);
  await waitFor("no ffmpeg left", () => ffmpegPidsWith(dir).length === 0, 5000);
  storage.stop();
}, 120_000);

test("a second SIGTERM ends a hanging recovery and the process within 5 s; the leftover stays for the next start", async () => {
  const cam = await startFakeCamera({ shared: true });
  const storage = hangingStorage();
  const dir = scratch();
  const fifo = await hangingLeftover(dir, "stuck");
  const service = await startService(dir, config(dir, storage.port, cam.url()), {}, { shutdownTimeoutSecs: 60 });
  await waitFor("a segment recorded", () => service.logs.some((l) => l.msg === "segment recorded"), 60_000);
  service.signal("SIGTERM");
  await service.waitForLog("the first signal taken", (l) => l.msg.startsWith("SIGTERM received"));
  const again = Date.now();
  service.signal("SIGTERM");
  await service.proc.exited;
  expect(Date.now() - again).toBeLessThan(5000);
  expect(existsSync(fifo)).toBe(true);
  expect(service.logs.some((l) => l.msg === "recovery of a cut-short recording interrupted; the file stays in the spool")).toBe(true);
  await waitFor("no ffmpeg left", () => ffmpegPidsWith(dir).length === 0, 5000);
  storage.stop();
}, 120_000);
