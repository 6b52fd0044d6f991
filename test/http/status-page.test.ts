import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ServiceSnapshot } from "../../src/http/health.ts";
import { Metrics } from "../../src/http/metrics.ts";
import { createHandler } from "../../src/http/server.ts";
import { statusRoutes, type StatusDeps } from "../../src/http/status-page.ts";
import { statusModel, type StatusExtras } from "../../src/http/status-model.ts";
import { Thumbnails } from "../../src/http/thumbnails.ts";
import { PAGE_SCRIPT } from "../../src/http/ui/assets.ts";
import type { CameraSnapshot } from "../../src/recorder/supervisor.ts";
import { latestSegment } from "../../src/spool/latest-segment.ts";
import { segmentFileName } from "../../src/spool/segment.ts";
import { Spool } from "../../src/spool/spool.ts";
import { scratch } from "../fixtures/service.ts";

const NOW = Date.UTC(2025, 11, 13, 14, 30, 0);
const H = 3600_000;
const AUTH = { authorization: `Basic ${btoa("admin:ui-pw")}` };

function camera(id: string, state: CameraSnapshot["state"], extra: Partial<CameraSnapshot> = {}): CameraSnapshot {
  return { id, name: id, state, sinceMs: NOW - 5000, reconnects: 0, ffmpegRestarts: 0, segmentsRecorded: 3, tickMs: NOW, ...extra };
}

function snapshot(cameras: CameraSnapshot[], overrides: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  return {
    version: "1.2.3",
    startedMs: NOW - 2 * H - 60_000,
    nowMs: NOW,
    cameras,
    backlog: { segments: 2, bytes: 2048, oldestStartMs: NOW - 30_000, byCamera: { good: { segments: 2, bytes: 2048, oldestStartMs: NOW - 30_000 } }, inFlight: 1, tickMs: NOW, lastError: "PUT http://key:s3cret@127.0.0.1:9/b failed" },
    disk: { totalBytes: 100 * 2 ** 30, freeBytes: 40 * 2 ** 30, usageRatio: 0.6, writable: true, pressure: false, tickMs: NOW },
    ...overrides,
  };
}

const extras = (over: Partial<StatusExtras> = {}): StatusExtras => ({ storage: "s3 http://127.0.0.1:9000/bucket", pressureRatio: 0.9, minFreeBytes: 512 * 2 ** 20, timezone: "UTC", latest: {}, timelines: {}, ...over });

