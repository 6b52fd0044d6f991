import { link, mkdir, readdir, rename, rm, stat, unlink, utimes, writeFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { SpoolLayout, type SpoolState } from "./layout.ts";
import { parseSegmentFileName, segmentFileName, type Segment, type SegmentCut } from "./segment.ts";

const STAT_BATCH = 256;

/**
 * The durable queue in `recording.temp_dir`. Each segment's state is the directory it is in:
 *
 *   {temp_dir}/{camera_id}/recording/   ffmpeg writes here (with a `.start` note per open file)
 *   {temp_dir}/{camera_id}/pending/     finished, waiting for the storage to confirm it
 *   {temp_dir}/{camera_id}/uploaded/    confirmed; removed after local_retention_minutes
 *   {temp_dir}/{camera_id}/damaged/     files a crash left without a single frame (kept, never uploaded)
 *
 * Moving between states is a link and unlink that never replaces a file: a crash leaves every
 * segment in at least one state, and no segment is lost to another of the same name.
 */
export class Spool {
  /** Every name in the spool (layout.ts); its root is absolute. */
  readonly layout: SpoolLayout;
  readonly root: string;

  constructor(root: string | SpoolLayout) {
    this.layout = typeof root === "string" ? new SpoolLayout(root) : root;
    this.root = this.layout.root;
  }

  dir(cameraId: string, state: SpoolState): string {
    return this.layout.dir(cameraId, state);
  }

  async prepare(cameraIds: readonly string[]): Promise<void> {
    for (const id of cameraIds) {
      for (const state of ["recording", "pending", "uploaded"] as const) await mkdir(this.dir(id, state), { recursive: true });
    }
  }

  /** Remembers when an open recording file started, for the case that a crash leaves it behind. */
  async noteStart(file: string, startMs: number): Promise<void> {
    await writeFile(this.layout.startNote(file), String(startMs));
  }

  async notedStart(file: string): Promise<number | undefined> {
    const text = await readFile(this.layout.startNote(file), "utf8").catch(() => undefined);
    const value = Number(text);
    return text && Number.isFinite(value) ? value : undefined;
  }

  /**
   * Moves a finished recording into `pending`, never replacing a file there (two segments of one
   * camera can start at the same ms when the clock was set back). The object key is not fixed
   * here: the storage picks a free one at upload time (upload/claim-key.ts).
   */
  async commit(cameraId: string, file: string, meta: { startMs: number; durationMs: number; configuredSecs: number; cut: SegmentCut }): Promise<Segment> {
    const target = await moveWithoutReplacing(file, this.dir(cameraId, "pending"), (copy) => segmentFileName(meta, copy));
    await rm(this.layout.startNote(file), { force: true });
    const info = await stat(target);
    return { cameraId, ...meta, path: target, bytes: info.size, finishedMs: info.mtimeMs };
  }

  /** Every segment waiting for upload, oldest first. */
  async pending(): Promise<Segment[]> {
    const cameras = await readdir(this.root).catch(() => [] as string[]);
    const all: Segment[] = [];
    // One camera at a time: a day's backlog of 100 cameras is 864,000 files.
    for (const id of cameras) all.push(...(await this.#list(id, "pending")));
    return all.sort((a, b) => a.startMs - b.startMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async uploaded(cameraId: string): Promise<Segment[]> {
    return this.#list(cameraId, "uploaded");
  }

  /** Storage confirmed it: keep it locally for the retention time, counted from now. */
  async markUploaded(segment: Segment, nowMs: number): Promise<void> {
    await mkdir(this.dir(segment.cameraId, "uploaded"), { recursive: true });
    const target = await moveWithoutReplacing(segment.path, this.dir(segment.cameraId, "uploaded"), (copy) => segmentFileName(segment, copy));
    await utimes(target, nowMs / 1000, nowMs / 1000);
  }

  /** Files in a camera's recording directory that no running ffmpeg owns any more. */
  async leftovers(cameraId: string): Promise<string[]> {
    const names = await readdir(this.dir(cameraId, "recording")).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith(".mp4")).sort().map((n) => join(this.dir(cameraId, "recording"), n));
  }

  /** `.start` notes whose recording never began (ffmpeg exited before opening the next file). */
  async removeStrayNotes(cameraId: string): Promise<void> {
    const dir = this.dir(cameraId, "recording");
    const names = new Set(await readdir(dir).catch(() => [] as string[]));
    for (const name of names) {
      if (this.layout.isStartNote(name) && !names.has(this.layout.noteOwner(name))) await rm(join(dir, name), { force: true });
    }
  }

  async setAsideDamaged(cameraId: string, file: string): Promise<string> {
    await mkdir(this.dir(cameraId, "damaged"), { recursive: true });
    const target = this.layout.moved(cameraId, file, "damaged");
    await rename(file, target);
    await rm(this.layout.startNote(file), { force: true });
    return target;
  }

  async #list(cameraId: string, state: "pending" | "uploaded"): Promise<Segment[]> {
    const dir = this.dir(cameraId, state);
    const names = await readdir(dir).catch(() => [] as string[]);
    const segments: Segment[] = [];
    // Stats in batches: all at once held a promise and a Stats object per file (1 GB at 864,000).
    for (let i = 0; i < names.length; i += STAT_BATCH) {
      const batch = await Promise.all(
        names.slice(i, i + STAT_BATCH).map(async (name) => {
          const meta = parseSegmentFileName(name);
          if (!meta) return undefined;
          const info = await stat(join(dir, name)).catch(() => undefined);
          if (!info) return undefined;
          return { cameraId, ...meta, path: join(dir, name), bytes: info.size, finishedMs: info.mtimeMs } satisfies Segment;
        }),
      );
      for (const segment of batch) if (segment) segments.push(segment);
    }
    return segments;
  }
}

/**
 * link(2) then unlink: unlike rename, link fails when the target exists, so no file is replaced.
 * A crash between the two leaves the recording in both places; recovery commits it again and the
 * storage recognises the same segment (same `start`), so nothing is lost or doubled in storage.
 */
async function moveWithoutReplacing(file: string, dir: string, nameOf: (copy: number) => string): Promise<string> {
  for (let copy = 1; ; copy++) {
    const target = join(dir, nameOf(copy));
    if (target === file) return target;
    try {
      await link(file, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw error;
    }
    await unlink(file);
    return target;
  }
}
