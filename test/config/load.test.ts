import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigFile, parseConfig, resolveConfigPath } from "../../src/config/load.ts";
import { ConfigError, AppError } from "../../src/errors.ts";

const CAMERA = `[[cameras]]\nid = "cam-1"\nrtsp_url = "rtsp://127.0.0.1:8554/s"\n`;

function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, "c.toml", env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  test("fills in every default of the spec", () => {
    const config = parseConfig(CAMERA, "c.toml", {});
    expect(config.service).toEqual({ metrics_port: 9090, metrics_host: "0.0.0.0", shutdown_timeout_secs: 60, log_level: "info", log_format: "auto", ui_user: "admin", shards: 1, shard_index: 0 });
    expect(config.storage).toEqual({ type: "s3", bucket: "camera-recordings", region: "us-east-1", force_path_style: true, create_bucket: true, key_prefix: "" });
    expect(config.recording).toEqual({ temp_dir: "/tmp/camera-recordings", local_retention_minutes: 60, video_codec: "copy", audio_codec: "aac", timezone: "UTC", stall_timeout_secs: 10, ffmpeg_path: "ffmpeg", disk_pressure_ratio: 0.9, min_free_mb: 512 });
    expect(config.upload).toEqual({ max_concurrent: 4, max_retries: 5, retry_backoff_secs: 5, part_size_mb: 16 });
    expect(config.retention).toEqual({ days: 0, max_gb: 0, interval_minutes: 60 });
    expect(config.cameras[0]).toEqual({ id: "cam-1", name: "cam-1", rtsp_url: "rtsp://127.0.0.1:8554/s", segment_duration_secs: 900, enabled: true });
    expect(Object.isFrozen(config.cameras[0])).toBe(true);
  });

  test("wrong type names the key path and the value", () => {
    expect(problems(`${CAMERA}${CAMERA.replace("cam-1", "cam-2")}segment_duration_secs = "abc"\n`)).toEqual([
      'cameras[1].segment_duration_secs: expected a number, got "abc"',
    ]);
  });

  test("out of range", () => {
    expect(problems(`${CAMERA}segment_duration_secs = 0\n[upload]\nmax_concurrent = 1.5\n`)).toEqual([
      "cameras[0].segment_duration_secs: must be at least 1, got 0",
      "upload.max_concurrent: must be a whole number, got 1.5",
    ]);
  });

  test("unknown keys, with a hint when one is close", () => {
    expect(problems(`${CAMERA}[upload]\nmax_concurent = 2\n[frobnicate]\nx = 1\n`)).toEqual([
      "upload.max_concurent: unknown key (did you mean max_concurrent?)",
      "frobnicate: unknown key",
    ]);
  });

  test("unset variable names the variable and the key", () => {
    const text = `${CAMERA}[storage]\naccess_key_id = "k"\nsecret_access_key = "\${S3_SECRET_ACCESS_KEY}"\n`;
    expect(problems(text)).toEqual(["storage.secret_access_key: environment variable S3_SECRET_ACCESS_KEY is not set"]);
  });

  test("every problem at once", () => {
    const text = `[upload]\nmax_concurent = 3\n[[cameras]]\nid = "-bad"\nrtsp_url = "http://x/y"\n[recording]\naudio_codec = "mp3"\n`;
    expect(problems(text)).toEqual([
      "upload.max_concurent: unknown key (did you mean max_concurrent?)",
      'cameras[0].id: must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$, got "-bad"',
      'cameras[0].rtsp_url: must start with rtsp:// or rtsps://, got "http://x/y"',
      'recording.audio_codec: must be one of "aac", "copy", "none", got "mp3"',
    ]);
  });

  test("cross-field rules", () => {
    expect(problems(`${CAMERA}${CAMERA}[storage]\ntype = "filesystem"\n[recording]\ntimezone = "Mars/Olympus"\n`)).toEqual([
      'cameras[1].id: duplicate camera id "cam-1" (also cameras[0].id)',
      'storage.path: required when storage.type = "filesystem"',
      'recording.timezone: unknown timezone "Mars/Olympus" (an IANA name like "Europe/Berlin", "UTC" or "local")',
    ]);
    expect(problems(`${CAMERA}enabled = false\n`)).toEqual(["cameras: no enabled camera (add a [[cameras]] table with enabled = true)"]);
    expect(problems("")).toEqual(["cameras: no enabled camera (add a [[cameras]] table with enabled = true)"]);
  });

  test("TOML syntax error names file, line and column", () => {
    try {
      parseConfig(`[service]\nmetrics_port = 90 90\n`, "c.toml", {});
      throw new Error("expected a ConfigError");
    } catch (error) {
      expect((error as ConfigError).lines()).toEqual([
        "c.toml:2:19: TOML syntax error: Unexpected character, expected only whitespace or comments till end of line",
      ]);
    }
  });

  test("FFMPEG_PATH stands in for an omitted ffmpeg_path, not for a configured one", () => {
    expect(parseConfig(CAMERA, "c.toml", { FFMPEG_PATH: "/opt/ff" }).recording.ffmpeg_path).toBe("/opt/ff");
    expect(parseConfig(`${CAMERA}[recording]\nffmpeg_path = "/x/ff"\n`, "c.toml", { FFMPEG_PATH: "/opt/ff" }).recording.ffmpeg_path).toBe("/x/ff");
  });
});

describe("config file", () => {
  const env = {};
  test("path: flag, then CAMERA_RECORDER_CONFIG, then the default", () => {
    expect(resolveConfigPath("/a.toml", { CAMERA_RECORDER_CONFIG: "/b.toml" })).toEqual({ path: "/a.toml", chosenBy: "--config" });
    expect(resolveConfigPath(undefined, { CAMERA_RECORDER_CONFIG: "/b.toml" })).toEqual({ path: "/b.toml", chosenBy: "CAMERA_RECORDER_CONFIG" });
    expect(resolveConfigPath(undefined, {})).toEqual({ path: "/etc/camera-recorder/config.toml", chosenBy: "default" });
  });

  test("a missing file names the path and who chose it", async () => {
    const missing = loadConfigFile({ path: "/nope/c.toml", chosenBy: "CAMERA_RECORDER_CONFIG" }, env);
    await expect(missing).rejects.toThrow("cannot read config file /nope/c.toml (chosen by CAMERA_RECORDER_CONFIG): file not found");
    await expect(missing).rejects.toBeInstanceOf(AppError);
  });

  test("an unreadable file says why", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const file = join(dir, "c.toml");
    writeFileSync(file, CAMERA);
    chmodSync(file, 0o000);
    // root reads any file: show the other unreadable case, a directory, there.
    if (process.getuid?.() === 0) {
      await expect(loadConfigFile({ path: dir, chosenBy: "--config" }, env)).rejects.toThrow(`cannot read config file ${dir} (chosen by --config): is a directory`);
      return;
    }
    await expect(loadConfigFile({ path: file, chosenBy: "--config" }, env)).rejects.toThrow("permission denied");
  });
});
