import { basename, dirname, join, resolve } from "node:path";
import type { SegmentCut } from "./segment.ts";

export type SpoolState = "recording" | "pending" | "uploaded" | "damaged";

/**
 * Every file and directory name in the spool, in one place, under one root resolved once: a
 * relative temp_dir ("./spool") means the same directory to every part of the service, and every
 * path handed to ffmpeg is absolute, so that the orphan check (orphans.ts) recognizes it.
 *
 *   {root}/camera-recorder.lock                         one service per spool (lock.ts)
 *   {root}/.writable-{pid}                              the housekeeper's write probe
 *   {root}/{camera}/recording/{run}_{secs}_{n}.mp4      ffmpeg writes here; `{run}` is the run's
 *                                                       start (ms), `{secs}` the configured duration
 *   {root}/{camera}/recording/{file}.start             when that open file started (wall clock, ms)
 *   {root}/{camera}/recording/{file-.mp4}.recovered.mp4 a cut-short file being remuxed
 *   {root}/{camera}/{pending,uploaded,damaged}/{segment file name (segment.ts)}
 */
export class SpoolLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  dir(cameraId: string, state: SpoolState): string {
    return join(this.root, cameraId, state);
  }

  get lockFile(): string {
    return join(this.root, "camera-recorder.lock");
  }

  writeProbe(pid: number): string {
    return join(this.root, `.writable-${pid}`);
  }

  /** True for a path inside this spool (absolute, or relative to `cwd`). */
  contains(path: string, cwd = process.cwd()): boolean {
    return resolve(cwd, path).startsWith(`${this.root}/`);
  }

  /** Recording file number `index` of one ffmpeg run. */
  recordingFile(cameraId: string, runStartMs: number, configuredSecs: number, index: number): string {
    return join(this.dir(cameraId, "recording"), `${runStartMs}_${configuredSecs}_${String(index).padStart(6, "0")}.mp4`);
  }

  /** The same, with ffmpeg's `%06d` counter in place of the number. */
  recordingPattern(cameraId: string, runStartMs: number, configuredSecs: number): string {
    return join(this.dir(cameraId, "recording"), `${runStartMs}_${configuredSecs}_%06d.mp4`);
  }

  /** A file ffmpeg named in its segment list, as a path in this camera's recording directory. */
  recordingFileNamed(cameraId: string, reported: string): string {
    return join(this.dir(cameraId, "recording"), basename(reported));
  }

  /** The file ffmpeg opens after `file`. */
  nextRecordingFile(file: string): string {
    return file.replace(/(\d{6})\.mp4$/, (_m, n: string) => `${String(Number(n) + 1).padStart(6, "0")}.mp4`);
  }

  /** The configured duration a recording file was made with (its `{secs}`). */
  configuredSecsOf(file: string): number | undefined {
    const match = /(?:^|\/)\d+_(\d+)_\d+\.mp4$/.exec(file);
    return match ? Number(match[1]) : undefined;
  }

  /**
   * A recording file after the first of its run (counter > 0) began where ffmpeg cut on a wall-clock
   * boundary; the first began with the run (a start or reconnect). The object key depends on it.
   */
  cutOf(file: string): SegmentCut {
    const match = /(?:^|\/)\d+_\d+_(\d+)(?:\.recovered)?\.mp4$/.exec(file);
    return match && Number(match[1]) > 0 ? "boundary" : "start";
  }

  startNote(file: string): string {
    return `${file}.start`;
  }

  isStartNote(name: string): boolean {
    return name.endsWith(".start");
  }

  /** The recording file a `.start` note belongs to. */
  noteOwner(note: string): string {
    return note.slice(0, -".start".length);
  }

  recoveredFile(file: string): string {
    return `${file.slice(0, -4)}.recovered.mp4`;
  }

  isRecoveredFile(file: string): boolean {
    return file.endsWith(".recovered.mp4");
  }

  /** Where `file` goes when it moves to `state` (the name stays). */
  moved(cameraId: string, file: string, state: SpoolState): string {
    return join(this.dir(cameraId, state), basename(file));
  }

  /** The camera a spool path belongs to. */
  cameraOf(path: string): string {
    return basename(dirname(dirname(path)));
  }
}
