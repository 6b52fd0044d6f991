import type { LatestSegment } from "../spool/latest-segment.ts";

export interface ThumbnailDeps {
  ffmpegPath: string;
  latest(cameraId: string): Promise<LatestSegment | undefined>;
  /** ffmpeg gets this long per picture (a keyframe decode takes well under a second). */
  timeoutMs?: number;
  /** ffmpeg processes at once: 64 cameras on a first page load must not start 64 decoders on 2 cores. */
  concurrency?: number;
}

export type Thumbnail =
  | { ok: true; jpeg: Uint8Array; segment: string; segmentStartMs: number }
  | { ok: false; reason: "no_segment" | "failed"; message: string };

const WIDTH = 320;

/**
 * The ffmpeg command that turns a finished segment into a ~320 px JPEG. `-skip_frame nokey` makes
 * the decoder drop every frame but keyframes, so this costs one keyframe decode, never the live
 * stream; `-sseof -3` starts near the end, so the picture is the newest one the file has.
 */
export function thumbnailArgs(ffmpegPath: string, file: string): string[] {
  return [
    ffmpegPath, "-hide_banner", "-nostdin", "-loglevel", "error",
    "-skip_frame", "nokey", "-sseof", "-3", "-i", file,
    "-map", "0:v:0", "-frames:v", "1", "-vf", `scale=${WIDTH}:-2`,
    "-f", "mjpeg", "-q:v", "5", "pipe:1",
  ];
}

/**
 * Thumbnails made lazily, when a browser asks, and at most once per camera and segment: the picture
 * of the newest finished segment is kept until a newer segment exists. Lazy because nobody may be
 * looking: a box with 64 cameras and no open page spends nothing; with a page open it spends one
 * keyframe decode per camera and segment length.
 */
export class Thumbnails {
  readonly #deps: ThumbnailDeps;
  readonly #cache = new Map<string, Promise<Thumbnail>>();
  readonly #waiting: Array<() => void> = [];
  #running = 0;

  constructor(deps: ThumbnailDeps) {
    this.#deps = deps;
  }

  async get(cameraId: string): Promise<Thumbnail> {
    const segment = await this.#deps.latest(cameraId);
    if (!segment) return { ok: false, reason: "no_segment", message: `camera ${cameraId} has no finished segment yet` };
    const key = `${cameraId}/${segment.name}`;
    let made = this.#cache.get(key);
    if (!made) {
      for (const old of this.#cache.keys()) if (old.startsWith(`${cameraId}/`)) this.#cache.delete(old);
      made = this.#limited(() => this.#make(segment));
      this.#cache.set(key, made);
      // A failure is not kept: the next request tries again (the file may have been mid-rename).
      void made.then((t) => !t.ok && this.#cache.get(key) === made && this.#cache.delete(key));
    }
    return made;
  }

  async #make(segment: LatestSegment): Promise<Thumbnail> {
    const signal = AbortSignal.timeout(this.#deps.timeoutMs ?? 10_000);
    try {
      const proc = Bun.spawn(thumbnailArgs(this.#deps.ffmpegPath, segment.path), { stdin: "ignore", stdout: "pipe", stderr: "pipe", signal });
      const [jpeg, stderr, code] = await Promise.all([new Response(proc.stdout).bytes(), new Response(proc.stderr).text(), proc.exited]);
      if (signal.aborted) return { ok: false, reason: "failed", message: `ffmpeg took longer than ${this.#deps.timeoutMs ?? 10_000} ms` };
      if (code !== 0 || jpeg.length === 0) return { ok: false, reason: "failed", message: `ffmpeg could not decode ${segment.name}: ${stderr.trim().split("\n").pop() || `exit ${code}`}` };
      return { ok: true, jpeg, segment: segment.name, segmentStartMs: segment.startMs };
    } catch (error) {
      return { ok: false, reason: "failed", message: `ffmpeg could not be started: ${(error as Error).message}` };
    }
  }

  async #limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= (this.#deps.concurrency ?? 2)) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    try {
      return await work();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}
