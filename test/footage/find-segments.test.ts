import { SpoolLayout } from "../../src/spool/layout.ts";
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { CameraConfig } from "../../src/config/schema.ts";
import { findSegments, type FootageDeps } from "../../src/footage/find-segments.ts";
import { findSpans } from "../../src/footage/spans.ts";
import { Metrics } from "../../src/http/metrics.ts";
import { recordingsRoutes } from "../../src/http/recordings-api.ts";
import { createHandler } from "../../src/http/server.ts";
import { segmentFileName } from "../../src/spool/segment.ts";
import { FilesystemStorage } from "../../src/upload/filesystem.ts";
import { objectKey } from "../../src/upload/key.ts";

const TZ = "Europe/Berlin";
const camera = { id: "cam", segment_duration_secs: 10 } as CameraConfig;
// 2026-11-24 00:00:00 in Berlin is 2026-11-23 23:00:00 UTC: keys of both local days are involved.
const MIDNIGHT = Date.UTC(2026, 10, 23, 23, 0);

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "cr-find-"));
  const storage = new FilesystemStorage(join(dir, "store"));
  const deps: FootageDeps = { storage, spool: new SpoolLayout(join(dir, "spool")), keyPrefix: "p/", timezone: TZ, cameras: [camera, { id: "other", segment_duration_secs: 10 } as CameraConfig], ffmpegPath: "/nonexistent/ffmpeg" }; // nothing here may run ffmpeg
  const store = (startMs: number, bytes = 10) => {
    const file = join(dir, "store", objectKey({ cameraId: "cam", startMs, cut: "start", configuredSecs: 10 }, "p/", TZ));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, Buffer.alloc(bytes));
    return file;
  };
  const spool = (state: "pending" | "uploaded", startMs: number, durationMs: number, bytes = 20) => {
    const file = join(dir, "spool", "cam", state, segmentFileName({ cut: "start", startMs, durationMs, configuredSecs: 10 }));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, Buffer.alloc(bytes));
    return file;
  };
  return { dir, deps, store, spool };
}

describe("finding segments", () => {
  test("storage and spool together, across local midnight; a spool copy of a stored segment counts once", async () => {
    const { dir, deps, store, spool } = setup();
    // Stored: 23:59:40, 23:59:50 (Berlin, day 23) and 00:00:00 (day 24); then a 30 s gap; spool: 00:00:40 uploaded copy
    // of a stored one, 00:00:50.300 pending (not uploaded yet).
    store(MIDNIGHT - 20_000);
    store(MIDNIGHT - 10_000);
    store(MIDNIGHT);
    store(MIDNIGHT + 40_000);
    const uploaded = spool("uploaded", MIDNIGHT + 40_000, 10_000);
    const pending = spool("pending", MIDNIGHT + 50_300, 9_700);
    const segments = await findSegments(deps, camera, { fromMs: MIDNIGHT - 15_000, toMs: MIDNIGHT + 55_000 });
    expect(segments.map((s) => [s.startMs - MIDNIGHT, s.durationMs, s.exact])).toEqual([
      [-20_000, 10_000, false],
      [-10_000, 10_000, false],
      [0, 10_000, false],
      [40_000, 10_000, true],
      [50_300, 9_700, true],
    ]);
    // A spool file that moves on while it is read is followed to uploaded/ and to the storage.
    expect(segments[3]!.locations).toEqual([{ kind: "file", path: uploaded }, { kind: "object", key: "p/cam/2026-11-24/00-00-40_10s.mp4" }]);
    expect(segments[4]!.locations[0]).toEqual({ kind: "file", path: pending });
    expect(segments[2]!.locations).toEqual([{ kind: "file", path: join(dir, "store", "p/cam/2026-11-24/00-00-00_10s.mp4") }]);

    const spans = await findSpans(deps, "cam", MIDNIGHT - 15_000, MIDNIGHT + 55_000);
    expect(spans.map((s) => [s.startMs - MIDNIGHT, s.endMs - MIDNIGHT, s.segments, s.bytes])).toEqual([
      [-15_000, 10_000, 3, 30],
      [40_000, 55_000, 2, 40],
    ]);
  });

  test("an estimated duration runs to the next segment's key, at most the key's {D}", async () => {
    const { deps, store } = setup();
    store(MIDNIGHT);
    store(MIDNIGHT + 7_000); // a reconnect cut the first one short
    const segments = await findSegments(deps, camera, { fromMs: MIDNIGHT, toMs: MIDNIGHT + 60_000 });
    expect(segments.map((s) => [s.startMs - MIDNIGHT, s.durationMs])).toEqual([
      [0, 7_000],
      [7_000, 10_000],
    ]);
  });
});

