import { redactUrl } from "../config/redact.ts";
import { describe } from "../errors.ts";
import type { LatestSegment } from "../spool/latest-segment.ts";
import type { AppRoute } from "./app.ts";
import type { ServiceSnapshot } from "./health.ts";
import { statusModel, TIMELINE_MS, type Span, type SpansSource, type StatusModel } from "./status-model.ts";
import { Thumbnails } from "./thumbnails.ts";
import { cameraCard, esc, pageTitle, serviceSection, summary } from "./ui/render.ts";
import { PAGE_CSS, PAGE_SCRIPT, PAGE_TEMPLATE } from "./ui/assets.ts";

export interface StatusDeps {
  snapshot(): ServiceSnapshot;
  /** The newest finished segment of a camera in the spool (src/spool/latest-segment.ts). */
  latest(cameraId: string): Promise<LatestSegment | undefined>;
  /** Recorded spans of a camera in a time range: the recordings API's source. */
  spans: SpansSource;
  ffmpegPath: string;
  /** Storage.target: endpoint and bucket, or path; never a credential. */
  storage: string;
  /** recording.disk_pressure_ratio and min_free_mb (in bytes): shown beside the disk use. */
  pressureRatio: number;
  minFreeBytes: number;
  /** IANA time zone the page shows times in. */
  timezone: string;
}

/** Spans come from storage listings: asked at most this often per camera, whatever the page count. */
const SPANS_TTL_MS = 30_000;
/** A storage that does not answer must not hold the page: its timeline says so instead. */
const SPANS_TIMEOUT_MS = 5000;

/** `GET /`, `GET /api/cameras` and `GET /api/cameras/ID/latest.jpg`; the server puts them behind Basic auth. */
export function statusRoutes(deps: StatusDeps): AppRoute[] {
  const thumbnails = new Thumbnails({ ffmpegPath: deps.ffmpegPath, latest: deps.latest });
  const spans = cachedSpans(deps.spans);
  const model = async (): Promise<StatusModel> => {
    const s = deps.snapshot();
    const ids = s.cameras.map((c) => c.id);
    const [latest, timelines] = await Promise.all([
      Promise.all(ids.map((id) => deps.latest(id).catch(() => undefined))),
      Promise.all(ids.map((id) => spans(id, s.nowMs))),
    ]);
    return statusModel(s, {
      storage: deps.storage,
      pressureRatio: deps.pressureRatio,
      minFreeBytes: deps.minFreeBytes,
      timezone: deps.timezone,
      latest: Object.fromEntries(ids.map((id, i) => [id, latest[i]])),
      timelines: Object.fromEntries(ids.map((id, i) => [id, timelines[i]!])),
    });
  };
  return [
    { path: /^\/$/, handler: async (req) => compressed(req, page(await model()), "text/html; charset=utf-8") },
    { path: /^\/api\/cameras$/, handler: async (req) => compressed(req, JSON.stringify(await model()), "application/json") },
    {
      path: /^\/api\/cameras\/(?<id>[^/]+)\/latest\.jpg$/,
      handler: async (req, { id }) => {
        let cameraId: string;
        try {
          cameraId = decodeURIComponent(id!);
        } catch {
          return notFound("unknown_camera", "the camera id in the path is not valid");
        }
        if (!deps.snapshot().cameras.some((c) => c.id === cameraId)) return notFound("unknown_camera", `no camera with id ${cameraId}`);
        const thumb = await thumbnails.get(cameraId);
        if (!thumb.ok) return thumb.reason === "no_segment" ? notFound(thumb.reason, thumb.message) : Response.json({ error: "thumbnail_failed", message: thumb.message }, { status: 503, headers: { "cache-control": "no-store" } });
        const etag = `"${thumb.segment}"`;
        // The page asks with ?segment=<start of the newest segment>: that URL's picture never changes.
        const pinned = new URL(req.url).searchParams.get("segment") === String(thumb.segmentStartMs);
        const headers = { etag, "cache-control": pinned ? "private, max-age=86400, immutable" : "private, no-cache", "content-type": "image/jpeg" };
        if (req.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
        return new Response(thumb.jpeg, { headers });
      },
    },
  ];
}

/**
 * Gzipped when the browser takes it: a box behind a slow uplink, or 64 cameras polled every 5 s
 * (about 2 KB of page or 0.7 KB of JSON per camera), shrink about fivefold.
 */
function compressed(req: Request, body: string, type: string): Response {
  const headers: Record<string, string> = { "content-type": type, "cache-control": "no-store", vary: "accept-encoding" };
  if (!/\bgzip\b/.test(req.headers.get("accept-encoding") ?? "")) return new Response(body, { headers });
  return new Response(Bun.gzipSync(body), { headers: { ...headers, "content-encoding": "gzip" } });
}

function page(model: StatusModel): string {
  const tz = model.service.timezone;
  const fill: Record<string, string> = {
    title: esc(pageTitle(model)),
    css: PAGE_CSS,
    tz: esc(tz),
    summary: summary(model),
    service: serviceSection(model.service, tz),
    cameras: model.cameras.map((c) => cameraCard(c, tz)).join("\n"),
    js: PAGE_SCRIPT,
  };
  return PAGE_TEMPLATE.replace(/\{\{(\w+)\}\}/g, (_, name: string) => fill[name] ?? "");
}

function notFound(error: string, message: string): Response {
  return Response.json({ error, message }, { status: 404, headers: { "cache-control": "no-store" } });
}

/** The last 24 h of spans per camera, asked again after SPANS_TTL_MS; a failure shows as the timeline's error. */
function cachedSpans(source: SpansSource): (cameraId: string, nowMs: number) => Promise<{ spans: Span[]; error?: string }> {
  const cache = new Map<string, { atMs: number; value: Promise<{ spans: Span[]; error?: string }> }>();
  return (cameraId, nowMs) => {
    const hit = cache.get(cameraId);
    if (hit && nowMs - hit.atMs < SPANS_TTL_MS) return hit.value;
    const signal = AbortSignal.timeout(SPANS_TIMEOUT_MS);
    const late = new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(new Error(`no answer within ${SPANS_TIMEOUT_MS / 1000} s`)), { once: true }));
    const value = Promise.race([source(cameraId, nowMs - TIMELINE_MS, nowMs, signal), late]).then(
      (spans) => ({ spans }),
      (error) => ({ spans: [], error: redactUrl(describe(error)) }),
    );
    cache.set(cameraId, { atMs: nowMs, value });
    return value;
  };
}
