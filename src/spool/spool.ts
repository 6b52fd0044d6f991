import { mkdir, readdir, rename, rm, stat, utimes, writeFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { SpoolLayout, type SpoolState } from "./layout.ts";
import { parseSegmentFileName, segmentFileName, type Segment } from "./segment.ts";

/**
 * The durable queue in `recording.temp_dir`. Each segment's state is the directory it is in:
 *
 *   {temp_dir}/{camera_id}/recording/   ffmpeg writes here (with a `.start` note per open file)
 *   {temp_dir}/{camera_id}/pending/     finished, waiting for the storage to confirm it
 *   {temp_dir}/{camera_id}/uploaded/    confirmed; removed after local_retention_minutes
 *   {temp_dir}/{camera_id}/damaged/     files a crash left without a single frame (kept, never uploaded)
 *
 * Moving between states is a rename, which is atomic: a crash leaves every file in exactly one state.
 */
export class Spool {
  readonly #lastKeySec = new Map<string, number>();
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
   * Moves a finished recording into `pending`. Two segments of one camera never get the same key:
   * one that would start in the same second as the one before is named one second later (its
   * `start` metadata keeps the exact time). The name is fixed here, so a re-upload writes the same key.
   */
  async commit(cameraId: string, file: string, meta: { startMs: number; durationMs: number; configuredSecs: number }): Promise<Segment> {
    const last = await this.#lastKey(cameraId);
    const keySec = Math.max(Math.floor(meta.startMs / 1000), last + 1);
    this.#lastKeySec.set(cameraId, keySec);
    const target = join(this.dir(cameraId, "pending"), segmentFileName({ ...meta, keySec }));
    await rename(file, target);
    await rm(this.layout.startNote(file), { force: true });
    const info = await stat(target);
    return { cameraId, ...meta, keySec, path: target, bytes: info.size, finishedMs: info.mtimeMs };
  }

  /** Every segment waiting for upload, oldest first. */
  async pending(): Promise<Segment[]> {
    const cameras = await readdir(this.root).catch(() => [] as string[]);
    const all = await Promise.all(cameras.map((id) => this.#list(id, "pending")));
    return all.flat().sort((a, b) => a.startMs - b.startMs);
  }

  async uploaded(cameraId: string): Promise<Segment[]> {
    return this.#list(cameraId, "uploaded");
  }

  /** Storage confirmed it: keep it locally for the retention time, counted from now. */
  async markUploaded(segment: Segment, nowMs: number): Promise<void> {
    const target = this.layout.moved(segment.cameraId, segment.path, "uploaded");
    await mkdir(this.dir(segment.cameraId, "uploaded"), { recursive: true });
    await rename(segment.path, target);
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

  async #lastKey(cameraId: string): Promise<number> {
    const known = this.#lastKeySec.get(cameraId);
    if (known !== undefined) return known;
    const onDisk = [...(await this.#list(cameraId, "pending")), ...(await this.#list(cameraId, "uploaded"))];
    return Math.max(0, ...onDisk.map((s) => s.keySec));
  }

  async #list(cameraId: string, state: "pending" | "uploaded"): Promise<Segment[]> {
    const dir = this.dir(cameraId, state);
    const names = await readdir(dir).catch(() => [] as string[]);
    const segments = await Promise.all(
      names.map(async (name) => {
        const meta = parseSegmentFileName(name);
        if (!meta) return undefined;
        const info = await stat(join(dir, name)).catch(() => undefined);
        if (!info) return undefined;
        return { cameraId, ...meta, path: join(dir, name), bytes: info.size, finishedMs: info.mtimeMs } satisfies Segment;
      }),
    );
    return segments.filter((s) => s !== undefined);
  }
}
