import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBinary } from "../fixtures/binary.ts";
import { killAll } from "../fixtures/processes.ts";
import { scratch } from "../fixtures/service.ts";
import { freePort } from "../fixtures/wait.ts";
import { startS3 } from "../fixtures/s3.ts";
import { DAY, HOUR, seedFiles, seedS3, segmentsOf } from "../retention/seed.ts";
import { strictS3Front } from "../retention/strict-s3.ts";

afterEach(killAll);
afterAll(killAll);

const FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

function storedKeys(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();
}

describe("camera-recorder prune", () => {
  const dir = scratch();
  const root = join(dir, "store");
  const file = join(dir, "config.toml");
  // cam-1 keeps 30 days; cam-2 overrides to keep everything; both have 40 days stored.
  writeFileSync(file, `[storage]\ntype = "filesystem"\npath = "${root}"\n[retention]\ndays = 30\n[[cameras]]\nid = "cam-1"\nrtsp_url = "rtsp://h/s"\n[[cameras]]\nid = "cam-2"\nrtsp_url = "rtsp://h/s"\nretention_days = 0\n`);
  const newest = Date.now() - HOUR;
  const cam1 = segmentsOf("cam-1", "", newest, 320, 3 * HOUR, 1000);
  const cam2 = segmentsOf("cam-2", "", newest, 320, 3 * HOUR, 1000);
  seedFiles(root, [...cam1, ...cam2]);
  const keep1 = cam1.filter((s) => s.startMs >= newest - 30 * DAY);
  const lines = (verb: string) => `cam-1: ${verb} 79 segments (77.1 KiB, 79000 bytes); oldest kept: ${keep1[0]!.key}\ncam-2: ${verb} 0 segments (0 B, 0 bytes); oldest kept: ${cam2[0]!.key}\n`;

  test("--dry-run: one line per camera with what would go and the oldest kept; nothing deleted", async () => {
    const out = await runBinary(["prune", "--config", file, "--dry-run"]);
    expect(out.stderr).toBe("");
    expect(out.stdout).toBe(lines("would delete"));
    expect(out.exitCode).toBe(0);
    expect(storedKeys(root).length).toBe(640);
  });

  test("with the host clock 3 years ahead (libfaketime) it would delete exactly the same", async () => {
    const date = await runBinary(["--version"], { LD_PRELOAD: FAKETIME, FAKETIME: "+3y" });
    expect(date.exitCode).toBe(0);
    // The clock really is ahead inside the binary's process: bun itself under the same preload.
    const year = await Bun.spawn(["bun", "-e", "console.log(new Date().getUTCFullYear())"], { env: { ...process.env, LD_PRELOAD: FAKETIME, FAKETIME: "+3y" }, stdout: "pipe" }).stdout.text();
    expect(Number(year)).toBe(new Date().getUTCFullYear() + 3);
    const out = await runBinary(["prune", "--config", file, "--dry-run"], { LD_PRELOAD: FAKETIME, FAKETIME: "+3y" });
    expect(out.stderr).toBe("");
    expect(out.stdout).toBe(lines("would delete"));
    const real = await runBinary(["prune", "--config", file], { LD_PRELOAD: FAKETIME, FAKETIME: "+3y" });
    expect(real.stdout).toBe(lines("deleted"));
    expect(storedKeys(root)).toEqual([...keep1, ...cam2].map((s) => s.key).sort());
  });

  test("prune: the same lines in the past tense; a second run deletes nothing", async () => {
    const out = await runBinary(["prune", "--config", file]);
    expect(out.stderr).toBe("");
    expect(out.exitCode).toBe(0);
    // The faketime run above already deleted them: nothing left to go.
    expect(out.stdout).toBe(`cam-1: deleted 0 segments (0 B, 0 bytes); oldest kept: ${keep1[0]!.key}\ncam-2: deleted 0 segments (0 B, 0 bytes); oldest kept: ${cam2[0]!.key}\n`);
    expect(existsSync(join(root, cam1[0]!.key.split("/").slice(0, 2).join("/")))).toBe(false); // emptied date folder removed
  });

  test("storage that cannot be listed: a line on stderr per camera, nothing on stdout, exit 1", async () => {
    const s3 = join(dir, "s3.toml");
    writeFileSync(s3, `[storage]\nendpoint = "http://127.0.0.1:${freePort()}"\naccess_key_id = "AKIA"\nsecret_access_key = "s3cret-key"\n[retention]\ndays = 30\n[[cameras]]\nid = "cam-1"\nrtsp_url = "rtsp://h/s"\n`);
    const out = await runBinary(["prune", "--config", s3]);
    expect(out.stdout).toBe("");
    expect(out.stderr).toMatch(/^camera-recorder: cam-1: cannot list storage: cannot list camera-recordings\/cam-1\/: .*ECONNREFUSED.*; nothing deleted\n$/s);
    expect(out.stderr).not.toContain("s3cret-key");
    expect(out.exitCode).toBe(1);
  });

  test("S3 that denies the deletes: the line says what went (nothing) and what is still the oldest; the reason on stderr; exit 1", async () => {
    const s3 = await startS3();
    const front = strictS3Front(s3.endpoint);
    const segments = segmentsOf("cam-1", "", newest, 320, 3 * HOUR, 1000);
    await seedS3(s3, "camera-recordings", segments, "cam-1");
    const config = join(dir, "deny.toml");
    writeFileSync(config, `[storage]\nendpoint = "${front.endpoint}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\n[retention]\ndays = 30\n[[cameras]]\nid = "cam-1"\nrtsp_url = "rtsp://h/s"\n`);
    front.control.denyDeletes = true;
    const out = await runBinary(["prune", "--config", config]);
    expect(out.stdout).toBe(`cam-1: deleted 0 segments (0 B, 0 bytes); oldest kept: ${segments[0]!.key}\n`);
    expect(out.stderr).toBe("camera-recorder: cam-1: cannot delete: cannot delete 79 object(s) from camera-recordings: AccessDenied, HTTP 403, Access Denied.\n");
    expect(out.exitCode).toBe(1);
    expect((await s3.keys("camera-recordings")).length).toBe(320);
    // Rights granted: the same command does it.
    front.control.denyDeletes = false;
    const ok = await runBinary(["prune", "--config", config]);
    expect(ok.stdout).toBe(`cam-1: deleted 79 segments (77.1 KiB, 79000 bytes); oldest kept: ${keep1[0]!.key}\n`);
    expect(ok.exitCode).toBe(0);
    front.stop();
  });
});

