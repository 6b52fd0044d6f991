import { expect, test } from "bun:test";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../../src/log.ts";
import { Housekeeper } from "../../src/spool/housekeeper.ts";
import { SpoolLayout } from "../../src/spool/layout.ts";
import { Spool } from "../../src/spool/spool.ts";
import { ManualClock } from "../fixtures/clock-double.ts";
import { scratch } from "../fixtures/service.ts";

test("a relative temp_dir is resolved once: every spool path, and every path given to ffmpeg, is absolute", () => {
  const layout = new SpoolLayout("./spool");
  expect(layout.root).toBe(join(process.cwd(), "spool"));
  expect(layout.recordingPattern("cam", 1700000000000, 900)).toBe(join(process.cwd(), "spool/cam/recording/1700000000000_900_%06d.mp4"));
  expect(layout.lockFile).toBe(join(process.cwd(), "spool/camera-recorder.lock"));
  expect(new Spool("./spool").dir("cam", "pending")).toBe(join(process.cwd(), "spool/cam/pending"));
});

test("a path inside the spool is recognized however it was written, relative to its process's directory", () => {
  const layout = new SpoolLayout("/data/spool");
  expect(layout.contains("/data/spool/cam/recording/1_2_000001.mp4")).toBe(true);
  expect(layout.contains("spool/cam/recording/1_2_000001.mp4", "/data")).toBe(true);
  expect(layout.contains("./spool/cam/x.mp4", "/data")).toBe(true);
  expect(layout.contains("/data/spool2/cam/x.mp4")).toBe(false);
  expect(layout.contains("/data/spool")).toBe(false);
});

test("recording file names: built, advanced and parsed in one place", () => {
  const layout = new SpoolLayout("/s");
  const file = layout.recordingFile("cam", 1700000000000, 900, 41);
  expect(file).toBe("/s/cam/recording/1700000000000_900_000041.mp4");
  expect(layout.nextRecordingFile(file)).toBe("/s/cam/recording/1700000000000_900_000042.mp4");
  expect(layout.configuredSecsOf(file)).toBe(900);
  expect(layout.startNote(file)).toBe(`${file}.start`);
  expect(layout.noteOwner(`${file}.start`)).toBe(file);
  expect(layout.recoveredFile(file)).toBe("/s/cam/recording/1700000000000_900_000041.recovered.mp4");
  expect(layout.isRecoveredFile(layout.recoveredFile(file))).toBe(true);
});

test("a failing housekeeping run is logged once per kind, again on a change and on recovery, and counted every time", async () => {
  const dir = scratch();
  const root = join(dir, "spool");
  const lines: Array<{ level: string; msg: string }> = [];
  const log = createLogger({ level: "info", format: "json", write: (l) => lines.push(JSON.parse(l)) });
  let errors = 0;
  const housekeeper = new Housekeeper({ spool: new Spool(root), cameraIds: ["cam"], clock: new ManualClock(), log, retentionMs: 60_000, pressureRatio: 0.9, minFreeBytes: 0, intervalMs: 10_000, onError: () => errors++ });
  // temp_dir gone (a volume unmounted): statfs fails on every run.
  await housekeeper.runOnce();
  await housekeeper.runOnce();
  await housekeeper.runOnce();
  expect(errors).toBe(3);
  const failed = lines.filter((l) => l.msg.startsWith("spool housekeeping failed"));
  expect(failed.length).toBe(1);
  expect(failed[0]!.level).toBe("error");
  expect(failed[0]!.msg).toContain("ENOENT");
  expect(housekeeper.snapshot().error).toContain("ENOENT");
  mkdirSync(join(root, "cam", "uploaded"), { recursive: true });
  await housekeeper.runOnce();
  expect(lines.at(-1)!.msg).toBe("spool housekeeping works again");
  expect(housekeeper.snapshot().error).toBeUndefined();
  rmSync(root, { recursive: true });
  await housekeeper.runOnce();
  expect(lines.filter((l) => l.msg.startsWith("spool housekeeping failed")).length).toBe(2);
  expect(errors).toBe(4);
});
