import type { Server } from "bun";
import { randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import type { Storage } from "../upload/storage.ts";
import type { FootageSegment } from "./find-segments.ts";

/**
 * Serves the segments of one export to its ffmpeg over loopback HTTP, each read from the spool or
 * the storage only when ffmpeg's concat demuxer opens it. So ffmpeg never waits for the whole range
 * to download, never overtakes a download (as it would with files fetched ahead), and memory and
 * disk stay flat whatever the clip's length. The path holds a random token: nothing else on the
 * machine can read footage through it.
 */
export class SegmentServer implements AsyncDisposable {
  readonly #server: Server<undefined>;
  readonly #token = randomBytes(16).toString("hex");

  constructor(storage: Storage, segments: readonly FootageSegment[], signal?: AbortSignal) {
    const token = this.#token;
    this.#server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      // A paused reader (ffmpeg blocked on a slow client) must not lose its segment.
      idleTimeout: 0,
      fetch: async (req) => {
        const m = /^\/([0-9a-f]+)\/(\d+)\.mp4$/.exec(new URL(req.url).pathname);
        const segment = m && m[1] === token ? segments[Number(m[2])] : undefined;
        if (!segment) return new Response("not found\n", { status: 404 });
        return serve(storage, segment, req.headers.get("range"), signal);
      },
    });
  }

  url(index: number): string {
    return `http://127.0.0.1:${this.#server.port}/${this.#token}/${index}.mp4`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server.stop(true);
  }
}

/** The segment's bytes from its first location that still has them; `bytes=N-` ranges honoured. */
async function serve(storage: Storage, segment: FootageSegment, range: string | null, signal?: AbortSignal): Promise<Response> {
  const m = range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
  const offset = m ? Number(m[1]) : 0;
  for (const location of segment.locations) {
    try {
      let body: ReadableStream<Uint8Array>;
      let size: number;
      if (location.kind === "file") {
        size = (await stat(location.path)).size;
        body = Bun.file(location.path).slice(offset).stream();
      } else {
        size = segment.bytes;
        body = skip(await storage.read(location.key, signal), offset);
      }
      if (offset >= size && size > 0) return new Response(null, { status: 416, headers: { "content-range": `bytes */${size}` } });
      const headers: Record<string, string> = { "content-type": "video/mp4", "content-length": String(size - offset), "accept-ranges": "bytes" };
      if (m) headers["content-range"] = `bytes ${offset}-${size - 1}/${size}`;
      return new Response(body, { status: m ? 206 : 200, headers });
    } catch {
      // Gone from here (uploaded and removed meanwhile): try the next location.
    }
  }
  return new Response("segment not readable\n", { status: 502 });
}

/** The stream without its first `count` bytes. */
function skip(stream: ReadableStream<Uint8Array>, count: number): ReadableStream<Uint8Array> {
  if (count === 0) return stream;
  let left = count;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (left >= chunk.length) {
          left -= chunk.length;
          return;
        }
        controller.enqueue(left > 0 ? chunk.subarray(left) : chunk);
        left = 0;
      },
    }),
  );
}