describe("the status model", () => {
  test("each state in words with a level; a retry keeps showing its failure; unknown kinds show their name", () => {
    const failure = (kind: string, message: string) => ({ lastFailure: { kind: kind as "auth", message, atMs: NOW - 1000 } });
    const s = snapshot([
      camera("good", "recording"),
      camera("pw", "backing_off", failure("auth", "wrong credentials (401 Unauthorized)")),
      camera("path", "connecting", failure("not_found", "stream not found (404): check the path in rtsp_url")),
      camera("gone", "backing_off", failure("unreachable", "camera unreachable (connection refused, no route or timeout)")),
      camera("slow", "backing_off", failure("stalled", "no data from the camera within stall_timeout_secs")),
      camera("busy", "backing_off", failure("busy", "the camera has no free stream")),
      camera("new", "backing_off", failure("brand_new", "something new")),
      camera("first", "connecting"),
    ]);
    const m = statusModel(s, extras());
    expect(m.cameras.map((c) => [c.id, c.status, c.label, c.level, c.reason])).toEqual([
      ["good", "recording", "Recording", "ok", null],
      ["pw", "auth", "Wrong password", "bad", "wrong credentials (401 Unauthorized)"],
      ["path", "not_found", "Path not found", "bad", "stream not found (404): check the path in rtsp_url · trying again now"],
      ["gone", "unreachable", "Unreachable", "bad", "camera unreachable (connection refused, no route or timeout)"],
      ["slow", "stalled", "Stalled", "bad", "no data from the camera within stall_timeout_secs"],
      ["busy", "busy", "Busy", "warn", "the camera has no free stream"],
      ["new", "brand_new", "brand new", "warn", "something new"],
      ["first", "connecting", "Connecting", "warn", "connecting to the camera"],
    ]);
  });

  test("per camera: last segment age, reconnects since start, backlog with the oldest's age; service: disk with thresholds, redacted upload error", () => {
    const latest = { name: "x.mp4", path: "/x.mp4", startMs: NOW - 12_000, endMs: NOW - 10_000 };
    const m = statusModel(snapshot([camera("good", "recording", { reconnects: 3 }), camera("idle", "recording")]), extras({ latest: { good: latest } }));
    const [good, idle] = m.cameras;
    expect(good!.last_segment_age_secs).toBe(10);
    expect(good!.reconnects_since_start).toBe(3);
    expect(good!.upload_backlog).toEqual({ segments: 2, bytes: 2048, oldest_age_secs: 30 });
    expect(good!.thumbnail).toBe(`/api/cameras/good/latest.jpg?segment=${NOW - 12_000}`);
    expect(idle!.upload_backlog).toEqual({ segments: 0, bytes: 0, oldest_age_secs: null });
    expect(idle!.thumbnail).toBeNull();
    expect(m.service).toMatchObject({ version: "1.2.3", uptime_secs: 7260, storage: "s3 http://127.0.0.1:9000/bucket" });
    expect(m.service.disk).toMatchObject({ usage_ratio: 0.6, pressure_ratio: 0.9, min_free_bytes: 512 * 2 ** 20 });
    expect(m.service.upload_backlog.last_error).toBe("PUT http://key:***@127.0.0.1:9/b failed");
  });

  test("the timeline: spans clipped to the last 24 h, the newest spool segment joined to the last span", () => {
    const spans = [{ startMs: NOW - 30 * H, endMs: NOW - 20 * H }, { startMs: NOW - 2 * H, endMs: NOW - 60_000 }];
    const latest = { name: "x", path: "x", startMs: NOW - 60_000, endMs: NOW - 58_000 };
    const [c] = statusModel(snapshot([camera("good", "recording")]), extras({ latest: { good: latest }, timelines: { good: { spans } } })).cameras;
    expect(c!.timeline).toEqual({
      from: new Date(NOW - 24 * H).toISOString(),
      to: new Date(NOW).toISOString(),
      spans: [
        { start: new Date(NOW - 24 * H).toISOString(), end: new Date(NOW - 20 * H).toISOString() },
        { start: new Date(NOW - 2 * H).toISOString(), end: new Date(NOW - 58_000).toISOString() },
      ],
      error: null,
    });
  });
});

/** A spool with real segments (ffmpeg test pictures, 1 keyframe a second) and the routes over it. */
async function fixture(options: { spans?: StatusDeps["spans"]; ffmpegPath?: string; cameras?: CameraSnapshot[] } = {}) {
  const dir = scratch("cr-status-");
  const spool = new Spool(join(dir, "spool"));
  await spool.prepare(["good", "idle"]);
  const s = snapshot(options.cameras ?? [camera("good", "recording"), camera("idle", "backing_off", { name: "Idle <cam>", lastFailure: { kind: "auth", message: "wrong credentials (401 Unauthorized)", atMs: NOW } })]);
  const deps: StatusDeps = {
    snapshot: () => s,
    latest: (id) => latestSegment(spool, id),
    spans: options.spans ?? (async () => [{ startMs: NOW - 3 * H, endMs: NOW - H }]),
    ffmpegPath: options.ffmpegPath ?? "ffmpeg",
    storage: "filesystem /srv/footage",
    pressureRatio: 0.9,
    minFreeBytes: 512 * 2 ** 20,
    timezone: "UTC",
  };
  const metrics = new Metrics(["good", "idle"], "1.2.3", { backlog: () => s.backlog, disk: () => s.disk });
  const handle = createHandler({ metrics, snapshot: () => s, app: { credentials: { user: "admin", password: "ui-pw" }, routes: statusRoutes(deps) } });
  const get = (path: string, headers: Record<string, string> = AUTH) => handle(new Request(`http://localhost${path}`, { headers }));
  const addSegment = async (startMs: number, pattern = "testsrc2") => {
    const file = join(spool.dir("good", "pending"), segmentFileName({ cut: "start", startMs, durationMs: 2000, configuredSecs: 2 }));
    const proc = Bun.spawn(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", `${pattern}=size=640x360:rate=15`, "-t", "2", "-c:v", "libx264", "-g", "15", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-y", file]);
    expect(await proc.exited).toBe(0);
    return file;
  };
  return { dir, spool, deps, get, addSegment };
}

/** An ffmpeg that counts its runs in a file, then runs the real one. */
function countingFfmpeg(dir: string): { path: string; runs: () => number } {
  const path = join(dir, "ffmpeg-counting");
  const counter = join(dir, "runs");
  writeFileSync(counter, "");
  writeFileSync(path, `#!/bin/sh\necho run >> ${counter}\nexec ffmpeg "$@"\n`);
  chmodSync(path, 0o755);
  return { path, runs: () => readFileSync(counter, "utf8").split("\n").filter(Boolean).length };
}

