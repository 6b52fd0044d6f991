import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json";
import { BINARY, runBinary, runCommand } from "../fixtures/binary.ts";

const DEFAULT_CONFIG = "/etc/camera-recorder/config.toml";

const dir = mkdtempSync(join(tmpdir(), "cli-"));
function configFile(text: string): string {
  const file = join(dir, `${Bun.hash(text)}.toml`);
  writeFileSync(file, text);
  return file;
}
const GOOD = `[[cameras]]\nid = "cam-1"\nrtsp_url = "rtsp://admin:\${CAM_PW}@127.0.0.1:8554/s"\n[storage]\naccess_key_id = "AK"\nsecret_access_key = "\${S3_SECRET}"\n`;

describe("the compiled binary", () => {
  test("--version prints the package version", async () => {
    const out = await runBinary(["--version"]);
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toStartWith(`camera-recorder ${pkg.version}`);
  });

  test("--help lists every command", async () => {
    const out = await runBinary(["--help"]);
    expect(out.exitCode).toBe(0);
    for (const command of ["run", "check-config", "probe", "demo"]) expect(out.stdout).toContain(`camera-recorder ${command === "run" ? "[run]" : command}`);
  });

  test("unknown command and unknown flag: exit 2 with a hint", async () => {
    const command = await runBinary(["record"]);
    expect(command.exitCode).toBe(2);
    expect(command.stderr).toBe("camera-recorder: unknown command 'record' (run 'camera-recorder --help' for usage)\n");
    const flag = await runBinary(["check-config", "--frob"]);
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toBe("camera-recorder: Unknown option '--frob' (run 'camera-recorder --help' for usage)\n");
    const level = await runBinary(["--log-level", "loud"]);
    expect(level.exitCode).toBe(2);
    expect(level.stderr).toContain("--log-level must be one of debug, info, warn, error, got 'loud'");
  });

  test("check-config prints the resolved config with secrets redacted", async () => {
    const out = await runBinary(["check-config", "--config", configFile(GOOD)], { CAM_PW: "cam-secret-pw", S3_SECRET: "s3-secret-key" });
    expect(out.stderr).toBe("");
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toContain('rtsp_url = "rtsp://admin:***@127.0.0.1:8554/s"');
    expect(out.stdout).toContain('secret_access_key = "***"');
    expect(out.stdout).toContain("metrics_port = 9090");
    expect(out.stdout).toContain('name = "cam-1"');
    expect(out.stdout).not.toContain("cam-secret-pw");
    expect(out.stdout).not.toContain("s3-secret-key");
  });

  test("check-config prints this replica's shard and the cameras it owns", async () => {
    const cameras = ["camera-1", "camera-2", "camera-3", "camera-4"].map((id) => `[[cameras]]\nid = "${id}"\nrtsp_url = "rtsp://127.0.0.1/${id}"\n`).join("");
    const sharded = await runBinary(["check-config", "--config", configFile(`[service]\nshards = 3\nshard_index = 2\n${cameras}`)]);
    expect(sharded.stderr).toBe("");
    expect(sharded.stdout.split("\n").slice(1, 2)).toEqual(["# shard 2 of 3: records 2 of 4 cameras: camera-3, camera-4"]);
    expect(sharded.stdout).toContain("shards = 3\nshard_index = 2\n");
    const none = await runBinary(["check-config", "--config", configFile(`[service]\nshards = "\${N}"\nshard_index = 1\n${cameras.split("[[cameras]]").slice(0, 2).join("[[cameras]]")}`)], { N: "2" });
    expect(none.stdout.split("\n")[1]).toBe("# shard 1 of 2: records 0 of 1 cameras");
  });

  test("check-config finds the file through CAMERA_RECORDER_CONFIG", async () => {
    const out = await runBinary(["check-config"], { CAMERA_RECORDER_CONFIG: configFile(GOOD), CAM_PW: "x", S3_SECRET: "y" });
    expect(out.exitCode).toBe(0);
  });

  test("a bad config: exit 2, one line per problem naming the file, no stack trace", async () => {
    const file = configFile(`${GOOD}[upload]\nmax_concurent = 1\n[[cameras]]\nid = "cam-2"\nrtsp_url = "rtsp://h/s"\nsegment_duration_secs = "abc"\n`);
    const out = await runBinary(["check-config", "--config", file], { CAM_PW: "x" });
    expect(out.exitCode).toBe(2);
    expect(out.stderr.split("\n").filter(Boolean)).toEqual([
      `camera-recorder: ${file}: upload.max_concurent: unknown key (did you mean max_concurrent?)`,
      `camera-recorder: ${file}: storage.secret_access_key: environment variable S3_SECRET is not set`,
      `camera-recorder: ${file}: cameras[1].segment_duration_secs: expected a number, got "abc"`,
    ]);
  });

  test("a config error never prints a secret: URL passwords and secret keys are redacted", async () => {
    const file = configFile(`[[cameras]]\nid = "cam-1"\nrtsp_url = "http://admin:\${PW}@10.0.0.1/s"\n[storage]\naccess_key_id = "AK"\nsecret_access_key = 12345678\n`);
    const out = await runBinary(["check-config", "--config", file], { PW: "hunter2secret" });
    expect(out.exitCode).toBe(2);
    expect(out.stderr.split("\n").filter(Boolean)).toEqual([
      `camera-recorder: ${file}: storage.secret_access_key: expected a string, got a number (value not shown)`,
      `camera-recorder: ${file}: cameras[0].rtsp_url: must start with rtsp:// or rtsps://, got "http://admin:***@10.0.0.1/s"`,
    ]);
    expect(out.stderr).not.toContain("hunter2secret");
    expect(out.stderr).not.toContain("12345678");
  });

  test("the error edge masks secret-named variables even where a message quotes them", async () => {
    const file = configFile(`[[cameras]]\nid = "cam-1"\nrtsp_url = "rtsp://h/s"\nsegment_duration_secs = "\${CAM_TOKEN}"\n`);
    const out = await runBinary(["check-config", "--config", file], { CAM_TOKEN: "tok-98765" });
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toBe(`camera-recorder: ${file}: cameras[0].segment_duration_secs: expected a number, got "***"\n`);
    // A message that does not redact by itself (the path of a missing file) is masked at the edge.
    const missing = await runBinary(["check-config", "--config", "/nonexistent/tok-98765/c.toml"], { CAM_TOKEN: "tok-98765" });
    expect(missing.stderr).toBe("camera-recorder: cannot read config file /nonexistent/***/c.toml (chosen by --config): file not found\n");
  });

  test("neither .env nor bunfig.toml in the working directory is read", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "cwd-"));
    writeFileSync(join(cwd, ".env"), "CAMPW=from-dotenv\n");
    writeFileSync(join(cwd, "preload.ts"), 'console.error("bunfig preload ran");\n');
    writeFileSync(join(cwd, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
    writeFileSync(join(cwd, "c.toml"), `[[cameras]]\nid = "cam-1"\nrtsp_url = "rtsp://u:\${CAMPW}@127.0.0.1/s"\n`);
    const proc = Bun.spawn([BINARY, "check-config", "--config", "c.toml"], { cwd, env: { PATH: process.env.PATH! }, stdout: "pipe", stderr: "pipe" });
    const [stderr, exitCode] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(stderr).toBe("camera-recorder: c.toml: cameras[0].rtsp_url: environment variable CAMPW is not set\n");
    expect(exitCode).toBe(2);
    // The same config passes with the variable in the environment: the .env was the only difference.
    const set = Bun.spawn([BINARY, "check-config", "--config", "c.toml"], { cwd, env: { PATH: process.env.PATH!, CAMPW: "x" }, stdout: "pipe", stderr: "pipe" });
    expect([await new Response(set.stderr).text(), await set.exited]).toEqual(["", 0]);
  });

  test("a missing config file: exit 2 naming the path and its source", async () => {
    // The default path must be missing: on a machine that has one, the binary runs in a private
    // mount namespace with an empty directory over /etc/camera-recorder.
    const out = existsSync(DEFAULT_CONFIG)
      ? await runCommand(
          ["unshare", "--mount", ...(process.getuid?.() === 0 ? [] : ["--map-root-user"]), "sh", "-c", 'mount -t tmpfs none /etc/camera-recorder && exec "$0" "$@"', BINARY, "check-config"],
          { PATH: process.env.PATH, HOME: process.env.HOME },
        )
      : await runBinary(["check-config"]);
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toBe("camera-recorder: cannot read config file /etc/camera-recorder/config.toml (chosen by the default path): file not found\n");
  });
});
