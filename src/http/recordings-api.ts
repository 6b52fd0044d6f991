import { findSegments, type FootageDeps } from "../footage/find-segments.ts";
import { startJoin } from "../footage/join.ts";
import { planJoin } from "../footage/join-plan.ts";
import { measureInexact } from "../footage/measure.ts";
import { spanJson, spansOf } from "../footage/spans.ts";
import { checkRequest, formatLength, nothingRecorded, type TimeRange } from "../footage/time-range.ts";
import type { Logger } from "../log.ts";
import type { AppRoute } from "./app.ts";
import { markLongLived } from "./long-lived.ts";

const DAY_MS = 86_400_000;

export interface RecordingsOptions {
  /** Clips streamed at once; more get 429, so playback never starves recording. */
  maxClips?: number;
  /** Longest range of one clip request. */
  maxClipMs?: number;
  log?: Logger;
}

const json = (status: number, body: unknown) => Response.json(body, { status, headers: { "cache-control": "no-store" } });

/**
 * `GET /api/recordings` (the spans of `list --json`) and `GET /api/clip.mp4` (the `export` of a range
 * as fragmented MP4, streamed while ffmpeg joins it). Both behind the app's Basic auth.
 */
export function recordingsRoutes(deps: FootageDeps, options: RecordingsOptions = {}): AppRoute[] {
  const maxClips = options.maxClips ?? 2;
  const maxClipMs = options.maxClipMs ?? DAY_MS;
  let clips = 0;

  const request = (req: Request, maxMs?: number, defaults?: () => TimeRange) => {
    const q = new URL(req.url).searchParams;
    const input = { camera: q.get("camera") ?? undefined, from: q.get("from") ?? undefined, to: q.get("to") ?? undefined };
    return checkRequest(input, { cameras: deps.cameras, timezone: deps.timezone, maxMs, defaults });
  };

  const recordings = async (req: Request): Promise<Response> => {
    const now = Date.now();
    const checked = request(req, undefined, () => ({ fromMs: now - DAY_MS, toMs: now }));
    if ("problem" in checked) return json(400, { error: `${checked.problem.field}: ${checked.problem.reason}` });
    const { camera, range } = checked;
    const spans = spansOf(await findSegments(deps, camera, range, req.signal), range);
    if (spans.length === 0) return json(404, { error: nothingRecorded(camera.id, range, deps.timezone) });
    return json(200, spans.map(spanJson));
  };

  const clip = async (req: Request): Promise<Response> => {
    const checked = request(req, maxClipMs);
    if ("problem" in checked) return json(400, { error: `${checked.problem.field}: ${checked.problem.reason}` });
    if (clips >= maxClips) return json(429, { error: `${maxClips} clips are streaming already; try again when one has finished` });
    clips++;
    let released = false;
    const release = () => {
      if (!released) clips--;
      released = true;
    };
    try {
      const { camera, range } = checked;
      const segments = await measureInexact(deps, await findSegments(deps, camera, range, req.signal));
      if (segments.length === 0) {
        release();
        return json(404, { error: nothingRecorded(camera.id, range, deps.timezone) });
      }
      const plan = planJoin(segments, range);
      const name = `${camera.id}_${formatLength(plan.lengthMs)}.mp4`;
      const headers = { "content-type": "video/mp4", "cache-control": "no-store", "content-disposition": `inline; filename="${name}"` };
      // HEAD gets the headers only: a join nobody reads would hold its slot forever.
      if (req.method === "HEAD") {
        release();
        return new Response(null, { headers });
      }
      const join = startJoin(deps, segments, plan, { kind: "stream" }, req.signal);
      void join.exited.then(({ code, errors }) => {
        release();
        if (code !== 0 && !req.signal.aborted) options.log?.warn(`clip of ${camera.id} ended early: ffmpeg exit ${code}: ${errors.split("\n").at(-1)}`, { camera_id: camera.id });
      });
      markLongLived(req);
      // The client going away cancels the body: ffmpeg ends at once (req.signal also aborts it).
      const reader = join.stdout.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel() {
          join.kill();
        },
      });
      return new Response(body, { headers });
    } catch (error) {
      release();
      throw error;
    }
  };

  return [
    { path: /^\/api\/recordings$/, handler: recordings },
    { path: /^\/api\/clip\.mp4$/, handler: clip },
  ];
}
