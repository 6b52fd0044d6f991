import { afterAll, afterEach, expect, test } from "bun:test";
import { renameSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startFakeCamera } from "../fixtures/camera.ts";
import { specProblems } from "../fixtures/exposition.ts";
import { killAll } from "../fixtures/processes.ts";
import { scratch, startService } from "../fixtures/service.ts";
import { runBinary } from "../fixtures/binary.ts";
import { freePort, waitFor } from "../fixtures/wait.ts";

afterEach(killAll);
afterAll(killAll);

const CAMERA_PASSWORD = "Cam-Pa55word";
const S3_SECRET = "s3-SECRET-value-42";

test("a good camera and one with a wrong password: /ready, /health and /metrics tell which, and no secret shows", async () => {
  const cam = await startFakeCamera({ user: "admin", password: CAMERA_PASSWORD });
  const dir = scratch();
  const config = `[storage]\nendpoint = "http://127.0.0.1:${freePort()}"\naccess_key_id = "AKID"\nsecret_access_key = "\${S3_SECRET}"\n[recording]\ntemp_dir = "${dir}/spool"\n[[cameras]]\nid = "good"\nrtsp_url = "rtsp://admin:\${CAM_PW}@127.0.0.1:${cam.port}/stream1"\nsegment_duration_secs = 2\n[[cameras]]\nid = "wrongpw"\nrtsp_url = "rtsp://admin:not-\${CAM_PW}@127.0.0.1:${cam.port}/stream1"\nsegment_duration_secs = 2\n`;
  const service = await startService(dir, config, { CAM_PW: CAMERA_PASSWORD, S3_SECRET });

  const readyNow = await waitFor("good recording, wrongpw failed", async () => {
    const r = await service.get("/ready");
    return r.body.not_ready?.length === 1 && r.body.not_ready[0].reason === "auth" ? r : undefined;
  });
  expect(readyNow.status).toBe(503);
  expect(readyNow.body.not_ready).toEqual([{ id: "wrongpw", state: "backing_off", reason: "auth" }]);

  const health = await service.get("/health");
  expect(health.status).toBe(200);
  const byId = Object.fromEntries(health.body.cameras.map((c: { id: string }) => [c.id, c]));
  expect(byId.wrongpw.status).toBe("auth");
  expect(byId.good.status).toBe("recording");

  const metrics = await service.get("/metrics");
  expect(specProblems(metrics.text, ["good", "wrongpw"])).toEqual([]);
  expect(metrics.text).toContain('camera_stream_connected{camera_id="good"} 1');
  expect(metrics.text).toContain('camera_stream_connected{camera_id="wrongpw"} 0');

  // The storage is down: its errors are in /health too. Nothing anywhere holds a secret.
  await waitFor("an upload error in /health", async () => (await service.get("/health")).body.upload_backlog.last_error);
  for (const text of [health.text, readyNow.text, metrics.text, (await service.get("/health")).text, JSON.stringify(service.logs), service.stderr.join("\n")]) {
    expect(text).not.toContain(CAMERA_PASSWORD);
    expect(text).not.toContain(S3_SECRET);
    expect(text).not.toMatch(/rtsp:\/\/admin:[^*]/);
  }
  service.signal("SIGINT");
  expect(await service.proc.exited).toBe(0);
});

test("temp_dir made unwritable at run time: /health 503 with the reason, 200 again once it is back", async () => {
  const cam = await startFakeCamera();
  const dir = scratch();
  const spool = join(dir, "spool");
  const config = `[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "${spool}"\n[[cameras]]\nid = "cam"\nrtsp_url = "${cam.url()}"\nsegment_duration_secs = 2\n`;
  const service = await startService(dir, config);
  // Root writes through any permission bits: take the directory away and put a file in its place.
  renameSync(spool, `${spool}.away`);
  writeFileSync(spool, "not a directory");
  const failing = await waitFor("/health 503", async () => {
    const r = await service.get("/health");
    return r.status === 503 ? r : undefined;
  }, 40_000);
  expect(failing.body.problems).toContain("temp_dir is not writable");
  rmSync(spool);
  renameSync(`${spool}.away`, spool);
  await waitFor("/health 200 again", async () => (await service.get("/health")).status === 200, 40_000);
});

test("a port already in use is a clear startup error naming the port and the key", async () => {
  const port = freePort();
  const blocker = Bun.serve({ hostname: "127.0.0.1", port, fetch: () => new Response("busy") });
  try {
    const dir = scratch();
    const file = join(dir, "c.toml");
    writeFileSync(file, `[service]\nmetrics_host = "127.0.0.1"\nmetrics_port = ${port}\n[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "${dir}/spool"\n[[cameras]]\nid = "cam"\nrtsp_url = "rtsp://127.0.0.1:9/x"\n`);
    const out = await runBinary(["run", "--config", file]);
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toContain(`camera-recorder: cannot listen on 127.0.0.1:${port} (service.metrics_host, service.metrics_port): the port is already in use`);
  } finally {
    blocker.stop(true);
  }
});
