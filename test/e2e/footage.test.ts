import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";
import { listProcesses } from "../../src/spool/orphans.ts";
import { BINARY, runBinary, runCommand } from "../fixtures/binary.ts";
import { startFakeCamera, type FakeCamera } from "../fixtures/camera.ts";
import { largestStep, parentPid, rssBytes, videoDts, videoPacketHashes, videoSecs } from "../fixtures/footage.ts";
import { decodeErrors } from "../fixtures/media.ts";
import { killAll } from "../fixtures/processes.ts";
import { startS3, storedSegments, type S3Server, type StoredSegment } from "../fixtures/s3.ts";
import { scratch, startService, type RunningService } from "../fixtures/service.ts";
import { synthesizeSegments } from "../fixtures/synthesize.ts";
import { waitFor } from "../fixtures/wait.ts";

// One recording shared by every test of this file: a camera recorded in 5 s segments into s3rver,
// stopped for ~10 s in the middle, then recorded again; plus 2 h of synthesized 60 s segments.
afterAll(killAll);

const BUCKET = "rec";
const UI_PASSWORD = "ui-Pa55-word";
const AUTH = { authorization: `Basic ${btoa(`admin:${UI_PASSWORD}`)}` };
const iso = (ms: number) => new Date(ms).toISOString();
const endOf = (s: StoredSegment) => s.startMs + s.durationMs;

let s3: S3Server;
let cam: FakeCamera;
let dir: string;
let configFile: string;
let service: RunningService;
let firstRun: StoredSegment[];
let secondRun: StoredSegment[];
let longStartMs: number;

async function camSegments(): Promise<StoredSegment[]> {
  return (await storedSegments(s3, BUCKET)).filter((s) => s.key.startsWith("cam/"));
}

function api(path: string, headers: Record<string, string> = AUTH, signal?: AbortSignal): Promise<Response> {
  return fetch(`http://127.0.0.1:${service.port}${path}`, { headers, signal });
}

async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: string }).error;
}

async function download(key: string): Promise<string> {
  const file = join(dir, key.replaceAll("/", "_"));
  writeFileSync(file, await s3.get(BUCKET, key));
  return file;
}