describe("routes", () => {
  test("without or with wrong credentials: 401 and a challenge", async () => {
    const { get } = await fixture();
    for (const path of ["/", "/api/cameras", "/api/cameras/good/latest.jpg"]) {
      expect((await get(path, {})).status).toBe(401);
      const wrong = await get(path, { authorization: `Basic ${btoa("admin:nope")}` });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get("www-authenticate")).toStartWith("Basic ");
    }
  });

  test("GET / is one self-contained HTML page: states in words, names escaped, no outside resources, no-JS refresh", async () => {
    const { get } = await fixture();
    const response = await get("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    expect(html).toContain('<span class="badge">✕ Wrong password</span>');
    expect(html).toContain("Idle &#60;cam&#62;");
    expect(html).not.toContain("Idle <cam>");
    expect(html).toContain('<noscript><meta http-equiv="refresh" content="10"></noscript>');
    expect(html).toContain("filesystem /srv/footage");
    expect(html).toContain("early cleanup above 90 % or below 512 MB free");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toContain("{{");
    expect(html.length).toBeLessThan(50_000);
  });

  test("gzipped for a browser that takes it", async () => {
    const { get } = await fixture();
    for (const path of ["/", "/api/cameras"]) {
      const plain = await (await get(path)).text();
      const response = await get(path, { ...AUTH, "accept-encoding": "gzip, deflate, br" });
      expect(response.headers.get("content-encoding")).toBe("gzip");
      expect(response.headers.get("vary")).toBe("accept-encoding");
      const bytes = new Uint8Array(await response.arrayBuffer());
      // fetch-style Response does not inflate by itself here: undo it to compare.
      const text = new TextDecoder().decode(bytes[0] === 0x1f ? Bun.gunzipSync(bytes) : bytes);
      expect(text.replace(/"now":"[^"]+"|"uptime_secs":\d+/g, "")).toBe(plain.replace(/"now":"[^"]+"|"uptime_secs":\d+/g, ""));
    }
  });

  test("the page's script parses: the shared render functions arrive in the browser as valid JavaScript", () => {
    expect(() => new Bun.Transpiler({ loader: "js" }).transformSync(PAGE_SCRIPT)).not.toThrow();
    expect(PAGE_SCRIPT).toStartWith("const { esc, fmtAge, fmtBytes, fmtTime, pageTitle, summary, serviceSection, cameraThumb, cameraInfo, cameraTimeline, cameraCard } = (function renderKit()");
  });

  test("GET /api/cameras: the page's data as JSON", async () => {
    const { get } = await fixture();
    const response = await get("/api/cameras");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body: any = await response.json();
    expect(body.cameras.map((c: { id: string; label: string }) => [c.id, c.label])).toEqual([["good", "Recording"], ["idle", "Wrong password"]]);
    expect(body.cameras[0].timeline.spans).toEqual([{ start: new Date(NOW - 3 * H).toISOString(), end: new Date(NOW - H).toISOString() }]);
  });

  test("a failing spans source shows as the timeline's error, without secrets; it is asked at most every 30 s", async () => {
    let calls = 0;
    const { get } = await fixture({
      spans: async () => {
        calls++;
        throw new Error("cannot list s3://key:s3cret@host/bucket: connection refused");
      },
    });
    const body: any = await (await get("/api/cameras")).json();
    expect(body.cameras[0].timeline.error).toBe("cannot list s3://key:***@host/bucket: connection refused");
    expect(await (await get("/")).text()).toContain("timeline unavailable: cannot list s3://key:***@host/bucket: connection refused");
    expect(calls).toBe(2); // two cameras, once each, for both requests
  });

  test("a spans source that does not answer: the page comes anyway, its timeline says why", async () => {
    let signal: AbortSignal | undefined;
    const { get } = await fixture({ spans: (_id, _from, _to, s) => ((signal = s), new Promise(() => {})) });
    const started = Date.now();
    const body: any = await (await get("/api/cameras")).json();
    expect(Date.now() - started).toBeLessThan(8000);
    expect(body.cameras[0].timeline.error).toBe("no answer within 5 s");
    expect(signal?.aborted).toBe(true);
  });

  test("thumbnails: a JPEG of the newest segment, made once per segment, revalidated by ETag; 404 with a reason without one", async () => {
    const ffmpeg = countingFfmpeg(scratch("cr-ffmpeg-"));
    const { get, addSegment } = await fixture({ ffmpegPath: ffmpeg.path });
    expect(await (await get("/api/cameras/nope/latest.jpg")).json()).toEqual({ error: "unknown_camera", message: "no camera with id nope" });
    expect(await (await get("/api/cameras/%E0%A4%A/latest.jpg")).json()).toEqual({ error: "unknown_camera", message: "the camera id in the path is not valid" });
    const none = await get("/api/cameras/good/latest.jpg");
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ error: "no_segment", message: "camera good has no finished segment yet" });
    expect(ffmpeg.runs()).toBe(0);

    await addSegment(NOW - 10_000);
    const [a, b] = await Promise.all([get("/api/cameras/good/latest.jpg"), get(`/api/cameras/good/latest.jpg?segment=${NOW - 10_000}`)]);
    expect(a.status).toBe(200);
    expect(a.headers.get("content-type")).toBe("image/jpeg");
    expect(a.headers.get("cache-control")).toBe("private, no-cache");
    expect(b.headers.get("cache-control")).toBe("private, max-age=86400, immutable");
    const jpeg = new Uint8Array(await a.arrayBuffer());
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    expect(await b.arrayBuffer()).toEqual(jpeg.buffer);
    const etag = a.headers.get("etag")!;
    expect((await get("/api/cameras/good/latest.jpg", { ...AUTH, "if-none-match": etag })).status).toBe(304);
    expect(ffmpeg.runs()).toBe(1);

    // A newer segment: a new picture, made once more.
    await addSegment(NOW - 8_000, "mandelbrot");
    const c = await get("/api/cameras/good/latest.jpg");
    expect(c.headers.get("etag")).not.toBe(etag);
    expect(new Uint8Array(await c.arrayBuffer())).not.toEqual(jpeg);
    await get("/api/cameras/good/latest.jpg");
    expect(ffmpeg.runs()).toBe(2);
  });
});

