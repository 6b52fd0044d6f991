// bun bench/queue-scale.ts: the upload queue at scale. A synthetic spool of N small pending
// segments across 100 cameras (864,000 = 100 cameras x 10 s segments x one day of storage
// outage), the service started on it against s3rver: time from start to /health 200, peak RSS,
// the cost of a /metrics scrape, and the upload rate, next to a spool of 100 files.
// Knobs: QUEUE_COUNTS ("100,864000"), QUEUE_BINARY (the binary to measure; default dist/),
// QUEUE_RATE_SECS (30: the window the upload rate is measured over), QUEUE_HEALTH_TIMEOUT_SECS (900).
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARY } from "../test/fixtures/binary.ts";
import { startS3 } from "../test/fixtures/s3.ts";
import { freePort } from "../test/fixtures/wait.ts";
import { UsageSampler } from "./proc-stats.ts";

const COUNTS = (process.env.QUEUE_COUNTS ?? "100,864000").split(",").map(Number);
const BINARY_UNDER_TEST = process.env.QUEUE_BINARY ?? BINARY;
const RATE_SECS = Number(process.env.QUEUE_RATE_SECS ?? 30);
const HEALTH_TIMEOUT_MS = Number(process.env.QUEUE_HEALTH_TIMEOUT_SECS ?? 900) * 1000;
const CAMERAS = 100;
const MB = 1024 * 1024;

interface Row {
  files: number;
  createSecs: number;
  healthSecs?: number;
  peakRssMb: number;
  metricsMs?: number;
  uploaded: number;
  rateSecs: number;
}

/**
 * Pending segments as the recorder leaves them, 10 s apart per camera, 64 bytes each. The names use
 * the spool's older `{keySec}_{startMs}_{durationMs}_{secs}` form, which every version reads, so
 * one spool measures the binary before and after the queue rewrite alike.
 */
function makeSpool(root: string, count: number): void {
  const start = Date.UTC(2026, 0, 1);
  const body = Buffer.alloc(64, 1);
  for (let c = 0; c < CAMERAS; c++) mkdirSync(join(root, `cam${String(c).padStart(3, "0")}`, "pending"), { recursive: true });
  for (let i = 0; i < count; i++) {
    const camera = `cam${String(i % CAMERAS).padStart(3, "0")}`;
    const startMs = start + Math.floor(i / CAMERAS) * 10_000;
    writeFileSync(join(root, camera, "pending", `${startMs / 1000}_${startMs}_10000_10.mp4`), body);
  }
}

async function health(port: number): Promise<{ status: number; segments?: number }> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    const body = (await response.json()) as { upload_backlog?: { segments: number } };
    return { status: response.status, segments: body.upload_backlog?.segments };
  } catch {
    return { status: 0 };
  }
}

async function measure(count: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), "queue-scale-"));
  const spool = join(dir, "spool");
  let t = performance.now();
  makeSpool(spool, count);
  const createSecs = (performance.now() - t) / 1000;
  console.log(`${count} files created in ${createSecs.toFixed(1)} s`);
  const s3 = await startS3();
  const port = freePort();
  const config = join(dir, "config.toml");
  // One configured camera (unreachable): the other 99 only have a spool. The queue is what is measured,
  // not 100 ffmpegs failing to connect on a 2-core box.
  writeFileSync(config, `[service]\nmetrics_host = "127.0.0.1"\nmetrics_port = ${port}\nlog_format = "json"\nlog_level = "error"\nshutdown_timeout_secs = 1\n[storage]\nendpoint = "${s3.endpoint}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\n[recording]\ntemp_dir = "${spool}"\nlocal_retention_minutes = 0\n[upload]\nmax_concurrent = 4\n[[cameras]]\nid = "cam000"\nrtsp_url = "rtsp://127.0.0.1:9/none"\n`);
  t = performance.now();
  const service = Bun.spawn([BINARY_UNDER_TEST, "run", "--config", config], { stdout: "ignore", stderr: "inherit", stdin: "ignore", env: { PATH: process.env.PATH } });
  const sampler = new UsageSampler(() => [service.pid]);
  sampler.start();
  let healthSecs: number | undefined;
  let first = { status: 0 } as { status: number; segments?: number };
  while (performance.now() - t < HEALTH_TIMEOUT_MS && service.exitCode === null) {
    first = await health(port);
    if (first.status === 200 || first.status === 503) break;
    await Bun.sleep(100);
  }
  if (first.status > 0) healthSecs = (performance.now() - t) / 1000;
  let metricsMs: number | undefined;
  let uploaded = 0;
  let rateSecs = 0;
  if (healthSecs !== undefined) {
    const scrape = performance.now();
    await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    metricsMs = performance.now() - scrape;
    // The rate: segments that left the backlog within the window (or until it was empty).
    const before = first.segments ?? count;
    const windowStart = performance.now();
    let now = before;
    while (performance.now() - windowStart < RATE_SECS * 1000) {
      await Bun.sleep(500);
      now = (await health(port)).segments ?? now;
      if (now === 0) break;
    }
    rateSecs = (performance.now() - windowStart) / 1000;
    uploaded = before - now;
  }
  const usage = sampler.stop();
  service.kill("SIGKILL");
  await service.exited;
  await s3.stop();
  const row = { files: count, createSecs, healthSecs, peakRssMb: usage.peakRssBytes / MB, metricsMs, uploaded, rateSecs };
  console.log(JSON.stringify(row));
  // Removing 864,000 files takes minutes on a busy disk: left to rm in the background.
  Bun.spawn(["rm", "-rf", dir], { stdio: ["ignore", "ignore", "ignore"] }).unref();
  return row;
}

const rows: Row[] = [];
for (const count of COUNTS) rows.push(await measure(count));
console.log(`\nbinary: ${BINARY_UNDER_TEST}`);
console.log("| pending files (100 cameras) | start to /health s | peak RSS MB | /metrics scrape ms | upload rate segments/s |");
console.log("|---:|---:|---:|---:|---:|");
for (const r of rows) {
  const rate = r.rateSecs > 0 ? (r.uploaded / r.rateSecs).toFixed(1) : "-";
  console.log(`| ${r.files} | ${r.healthSecs?.toFixed(1) ?? `> ${HEALTH_TIMEOUT_MS / 1000}`} | ${r.peakRssMb.toFixed(0)} | ${r.metricsMs?.toFixed(0) ?? "-"} | ${rate} |`);
}