beforeAll(async () => {
  s3 = await startS3();
  cam = await startFakeCamera();
  dir = scratch("cr-footage-");
  const config = [
    `[storage]\nendpoint = "${s3.endpoint}"\nbucket = "${BUCKET}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"`,
    // Uploaded copies leave the spool at once: the exports below read the storage.
    `[recording]\ntemp_dir = "${dir}/spool"\nstall_timeout_secs = 3\nlocal_retention_minutes = 0`,
    `[[cameras]]\nid = "cam"\nrtsp_url = "${cam.url()}"\nsegment_duration_secs = 5`,
    `[[cameras]]\nid = "long"\nrtsp_url = "rtsp://127.0.0.1:9/none"\nsegment_duration_secs = 60\nenabled = false`,
  ].join("\n");
  service = await startService(dir, `ui_password = "\${UI_PASSWORD}"\n${config}\n`, { UI_PASSWORD });
  configFile = join(dir, "config.toml");
  await waitFor("six stored segments", async () => (await camSegments()).length >= 6, 120_000);
  await cam.stop();
  const stoppedAt = Date.now();
  await waitFor("the camera seen as lost", async () => (await service.get("/health")).body.cameras[0].state !== "recording", 30_000);
  await Bun.sleep(Math.max(0, stoppedAt + 10_000 - Date.now())); // the gap: ~10 s without a camera
  cam = await startFakeCamera({ port: cam.port });
  await waitFor("three segments after the restart", async () => (await camSegments()).filter((s) => s.startMs > stoppedAt).length >= 3, 120_000);
  const all = await camSegments();
  firstRun = all.filter((s) => s.startMs < stoppedAt);
  secondRun = all.filter((s) => s.startMs > stoppedAt);

  // 2 h of footage for camera "long": a 60 s segment made of 12 copies of a recorded one, stored
  // 120 times back to back under the keys and metadata the service writes.
  const source = await download(firstRun[2]!.key);
  writeFileSync(join(dir, "twelve.txt"), `${Array(12).fill(`file '${source}'`).join("\n")}\n`);
  const sixty = join(dir, "sixty.mp4");
  const made = await runCommand(["ffmpeg", "-v", "error", "-f", "concat", "-safe", "0", "-i", join(dir, "twelve.txt"), "-c", "copy", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", sixty]);
  expect(made.stderr).toBe("");
  longStartMs = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3_600_000;
  const durationMs = Math.round((await videoSecs(sixty)) * 1000);
  await synthesizeSegments(s3.client, BUCKET, { cameraId: "long", file: sixty, durationMs, configuredSecs: 60, count: Math.ceil(7_200_000 / durationMs), startMs: longStartMs });
}, 300_000);

describe("export", () => {
  test("17 s across three segment boundaries: decodes, video packets bit-exact, timestamps continuous", async () => {
    const [, s1, s2, s3_, s4] = firstRun;
    expect(s4).toBeDefined();
    // Whole segments joined without a hole, so the 17 s lie in four of them.
    for (const [a, b] of [[s1!, s2!], [s2!, s3_!], [s3_!, s4!]] as const) expect(Math.abs(endOf(a) - b.startMs)).toBeLessThan(5);
    // Segments are about 5 s (cut at the first keyframe after each multiple): centre the 17 s on them,
    // half a second after a keyframe (one a second from the segment's start), so the clip must start early.
    const centred = Math.min(2500, Math.floor((endOf(s4!) - s1!.startMs - 17_000) / 2));
    const fromMs = s1!.startMs + Math.max(500, Math.floor(centred / 1000) * 1000 + 500);
    const toMs = fromMs + 17_000;
    expect(fromMs).toBeGreaterThanOrEqual(s1!.startMs + 500);
    expect(toMs).toBeLessThan(endOf(s4!) - 500);
    const clip = join(dir, "clip17.mp4");
    const result = await runBinary(["export", "--config", configFile, "--camera", "cam", "--from", iso(fromMs), "--to", iso(toMs), "-o", clip], { UI_PASSWORD });
    expect(result.stderr).toContain(`wrote ${clip}`);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).not.toContain("gap");
    expect(await decodeErrors(clip)).toBe("");
    // It starts at the keyframe at or before --from (1 s keyframe interval) and ends at --to.
    const secs = await videoSecs(clip);
    expect(secs).toBeGreaterThanOrEqual(16.9);
    expect(secs).toBeLessThanOrEqual(17 + 1.05);
    expect(result.stderr).toMatch(/starts \d\.\d s before --from/);

    const sources = await Promise.all([s1!, s2!, s3_!, s4!].map((s) => download(s.key)));
    const sourceHashes = (await Promise.all(sources.map(videoPacketHashes))).flat();
    const clipHashes = await videoPacketHashes(clip);
    const first = sourceHashes.indexOf(clipHashes[0]!);
    expect(first).toBeGreaterThan(0);
    expect(clipHashes).toEqual(sourceHashes.slice(first, first + clipHashes.length));

    // No jump at the joins: no step between two frames larger than inside the source segments.
    const within = Math.max(...(await Promise.all(sources.map(async (f) => largestStep(await videoDts(f)).largest))));
    const steps = largestStep(await videoDts(clip));
    expect(steps.smallest).toBeGreaterThan(0);
    expect(steps.largest).toBeLessThanOrEqual(within + 0.005);
  });

  test("a range over the gap: the gap is skipped and named; default name in the current directory", async () => {
    const last = firstRun.at(-1)!;
    const next = secondRun[0]!;
    // The first run's last segment may be short: start 2 s before its end.
    const fromMs = endOf(last) - 2000;
    const toMs = next.startMs + 3000;
    const cwd = scratch("cr-export-");
    const proc = Bun.spawn([BINARY, "export", "--config", configFile, "--camera", "cam", "--from", iso(fromMs), "--to", iso(toMs)], { cwd, env: { PATH: process.env.PATH, UI_PASSWORD }, stdout: "pipe", stderr: "pipe" });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(0);
    const gapSecs = Math.round((next.startMs - endOf(last)) / 1000);
    expect(gapSecs).toBeGreaterThanOrEqual(8);
    expect(stderr).toContain(`gap: nothing recorded from ${iso(endOf(last)).slice(0, 19).replace("T", " ")} for ${gapSecs}s; skipped`);
    const files = readdirSync(cwd);
    expect(files).toHaveLength(1);
    const expectedSecs = (endOf(last) - fromMs + 3000) / 1000;
    expect(files[0]).toMatch(/^cam_\d{8}-\d{6}_\d+s\.mp4$/);
    expect(files[0]).toBe(`cam_${iso(fromMs).slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}_${Math.round(expectedSecs)}s.mp4`);
    const secs = await videoSecs(join(cwd, files[0]!));
    expect(Math.abs(secs - expectedSecs)).toBeLessThan(1.1);
    expect(await decodeErrors(join(cwd, files[0]!))).toBe("");
  });

  test("2 hours: progress on stderr, written under a temporary name and renamed, moov at the front", async () => {
    const out = join(scratch("cr-long-"), "long.mp4");
    const proc = Bun.spawn([BINARY, "export", "--config", configFile, "--camera", "long", "--from", iso(longStartMs), "--to", iso(longStartMs + 7_200_000), "-o", out], {
      env: { PATH: process.env.PATH, UI_PASSWORD },
      stdout: "pipe",
      stderr: "pipe",
    });
    const stderr = new Response(proc.stderr).text();
    const part = await waitFor("the temporary file", () => readdirSync(dirname(out)).find((n) => n.startsWith(".long.mp4.") && n.endsWith(".part")), 30_000, 20);
    expect(existsSync(out)).toBe(false);
    expect(await proc.exited).toBe(0);
    expect(await stderr).toMatch(/^exporting: \d+ s of 7200 s$/m);
    expect(readdirSync(dirname(out))).toEqual(["long.mp4"]);
    expect(part).toMatch(/^\.long\.mp4\.\d+\.part$/);
    const head = readFileSync(out).subarray(0, 64);
    expect(head.toString("latin1", 4, 8)).toBe("ftyp");
    expect(head.toString("latin1", head.readUInt32BE(0) + 4, head.readUInt32BE(0) + 8)).toBe("moov");
    expect(Math.abs((await videoSecs(out)) - 7200)).toBeLessThan(2);
  }, 120_000);

  test("bad input is exit 2 naming the flag; nothing recorded is exit 1", async () => {
    const t = iso(firstRun[1]!.startMs);
    const run = (...args: string[]) => runBinary(["export", "--config", configFile, ...args], { UI_PASSWORD });
    let r = await run("--camera", "nope", "--from", t, "--to", t);
    expect([r.exitCode, r.stderr.trim()]).toEqual([2, 'camera-recorder: --camera: no camera "nope" in the config (known: cam, long)']);
    r = await run("--camera", "cam", "--from", "yesterday", "--to", t);
    expect([r.exitCode, r.stderr.trim()]).toEqual([2, 'camera-recorder: --from: cannot read "yesterday": expected RFC 3339 (2026-11-24T14:30:00Z) or "YYYY-MM-DD HH:MM[:SS]" in UTC']);
    r = await run("--camera", "cam", "--from", t, "--to", iso(firstRun[1]!.startMs - 60_000));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toStartWith("camera-recorder: --to: ");
    expect(r.stderr).toContain("is not after from");
    r = await run("--camera", "cam", "--from", "2020-01-01 10:00", "--to", "2020-01-01 10:05");
    expect([r.exitCode, r.stderr.trim()]).toEqual([1, "camera-recorder: nothing recorded for cam from 2020-01-01 10:00:00 to 2020-01-01 10:05:00 (UTC)"]);
    r = await runBinary(["list", "--config", configFile, "--camera", "cam", "--from", "2020-01-01 10:00", "--to", "2020-01-01 10:05"], { UI_PASSWORD });
    expect([r.exitCode, r.stderr.trim()]).toEqual([1, "camera-recorder: nothing recorded for cam from 2020-01-01 10:00:00 to 2020-01-01 10:05:00 (UTC)"]);
    r = await runBinary(["list", "--config", configFile, "--camera", "cam", "--from", "2020-01-01 10:00", "--to", "2020-01-01 10:05", "--json"], { UI_PASSWORD });
    expect([r.exitCode, r.stdout]).toEqual([1, "[]\n"]);
  });
});

describe("list", () => {
  test("two spans and a gap between; --json gives the same spans", async () => {
    const fromMs = firstRun[0]!.startMs - 30_000;
    const toMs = endOf(secondRun.at(-1)!);
    const local = (ms: number) => iso(ms).slice(0, 19).replace("T", " ");
    const text = await runBinary(["list", "--config", configFile, "--camera", "cam", "--from", local(fromMs), "--to", local(toMs)], { UI_PASSWORD });
    expect(text.exitCode).toBe(0);
    const lines = text.stdout.trim().split("\n");
    expect(lines[0]).toContain("cam, ");
    expect(lines).toHaveLength(4);
    expect(lines[1]).toStartWith(`${local(firstRun[0]!.startMs)} to ${local(endOf(firstRun.at(-1)!))}`);
    expect(lines[1]).toContain(`${firstRun.length} segments`);
    expect(lines[2]).toMatch(/^gap: nothing recorded from .* for \d+s$/);
    expect(lines[3]).toStartWith(local(secondRun[0]!.startMs));

    const json = await runBinary(["list", "--config", configFile, "--camera", "cam", "--from", iso(fromMs), "--to", iso(toMs), "--json"], { UI_PASSWORD });
    expect(json.exitCode).toBe(0);
    const spans = JSON.parse(json.stdout);
    expect(spans).toHaveLength(2);
    expect(spans[0]).toEqual({
      start: iso(firstRun[0]!.startMs).replace(".000Z", "Z"),
      end: iso(endOf(firstRun.at(-1)!)).replace(".000Z", "Z"),
      duration_secs: (endOf(firstRun.at(-1)!) - firstRun[0]!.startMs) / 1000,
      segments: firstRun.length,
      bytes: expect.any(Number),
    });
    expect(spans[1].segments).toBeGreaterThanOrEqual(secondRun.length);
  });
});

describe("HTTP playback API", () => {
  test("401 without or with wrong credentials, logged without the password", async () => {
    const none = await api("/api/recordings?camera=cam", {});
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toStartWith("Basic ");
    const wrong = await api("/api/clip.mp4?camera=cam", { authorization: `Basic ${btoa("admin:guess-pw")}` });
    expect(wrong.status).toBe(401);
    const line = await service.waitForLog("the failed login", (l) => l.msg.startsWith("rejected a status page or API request"));
    expect(line.user).toBe("admin");
    expect(JSON.stringify(service.logs)).not.toContain("guess-pw");
    expect(JSON.stringify(service.logs)).not.toContain(UI_PASSWORD);
  });

  test("/api/recordings: the spans; 400 and 404 with a JSON reason", async () => {
    const fromMs = firstRun[0]!.startMs - 30_000;
    const toMs = endOf(secondRun.at(-1)!);
    const ok = await api(`/api/recordings?camera=cam&from=${iso(fromMs)}&to=${iso(toMs)}`);
    expect(ok.status).toBe(200);
    const spans = (await ok.json()) as Array<{ segments: number }>;
    expect(spans).toHaveLength(2);
    expect(spans[0]!.segments).toBe(firstRun.length);
    const bad = await api(`/api/recordings?camera=cam&from=soon&to=${iso(toMs)}`);
    expect([bad.status, await bad.json()]).toEqual([400, { error: 'from: cannot read "soon": expected RFC 3339 (2026-11-24T14:30:00Z) or "YYYY-MM-DD HH:MM[:SS]" in UTC' }]);
    const unknown = await api(`/api/clip.mp4?camera=nope&from=${iso(fromMs)}&to=${iso(toMs)}`);
    expect([unknown.status, await errorOf(unknown)]).toEqual([400, 'camera: no camera "nope" in the config (known: cam, long)']);
    const tooLong = await api(`/api/clip.mp4?camera=cam&from=${iso(toMs - 25 * 3_600_000)}&to=${iso(toMs)}`);
    expect([tooLong.status, await errorOf(tooLong)]).toEqual([400, "to: the range is 25h long; at most 24h per request"]);
    const nothing = await api("/api/clip.mp4?camera=cam&from=2020-01-01T10:00:00Z&to=2020-01-01T10:05:00Z");
    expect([nothing.status, await nothing.json()]).toEqual([404, { error: "nothing recorded for cam from 2020-01-01 10:00:00 to 2020-01-01 10:05:00 (UTC)" }]);
  });

  test("a 2-hour clip: first bytes in under 3 s, the service's memory flat while it streams", async () => {
    const url = `/api/clip.mp4?camera=long&from=${iso(longStartMs)}&to=${iso(longStartMs + 7_200_000)}`;
    const rssBefore = rssBytes(service.proc.pid);
    const askedAt = Date.now();
    const response = await api(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("video/mp4");
    const reader = response.body!.getReader();
    const first = await reader.read();
    const firstBytesMs = Date.now() - askedAt;
    let bytes = first.value!.length;
    const samples: Array<{ bytes: number; rss: number }> = [];
    let nextSample = 0;
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      if (bytes >= nextSample) {
        samples.push({ bytes, rss: rssBytes(service.proc.pid) });
        nextSample += 5_000_000;
      }
    }
    const totalMs = Date.now() - askedAt;
    const early = samples.find((s) => s.bytes >= bytes * 0.1)!.rss;
    const peak = Math.max(...samples.map((s) => s.rss));
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const trend = [0.1, 0.3, 0.5, 0.7, 0.9].map((f) => mb(samples.find((s) => s.bytes >= bytes * f)!.rss)).join(", ");
    console.log(`2 h clip: ${mb(bytes)} MB, first bytes ${firstBytesMs} ms, all in ${totalMs} ms; service RSS before ${mb(rssBefore)} MB, at 10/30/50/70/90%: ${trend} MB, peak ${mb(peak)} MB`);
    expect(firstBytesMs).toBeLessThan(3000);
    expect(bytes).toBeGreaterThan(80_000_000);
    // Memory flat in the clip's length: what streams through is far more than the RSS moves.
    expect(peak - early).toBeLessThan(50_000_000);
  }, 120_000);

  test("a player that stops reading for longer than the server's 10 s idle timeout is not cut off", async () => {
    const response = await api(`/api/clip.mp4?camera=long&from=${iso(longStartMs)}&to=${iso(longStartMs + 1_800_000)}`);
    const reader = response.body!.getReader();
    let bytes = (await reader.read()).value!.length;
    await Bun.sleep(12_000); // a paused video element with a full buffer
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
    }
    expect(bytes).toBeGreaterThan(20_000_000);
  }, 60_000);

  test("at most 2 clips at once (429 beyond); a client that goes away ends its ffmpeg at once", async () => {
    const url = `/api/clip.mp4?camera=long&from=${iso(longStartMs)}&to=${iso(longStartMs + 7_200_000)}`;
    const joins = () => listProcesses().filter((p) => p.args.includes("concat") && parentPid(p.pid) === service.proc.pid);
    await waitFor("the clips of earlier tests ended", () => joins().length === 0, 10_000, 50);
    const clients = [new AbortController(), new AbortController()];
    const open = await Promise.all(clients.map((c) => api(url, AUTH, c.signal)));
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    // Neither body is read: both joins stay busy, blocked on their clients.
    const third = await api(url);
    expect([third.status, await errorOf(third)]).toEqual([429, "2 clips are streaming already; try again when one has finished"]);
    expect(joins()).toHaveLength(2);
    for (const c of clients) c.abort();
    const goneAt = Date.now();
    await waitFor("both ffmpeg joins ended", () => joins().length === 0, 10_000, 50);
    console.log(`clip ffmpeg ended ${Date.now() - goneAt} ms after its client went away`);
    expect(Date.now() - goneAt).toBeLessThan(3000);
    const again = await waitFor("a clip accepted again", async () => {
      const r = await api(url);
      if (r.status === 200) return r;
      await r.body?.cancel();
      return undefined;
    }, 10_000);
    await again.body!.cancel();
  });

  test("played in headless Chromium: ready, plays across a segment boundary, audio decoded", async () => {
    const [s0, s1] = firstRun;
    const fromMs = s0!.startMs;
    const boundarySecs = (s1!.startMs + 1500 - fromMs) / 1000;
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
    });
    try {
      const context = await browser.newContext({ httpCredentials: { username: "admin", password: UI_PASSWORD } });
      const page = await context.newPage();
      const origin = `http://127.0.0.1:${service.port}`;
      await page.goto(`${origin}/api/recordings?camera=cam`);
      const clip = `/api/clip.mp4?camera=cam&from=${iso(fromMs)}&to=${iso(endOf(firstRun.at(-1)!))}`;
      await page.evaluate((src) => {
        const document = (globalThis as any).document;
        const video = document.createElement("video");
        video.id = "v";
        video.src = src;
        document.body.append(video);
        void video.play();
      }, clip);
      const state = () => page.evaluate(() => {
        const v = (globalThis as any).document.getElementById("v");
        return { ready: v.readyState as number, time: v.currentTime as number, audio: v.webkitAudioDecodedByteCount as number, error: (v.error?.message ?? null) as string | null };
      });
      const ready = await waitFor("readyState 4", async () => ((await state()).ready === 4 ? state() : undefined), 30_000);
      expect(ready.error).toBeNull();
      const played = await waitFor("playing across the first boundary", async () => {
        const s = await state();
        if (s.error) throw new Error(s.error);
        return s.time > boundarySecs ? s : undefined;
      }, 45_000);
      expect(played.audio).toBeGreaterThan(0);
      const later = await waitFor("more audio decoded", async () => {
        const s = await state();
        return s.audio > played.audio && s.time > played.time ? s : undefined;
      }, 15_000);
      expect(later.error).toBeNull();
    } finally {
      await browser.close();
    }
  }, 120_000);
});
