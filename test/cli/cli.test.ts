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
