// bun run soak: 16 independent cameras (bench/camera-farm.py) recorded in 2 s segments for
// SOAK_MINUTES (60) through s3rver. Every 10 s: the service's RSS, open fds, event-loop lag
// (/metrics), spool size and upload backlog (/health). After a 5-minute warm-up: the slopes.
// Writes its section of BENCHMARKS.md (between the soak markers) and bench/soak.svg.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { BINARY } from "../test/fixtures/binary.ts";
import { track } from "../test/fixtures/processes.ts";
import { startS3 } from "../test/fixtures/s3.ts";
import { freePort, waitFor } from "../test/fixtures/wait.ts";
import { benchClip } from "./clip.ts";
import { startFarm } from "./farm.ts";
import { replaceSection } from "./report.ts";
import { runBenchmark, scratchDir } from "./scratch.ts";

const MINUTES = Number(process.env.SOAK_MINUTES ?? 60);
const CAMERAS = Number(process.env.SOAK_CAMERAS ?? 16);
const SEGMENT_SECS = 2;
const SAMPLE_SECS = 10;
const WARMUP_SECS = Math.min(300, (MINUTES * 60) / 4);
const MB = 1024 * 1024;

interface Sample {
  t: number;
  rssMb: number;
  fds: number;
  lagMs: number;
  spoolMb: number;
  backlog: number;
  recorded: number;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

function duBytes(dir: string): number {
  let total = 0;
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0; // removed while walking
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    try {
      total += e.isDirectory() ? duBytes(path) : statSync(path).size;
    } catch {}
  }
  return total;
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** RSS (MB) and open fds over minutes, two polylines on one hand-written SVG. */
function plot(samples: Sample[], warmupSecs: number): string {
  const [w, h, left, right, top, bottom] = [720, 260, 50, 50, 20, 30];
  const maxT = Math.max(1, ...samples.map((s) => s.t));
  const range = (vals: number[]) => {
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    const pad = Math.max(1, (hi - lo) * 0.1);
    return [Math.floor(lo - pad), Math.ceil(hi + pad)] as const;
  };
  const [rLo, rHi] = range(samples.map((s) => s.rssMb));
  const [fLo, fHi] = range(samples.map((s) => s.fds));
  const x = (t: number) => left + ((w - left - right) * t) / maxT;
  const y = (v: number, lo: number, hi: number) => top + (h - top - bottom) * (1 - (v - lo) / (hi - lo));
  const line = (vals: number[], lo: number, hi: number) => samples.map((s, i) => `${x(s.t).toFixed(1)},${y(vals[i]!, lo, hi).toFixed(1)}`).join(" ");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="11">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<rect x="${left}" y="${top}" width="${w - left - right}" height="${h - top - bottom}" fill="none" stroke="#999"/>`,
    `<rect x="${left}" y="${top}" width="${(x(warmupSecs) - left).toFixed(1)}" height="${h - top - bottom}" fill="#eee"/>`,
    `<text x="${left + 4}" y="${top + 12}" fill="#666">warm-up</text>`,
    `<polyline fill="none" stroke="#c33" stroke-width="1.5" points="${line(samples.map((s) => s.rssMb), rLo, rHi)}"/>`,
    `<polyline fill="none" stroke="#36c" stroke-width="1.5" points="${line(samples.map((s) => s.fds), fLo, fHi)}"/>`,
    `<text x="4" y="${top + 4}" fill="#c33">${rHi} MB</text><text x="4" y="${h - bottom}" fill="#c33">${rLo} MB</text>`,
    `<text x="${w - right + 4}" y="${top + 4}" fill="#36c">${fHi} fds</text><text x="${w - right + 4}" y="${h - bottom}" fill="#36c">${fLo} fds</text>`,
    `<text x="${left}" y="${h - 8}">0</text><text x="${w - right - 40}" y="${h - 8}">${(maxT / 60).toFixed(0)} min</text>`,
    `<text x="${w / 2 - 90}" y="${h - 8}"><tspan fill="#c33">service RSS (MB)</tspan>, <tspan fill="#36c">open fds</tspan></text>`,
    "</svg>",
    "",
  ].join("\n");
}

async function listAll(s3: Awaited<ReturnType<typeof startS3>>, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    keys.push(...(out.Contents ?? []).map((o) => o.Key!));
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function main(): Promise<void> {
  const clip = await benchClip(MINUTES * 60 + 300);
  const farm = await startFarm(clip, CAMERAS);
  const s3 = await startS3({ directory: scratchDir("soak-s3rver-") });
  const dir = scratchDir("soak-");
  const port = freePort();
  const cameras = farm.urls.map((url, i) => `[[cameras]]\nid = "cam${i}"\nrtsp_url = "${url}"\nsegment_duration_secs = ${SEGMENT_SECS}\n`).join("");
  const config = join(dir, "config.toml");
  writeFileSync(config, `[service]\nmetrics_host = "127.0.0.1"\nmetrics_port = ${port}\nlog_format = "json"\nlog_level = "warn"\n[storage]\nendpoint = "${s3.endpoint}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\nbucket = "soak"\n[recording]\ntemp_dir = "${dir}/spool"\nlocal_retention_minutes = 2\n${cameras}`);
  console.log(`soak: ${CAMERAS} cameras, ${SEGMENT_SECS} s segments, ${MINUTES} min through s3rver; samples every ${SAMPLE_SECS} s`);
  const started = Date.now();
  const service = track(Bun.spawn([BINARY, "run", "--config", config], { stdout: "ignore", stderr: "inherit", stdin: "ignore", env: { PATH: process.env.PATH } }));
  const samples: Sample[] = [];
  let maxBacklog = 0;
  const health = async () => (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json())) as { cameras: Array<{ segments_recorded: number; ffmpeg_restarts: number; reconnects: number }>; upload_backlog: { segments: number } };
  await waitFor("the service answers /health", () => health().catch(() => undefined), 30_000);
  while (Date.now() - started < MINUTES * 60_000) {
    await Bun.sleep(SAMPLE_SECS * 1000 - ((Date.now() - started) % (SAMPLE_SECS * 1000)));
    const [h, metrics] = await Promise.all([health(), fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text())]);
    const lag = /^nodejs_eventloop_lag_seconds (\S+)/m.exec(metrics);
    const sample: Sample = {
      t: (Date.now() - started) / 1000,
      rssMb: rssOf(service.pid),
      fds: readdirSync(`/proc/${service.pid}/fd`).length,
      lagMs: lag ? Number(lag[1]) * 1000 : Number.NaN,
      spoolMb: duBytes(join(dir, "spool")) / MB,
      backlog: h.upload_backlog.segments,
      recorded: h.cameras.reduce((s, c) => s + c.segments_recorded, 0),
    };
    maxBacklog = Math.max(maxBacklog, sample.backlog);
    samples.push(sample);
    console.log(`${(sample.t / 60).toFixed(1)} min: RSS ${sample.rssMb.toFixed(1)} MB, ${sample.fds} fds, lag ${sample.lagMs.toFixed(1)} ms, spool ${sample.spoolMb.toFixed(0)} MB, backlog ${sample.backlog}, recorded ${sample.recorded}`);
  }
  const last = await health();
  const recorded = last.cameras.reduce((s, c) => s + c.segments_recorded, 0);
  const restarts = last.cameras.reduce((s, c) => s + c.ffmpeg_restarts + c.reconnects, 0);
  // Everything recorded before the stop reaches the store: wait for the backlog to drain, then count.
  await waitFor("the backlog drained", async () => (await health()).upload_backlog.segments === 0, 120_000, 500);
  const recordedAtDrain = (await health()).cameras.reduce((s, c) => s + c.segments_recorded, 0);
  const keys = await listAll(s3, "soak");
  service.kill("SIGTERM");
  await service.exited;
  const after = samples.filter((s) => s.t >= WARMUP_SECS);
  const ts = after.map((s) => s.t / 3600);
  const result = {
    rssSlopeMbPerHour: slope(ts, after.map((s) => s.rssMb)),
    fdsSlopePerHour: slope(ts, after.map((s) => s.fds)),
    lagSlopeMsPerHour: slope(ts, after.map((s) => s.lagMs)),
    spoolSlopeMbPerHour: slope(ts, after.map((s) => s.spoolMb)),
    rss: [Math.min(...after.map((s) => s.rssMb)), Math.max(...after.map((s) => s.rssMb))],
    fds: [Math.min(...after.map((s) => s.fds)), Math.max(...after.map((s) => s.fds))],
    lagMaxMs: Math.max(...samples.map((s) => s.lagMs)),
    maxBacklog,
    recorded,
    recordedAtDrain,
    stored: keys.length,
    restarts,
    expected: Math.floor((MINUTES * 60) / SEGMENT_SECS) * CAMERAS,
  };
  console.log(JSON.stringify(result));
  const svg = plot(samples, WARMUP_SECS);
  writeFileSync(join(import.meta.dir, "soak.svg"), svg);
  const f = (n: number, d = 2) => n.toFixed(d);
  const section = [
    "## Soak: 16 cameras, 2 s segments, through s3rver",
    "",
    `Measured by \`${MINUTES === 60 ? "bun run soak" : `SOAK_MINUTES=${MINUTES} bun run soak`}\` on ${new Date(started).toISOString().slice(0, 16)}Z (${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB; the camera farm and s3rver on the same machine): ${CAMERAS} independent cameras (the benchmark's 1080p 4 Mbit/s clip, G.711 audio) recorded for ${MINUTES} minutes in ${SEGMENT_SECS} s segments and uploaded to s3rver on loopback; \`local_retention_minutes = 2\`. Every ${SAMPLE_SECS} s: the service's RSS (VmRSS) and open fds from /proc, \`nodejs_eventloop_lag_seconds\` from /metrics, the spool's size on disk, the upload backlog from /health. Slopes are least-squares over the samples after a ${WARMUP_SECS / 60}-minute warm-up.`,
    "",
    "| figure | measured | target |",
    "|---|---:|---|",
    `| RSS slope | ${f(result.rssSlopeMbPerHour)} MB/hour (${f(result.rss[0]!, 1)}–${f(result.rss[1]!, 1)} MB) | < 1 MB/hour |`,
    `| open fds slope | ${f(result.fdsSlopePerHour)} per hour (${result.fds[0]}–${result.fds[1]}) | flat |`,
    `| event-loop lag | slope ${f(result.lagSlopeMsPerHour)} ms/hour, largest ${f(result.lagMaxMs, 1)} ms | flat |`,
    `| spool size slope | ${f(result.spoolSlopeMbPerHour, 1)} MB/hour | flat |`,
    `| largest upload backlog | ${result.maxBacklog} segments (${f(result.maxBacklog / CAMERAS)} per camera) | ≤ 2 per camera |`,
    `| segments stored / recorded | ${result.stored} / ${result.recordedAtDrain} (${result.expected} for ${MINUTES} min without loss; ${result.restarts} ffmpeg restarts or reconnects) | every one |`,
    "",
    "![service RSS and open fds over the soak](bench/soak.svg)",
  ].join("\n");
  replaceSection(join(import.meta.dir, "..", "BENCHMARKS.md"), "soak", section);
  await farm.stop();
  await s3.stop();
}

await runBenchmark(main);
