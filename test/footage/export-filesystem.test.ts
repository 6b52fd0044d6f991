import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as v from "valibot";
import { exportClip } from "../../src/cli/export.ts";
import { ConfigSchema } from "../../src/config/schema.ts";
import { FRAGMENTED_MP4 } from "../../src/recorder/ffmpeg-args.ts";
import { objectKey } from "../../src/upload/key.ts";
import { runCommand } from "../fixtures/binary.ts";
import { largestStep, videoDts, videoPacketHashes, videoSecs } from "../fixtures/footage.ts";
import { decodeErrors } from "../fixtures/media.ts";

// The filesystem backend keeps no metadata: start and duration come from the keys and ffprobe.
test("filesystem storage: segments known by their keys only are measured and joined without a jump", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cr-fs-export-"));
  const made = await runCommand([
    "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=15", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000",
    "-t", "15", "-map", "0:v", "-c:v", "libx264", "-preset", "ultrafast", "-g", "20", "-x264-params", "repeat-headers=1", "-pix_fmt", "yuv420p", "-map", "1:a", "-c:a", "aac",
    "-f", "segment", "-segment_time", "5", "-reset_timestamps", "1", "-segment_format", "mp4", "-segment_format_options", FRAGMENTED_MP4,
    join(dir, "seg%03d.mp4"),
  ]);
  expect(made.stderr).toBe("");
  const T = Date.UTC(2026, 10, 24, 14, 0, 0);
  const files = readdirSync(dir).filter((n) => n.startsWith("seg")).sort();
  expect(files.length).toBeGreaterThanOrEqual(3);
  // A keyframe every 1.33 s: cuts fall at 5.33 s and 10.67 s, which keys (whole seconds) cannot tell.
  // SPS and PPS before each keyframe, as cameras send them (see joinArgs on auto_convert).
  const sources = files.slice(0, 3).map((name) => join(dir, name));
  const sourceHashes = (await Promise.all(sources.map(videoPacketHashes))).flat();
  files.slice(0, 3).forEach((name, i) => {
    const key = join(dir, "store", objectKey({ cameraId: "cam", startMs: T + Math.floor((16 / 3) * i) * 1000, cut: "start", configuredSecs: 5 }, "", "UTC"));
    mkdirSync(dirname(key), { recursive: true });
    renameSync(join(dir, name), key);
  });
  const config = v.parse(ConfigSchema, {
    storage: { type: "filesystem", path: join(dir, "store") },
    recording: { temp_dir: join(dir, "spool") },
    cameras: [{ id: "cam", rtsp_url: "rtsp://127.0.0.1:9/x", segment_duration_secs: 5 }],
  });
  const output = join(dir, "out.mp4");
  const stderr: string[] = [];
  const code = await exportClip(config, { command: "export", camera: "cam", from: "2026-11-24 14:00:02", to: "2026-11-24 14:00:12", output }, (t) => stderr.push(t) > 0);
  expect(code).toBe(0);
  expect(stderr.join("")).not.toContain("gap");
  expect(await decodeErrors(output)).toBe("");
  const secs = await videoSecs(output);
  expect(secs).toBeGreaterThanOrEqual(9.95);
  expect(secs).toBeLessThanOrEqual(11.4);
  // Every frame from the keyframe before --from on, none dropped at a join.
  const clipHashes = await videoPacketHashes(output);
  const first = sourceHashes.indexOf(clipHashes[0]!);
  expect(clipHashes).toEqual(sourceHashes.slice(first, first + clipHashes.length));
  const steps = largestStep(await videoDts(output));
  expect(steps.smallest).toBeGreaterThan(0);
  expect(steps.largest).toBeLessThan(0.07); // 15 fps: 0.0667 s per frame, nothing more at the joins

  // A range running past the recording: the clip ends with it, and says so.
  const past: string[] = [];
  expect(await exportClip(config, { command: "export", camera: "cam", from: "2026-11-24 14:00:12", to: "2026-11-24 14:01:00", output: join(dir, "past.mp4") }, (t) => past.push(t) > 0)).toBe(0);
  expect(past.join("")).toMatch(/^nothing recorded after 2026-11-24 14:00:1[45]: the clip ends there$/m);
});
