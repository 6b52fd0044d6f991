import { afterAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { segmentFileName } from "../../src/spool/segment.ts";
import { startFakeCamera } from "../fixtures/camera.ts";
import { killAll } from "../fixtures/processes.ts";
import { scratch, startService, type RunningService } from "../fixtures/service.ts";
import { freePort, waitFor } from "../fixtures/wait.ts";

const CAMERA_PASSWORD = "Cam-Pa55word";
const UI_PASSWORD = "ui-Secret-77";
const SCREENSHOT = join(import.meta.dir, "../../docs/status-page.png");
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// Functions given to page.evaluate run in the browser; this program has no DOM types.
declare const document: any;
declare const window: any;

let browser: Browser | undefined;
let shared: { service: RunningService; dir: string; closedPort: number; page: Page } | undefined;

afterAll(async () => {
  await browser?.close();
  await killAll();
});

/** Three cameras (recording, wrong password, unreachable on a closed port) and one with a wrong path; one page. */
async function setup() {
  if (shared) return shared;
  const cam = await startFakeCamera({ user: "admin", password: CAMERA_PASSWORD });
  const closedPort = freePort();
  const dir = scratch("cr-ui-");
  // Earlier recordings of the good camera still in the spool, so the 24-hour timeline has history.
  const uploaded = join(dir, "spool", "yard", "uploaded");
  mkdirSync(uploaded, { recursive: true });
  const now = Date.now();
  for (const [fromH, toH] of [[23, 19.5], [16, 15.8], [11, 6]] as const) {
    const startMs = Math.round(now - fromH * 3600_000);
    writeFileSync(join(uploaded, segmentFileName({ cut: "start", startMs, durationMs: Math.round((fromH - toH) * 3600_000), configuredSecs: 2 })), "");
  }
  const config = `ui_password = "\${UI_PW}"
[storage]
type = "filesystem"
path = "${dir}/store"
[recording]
temp_dir = "${dir}/spool"
[[cameras]]
id = "yard"
name = "Yard"
rtsp_url = "rtsp://admin:\${CAM_PW}@127.0.0.1:${cam.port}/stream1"
segment_duration_secs = 2
[[cameras]]
id = "gate"
name = "Gate"
rtsp_url = "rtsp://admin:wrong-\${CAM_PW}@127.0.0.1:${cam.port}/stream1"
segment_duration_secs = 2
[[cameras]]
id = "door"
name = "Back door"
rtsp_url = "rtsp://127.0.0.1:${closedPort}/stream1"
segment_duration_secs = 2
[[cameras]]
id = "garage"
name = "Garage"
rtsp_url = "rtsp://admin:\${CAM_PW}@127.0.0.1:${cam.port}/no-such-path"
segment_duration_secs = 2
`;
  // [service] is opened by startService: ui_password lands in it.
  const service = await startService(dir, config, { CAM_PW: CAMERA_PASSWORD, UI_PW: UI_PASSWORD });
  browser ??= await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const context = await browser.newContext({ httpCredentials: { username: "admin", password: UI_PASSWORD }, viewport: { width: 1180, height: 900 } });
  const page = await context.newPage();
  shared = { service, dir, closedPort, page };
  return shared;
}

const badge = (page: Page, id: string) => page.locator(`#cam-${id} .badge`).innerText();

test("without credentials the page and its API answer 401 with a challenge; probes stay open", async () => {
  const { service } = await setup();
  for (const path of ["/", "/api/cameras", "/api/cameras/yard/latest.jpg"]) {
    const response = await fetch(`http://127.0.0.1:${service.port}${path}`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Basic realm="camera-recorder", charset="UTF-8"');
    const wrong = await fetch(`http://127.0.0.1:${service.port}${path}`, { headers: { authorization: `Basic ${btoa("admin:nope")}` } });
    expect(wrong.status).toBe(401);
  }
  expect((await service.get("/health")).status).toBe(200);
}, 60_000);

test("the page tells each camera's state in words, shows a decoded thumbnail, and follows a camera that comes up without a reload", async () => {
  const { service, page, closedPort } = await setup();
  await page.goto(`http://127.0.0.1:${service.port}/`);
  // The first page is server-rendered; later states arrive through /api/cameras.
  await page.evaluate(() => (window.marker = 42));
  await page.waitForFunction(() => document.querySelector("#cam-door .badge")?.textContent?.includes("Unreachable"), undefined, { timeout: 30_000 });
  // While it tries again, the failure stays on the page with a note.
  expect(await page.locator("#cam-door .reason").innerText()).toMatch(/^camera unreachable \(connection refused, no route or timeout\)( · trying again now)?$/);
  // The unreachable camera's port gets a camera (at once: the service retries after 1, 2, 4, 8, 16 s).
  const late = await startFakeCamera({ port: closedPort });
  const cameUp = Date.now();
  await page.waitForFunction(() => document.querySelector("#cam-gate .badge")?.textContent?.includes("Wrong password"), undefined, { timeout: 30_000 });
  await page.waitForFunction(() => document.querySelector("#cam-garage .badge")?.textContent?.includes("Path not found"), undefined, { timeout: 30_000 });
  expect(await page.locator("#cam-gate .reason").innerText()).toMatch(/^wrong credentials \(401 Unauthorized\)( · trying again now)?$/);
  expect(await page.locator("#cam-garage .reason").innerText()).toMatch(/^stream not found \(404\): check the path in rtsp_url( · trying again now)?$/);

  // The open page shows the camera that came up recording within 15 s, without a reload.
  await page.waitForFunction(() => document.querySelector("#cam-door .badge")?.textContent?.includes("Recording"), undefined, { timeout: 15_000 - (Date.now() - cameUp) });
  expect(Date.now() - cameUp).toBeLessThan(15_000);
  expect(await page.evaluate(() => window.marker)).toBe(42);

  // The recording camera's picture: a real decoded frame, 320 px wide, not one flat colour.
  expect(await badge(page, "yard")).toContain("Recording");
  await page.waitForFunction(() => (document.querySelector("#cam-yard .thumb img"))?.naturalWidth, undefined, { timeout: 30_000 });
  const picture = await page.evaluate(async () => {
    const img = document.querySelector("#cam-yard .thumb img");
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext("2d")!;
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let sum = 0;
    let sq = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const y = 0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!;
      sum += y;
      sq += y * y;
    }
    return { width: img.naturalWidth, height: img.naturalHeight, std: Math.sqrt(sq / n - (sum / n) ** 2) };
  });
  expect(picture.width).toBe(320);
  expect(picture.height).toBeGreaterThan(100);
  expect(picture.std).toBeGreaterThan(5);
  const thumb = await fetch(`http://127.0.0.1:${service.port}/api/cameras/yard/latest.jpg`, { headers: { authorization: `Basic ${btoa(`admin:${UI_PASSWORD}`)}` } });
  expect(thumb.status).toBe(200);
  expect(thumb.headers.get("content-type")).toBe("image/jpeg");
  const none = await fetch(`http://127.0.0.1:${service.port}/api/cameras/gate/latest.jpg`, { headers: { authorization: `Basic ${btoa(`admin:${UI_PASSWORD}`)}` } });
  expect(none.status).toBe(404);
  expect(await none.json()).toEqual({ error: "no_segment", message: "camera gate has no finished segment yet" });

  // The timeline has the newest recording (and, with this branch's spool source, the seeded history).
  await page.waitForFunction(() => document.querySelectorAll("#cam-yard .track .rec").length >= 1, undefined, { timeout: 20_000 });
  expect(await page.locator("#cam-yard .timeline small").innerText()).toMatch(/^\s*recorded \d+ (s|min|h \d+ min) ·\s+no recording · click a time to play it$/);
  await page.waitForFunction(() => document.querySelector("#cam-door .thumb img"), undefined, { timeout: 30_000 });
  await page.locator("#cam-yard .track").hover({ position: { x: 120, y: 10 } });
  expect(await page.locator("#cam-yard .cursor").innerText()).toMatch(/^\d\d:\d\d:\d\d · (recorded|no recording)$/);
  await page.mouse.move(5, 5);
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  // And on a phone: one column, nothing cut off sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: SCREENSHOT.replace(".png", "-phone.png") });
  await page.setViewportSize({ width: 1180, height: 900 });

  const html = await (await fetch(`http://127.0.0.1:${service.port}/`, { headers: { authorization: `Basic ${btoa(`admin:${UI_PASSWORD}`)}` } })).text();
  expect(html).not.toContain(CAMERA_PASSWORD);
  expect(html).not.toContain(UI_PASSWORD);
  // HTML, CSS and script all in one response, no outside resources.
  expect(html.length).toBeLessThan(50_000);
  expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  const zipped = await fetch(`http://127.0.0.1:${service.port}/`, { headers: { authorization: `Basic ${btoa(`admin:${UI_PASSWORD}`)}`, "accept-encoding": "gzip" }, decompress: false } as RequestInit);
  expect(zipped.headers.get("content-encoding")).toBe("gzip");
  console.log(`status page weight: ${html.length} bytes, ${(await zipped.arrayBuffer()).byteLength} gzipped (4 cameras)`);
  await late.stop();
}, 150_000);

test("with JavaScript off the page still shows every state, and refreshes itself", async () => {
  const { service } = await setup();
  const context = await browser!.newContext({ httpCredentials: { username: "admin", password: UI_PASSWORD }, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${service.port}/`);
  expect(await badge(page, "gate")).toContain("Wrong password");
  expect(await page.locator("noscript").innerHTML()).toContain('http-equiv="refresh"');
  await context.close();
}, 60_000);

test("clicking the timeline plays the recording from that moment", async () => {
  const { service, page } = await setup();
  await page.goto(`http://127.0.0.1:${service.port}/`);
  const box = (await page.locator("#cam-yard .track").boundingBox())!;
  // Click where the newest recorded span starts (a few seconds: a pixel at the right end).
  const x = await page.evaluate(() => {
    const track = document.querySelector("#cam-yard .track");
    const spans = JSON.parse(track.dataset.spans!) as Array<[number, number]>;
    const from = Number(track.dataset.from);
    const to = Number(track.dataset.to);
    return ((spans.at(-1)![0] - from) / (to - from)) * track.getBoundingClientRect().width;
  });
  await page.mouse.click(box.x + Math.min(x, box.width - 1), box.y + box.height / 2);
  await page.waitForFunction(() => (document.getElementById("video")).currentTime > 0.5, undefined, { timeout: 30_000 });
  expect(await page.locator("#player-title").innerText()).toMatch(/^Yard from \d\d:\d\d:\d\d$/);
}, 90_000);