describe("thumbnails that cannot be made", () => {
  test("an ffmpeg that hangs is ended at the timeout; a file that does not decode says so; neither is cached", async () => {
    const dir = scratch("cr-thumb-");
    const hang = join(dir, "ffmpeg-hangs");
    writeFileSync(hang, "#!/bin/sh\nexec sleep 30\n");
    chmodSync(hang, 0o755);
    const segment = { name: "1_1000_2000_2.mp4", path: join(dir, "1_1000_2000_2.mp4"), startMs: 1000, endMs: 3000 };
    writeFileSync(segment.path, "not a video");
    const started = Date.now();
    const slow = await new Thumbnails({ ffmpegPath: hang, latest: async () => segment, timeoutMs: 300 }).get("good");
    expect(slow).toEqual({ ok: false, reason: "failed", message: "ffmpeg took longer than 300 ms" });
    expect(Date.now() - started).toBeLessThan(10_000);
    const thumbs = new Thumbnails({ ffmpegPath: "ffmpeg", latest: async () => segment });
    const broken = await thumbs.get("good");
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.message).toStartWith("ffmpeg could not decode 1_1000_2000_2.mp4: ");
    // The failure was not kept: once the file decodes, the same segment gets its picture.
    const fixed = Bun.spawn(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15", "-t", "1", "-c:v", "libx264", "-f", "mp4", "-y", segment.path]);
    expect(await fixed.exited).toBe(0);
    expect((await thumbs.get("good")).ok).toBe(true);
    const missing = await new Thumbnails({ ffmpegPath: join(dir, "no-ffmpeg"), latest: async () => segment }).get("good");
    expect(!missing.ok && missing.message).toStartWith("ffmpeg could not be started: ");
  });
});

describe("the newest finished segment in the spool", () => {
  test("pending and uploaded both count; the newest start wins", async () => {
    const spool = new Spool(scratch("cr-spans-"));
    await spool.prepare(["cam"]);
    const put = (state: "pending" | "uploaded", startMs: number, durationMs: number) => {
      mkdirSync(spool.dir("cam", state), { recursive: true });
      writeFileSync(join(spool.dir("cam", state), segmentFileName({ cut: "start", startMs, durationMs, configuredSecs: 2 })), "");
    };
    put("uploaded", NOW - 10_000, 2000);
    put("uploaded", NOW - 8_000, 2000);
    put("pending", NOW - 6_100, 2000);
    put("pending", NOW - 1_000, 1000);
    expect((await latestSegment(spool, "cam"))?.startMs).toBe(NOW - 1_000);
  });
});