describe("recordings API (no port)", () => {
  const basic = { authorization: `Basic ${btoa("admin:pw")}` };
  const handlerFor = (deps: FootageDeps, withApp: boolean) =>
    createHandler({
      metrics: new Metrics([], "0", { backlog: () => ({}) as never, disk: () => ({}) as never }),
      snapshot: () => ({}) as never,
      ...(withApp ? { app: { credentials: { user: "admin", password: "pw" }, routes: recordingsRoutes(deps) } } : {}),
    });
  const get = (handle: ReturnType<typeof handlerFor>, path: string) => handle(new Request(`http://localhost${path}`, { headers: basic }));

  test("without ui_password every path of it is 404", async () => {
    const { deps } = setup();
    const handle = handlerFor(deps, false);
    for (const path of ["/api/recordings?camera=cam", "/api/clip.mp4?camera=cam&from=2026-11-24T00:00:00Z&to=2026-11-24T00:01:00Z"]) {
      expect((await get(handle, path)).status).toBe(404);
    }
  });

  test("spans as JSON; 400 naming the parameter; 404 with a reason when nothing was recorded", async () => {
    const { deps, store } = setup();
    store(MIDNIGHT);
    const handle = handlerFor(deps, true);
    const ok = await get(handle, `/api/recordings?camera=cam&from=2026-11-24 00:00&to=2026-11-24 00:01`);
    expect([ok.status, await ok.json()]).toEqual([200, [{ start: "2026-11-23T23:00:00Z", end: "2026-11-23T23:00:10Z", duration_secs: 10, segments: 1, bytes: 10 }]]);
    const cases: Array<[string, number, string]> = [
      ["/api/recordings?camera=cam&from=2026-11-24 00:01&to=2026-11-24 00:00", 400, "to: 2026-11-23T23:00:00Z is not after from (2026-11-23T23:01:00Z)"],
      ["/api/clip.mp4?camera=cam&from=2026-11-24 00:00", 400, "to: a time is needed"],
      ["/api/clip.mp4?from=2026-11-24 00:00&to=2026-11-24 00:01", 400, "camera: a camera id is needed (known: cam, other)"],
      ["/api/recordings?camera=other&from=2026-11-24 00:00&to=2026-11-24 00:01", 404, "nothing recorded for other from 2026-11-24 00:00:00 to 2026-11-24 00:01:00 (Europe/Berlin)"],
      ["/api/clip.mp4?camera=other&from=2026-11-24 00:00&to=2026-11-24 00:01", 404, "nothing recorded for other from 2026-11-24 00:00:00 to 2026-11-24 00:01:00 (Europe/Berlin)"],
    ];
    // HEAD: the headers, and no join left holding one of the two slots.
    for (let i = 0; i < 3; i++) {
      const head = await handle(new Request("http://localhost/api/clip.mp4?camera=cam&from=2026-11-24 00:00&to=2026-11-24 00:01", { method: "HEAD", headers: basic }));
      expect([head.status, head.headers.get("content-type")]).toEqual([200, "video/mp4"]);
    }
    for (const [path, status, error] of cases) {
      const response = await get(handle, path);
      expect([path, response.status, await response.json()]).toEqual([path, status, { error }]);
    }
  });
});
