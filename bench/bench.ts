// bun run bench: what camera-recorder costs next to bare ffmpeg, and how fast it uploads.
// Writes BENCHMARKS.md. Knobs: BENCH_SECS (60), BENCH_CAMERAS ("1,8,32"), BENCH_UPLOAD_MB (1000).
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseSegmentFileName, segmentFileName } from "../src/spool/segment.ts";
import { startFakeCamera } from "../test/fixtures/camera.ts";
import { killAll } from "../test/fixtures/processes.ts";
import { startS3 } from "../test/fixtures/s3.ts";
import { freePort, waitFor } from "../test/fixtures/wait.ts";
import { BINARY } from "../test/fixtures/binary.ts";
import { pidsWhere, UsageSampler } from "./proc-stats.ts";
import pkg from "../package.json";

const SECONDS = Number(process.env.BENCH_SECS ?? 60);
const COUNTS = (process.env.BENCH_CAMERAS ?? "1,8,32").split(",").map(Number);
const UPLOAD_MB = Number(process.env.BENCH_UPLOAD_MB ?? 1000);
const SEGMENT_SECS = 5;
const MB = 1024 * 1024;

interface RecordingRow {
  cameras: number;
  audio: string;
  serviceCpu: number;
  serviceRss: number;
  childrenCpu: number;
  childrenRss: number;
  bareCpu: number;
  bareRss: number;
  segments: number;
  bareSegments: number;
  mediaSecs: number;
  wallSecs: number;
  largestGap: number;
}

function spawnService(dir: string, config: string) {
  const file = join(dir, "config.toml");
  writeFileSync(file, config);
  return Bun.spawn([BINARY, "run", "--config", file], { stdout: "ignore", stderr: "inherit", stdin: "ignore", env: { PATH: process.env.PATH } });
}

async function recordThroughService(cameras: number, audio: string, url: string): Promise<Omit<RecordingRow, "bareCpu" | "bareRss" | "bareSegments">> {
  const dir = mkdtempSync(join(tmpdir(), "bench-svc-"));
  const cameraTables = Array.from({ length: cameras }, (_, i) => `[[cameras]]\nid = "cam${i}"\nrtsp_url = "${url}"\nsegment_duration_secs = ${SEGMENT_SECS}\n`).join("");
  const service = spawnService(dir, `[service]\nmetrics_host = "127.0.0.1"\nmetrics_port = ${freePort()}\nlog_format = "json"\n[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "${dir}/spool"\naudio_codec = "${audio}"\n${cameraTables}`);
  const own = new UsageSampler(() => [service.pid]);
  const children = new UsageSampler(() => pidsWhere((args) => args.some((a) => a.endsWith("ffmpeg")) && args.some((a) => a.startsWith(`${dir}/`))));
  own.start();
  children.start();
  await Bun.sleep(SECONDS * 1000);
  own.sample();
  children.sample();
  service.kill("SIGTERM");
  await service.exited;
  const mine = own.stop();
  const theirs = children.stop();
  let segments = 0;
  let mediaMs = 0;
  let largestGap = 0;
  for (let i = 0; i < cameras; i++) {
    const names = readdirSync(join(dir, "spool", `cam${i}`, "uploaded")).map(parseSegmentFileName).filter((s) => s !== undefined).sort((a, b) => a.startMs - b.startMs);
    segments += names.length;
    mediaMs += names.reduce((s, n) => s + n.durationMs, 0);
    for (let k = 1; k < names.length; k++) largestGap = Math.max(largestGap, names[k]!.startMs - (names[k - 1]!.startMs + names[k - 1]!.durationMs));
  }
  return { cameras, audio, serviceCpu: mine.cpuSecs, serviceRss: mine.peakRssBytes, childrenCpu: theirs.cpuSecs, childrenRss: theirs.sumPeakRssBytes, segments, mediaSecs: mediaMs / 1000 / cameras, wallSecs: SECONDS, largestGap: largestGap / 1000 };
}

/** The design document's bare command: one plain ffmpeg per camera writing clock-aligned segments. */
async function recordBare(cameras: number, audio: string, url: string) {
  const dir = mkdtempSync(join(tmpdir(), "bench-bare-"));
  const procs = Array.from({ length: cameras }, (_, i) => {
    mkdirSync(join(dir, `cam${i}`));
    const audioArgs = audio === "none" ? ["-an"] : ["-c:a", "aac"];
    return Bun.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url, "-c:v", "copy", ...audioArgs, "-f", "segment", "-segment_time", String(SEGMENT_SECS), "-segment_atclocktime", "1", "-reset_timestamps", "1", "-strftime", "1", join(dir, `cam${i}`, "%Y-%m-%d_%H-%M-%S.mp4")], { stdin: "pipe", stdout: "ignore", stderr: "inherit" });
  });
  const sampler = new UsageSampler(() => procs.map((p) => p.pid));
  sampler.start();
  await Bun.sleep(SECONDS * 1000);
  sampler.sample();
  for (const p of procs) {
    p.stdin.write("q");
    await p.stdin.flush();
  }
  await Promise.all(procs.map((p) => p.exited));
  const usage = sampler.stop();
  const segments = Array.from({ length: cameras }, (_, i) => readdirSync(join(dir, `cam${i}`)).length).reduce((a, b) => a + b, 0);
  return { bareCpu: usage.cpuSecs, bareRss: usage.sumPeakRssBytes, bareSegments: segments };
}

async function benchRecording(): Promise<RecordingRow[]> {
  const camera = await startFakeCamera({ shared: true, gop: 30 });
  const rows: RecordingRow[] = [];
  for (const audio of ["aac", "none"]) {
    for (const cameras of COUNTS) {
      console.log(`recording: ${cameras} camera(s), audio ${audio}, ${SECONDS} s through the service, then bare ffmpeg`);
      const service = await recordThroughService(cameras, audio, camera.url());
      const bare = await recordBare(cameras, audio, camera.url());
      rows.push({ ...service, ...bare });
    }
  }
  await camera.stop();
  return rows;
}

interface UploadRun {
  secs: number;
  peakRss: number;
  stored: number;
}

interface UploadResult {
  files: number;
  bytes: number;
  largestFile: number;
  multipart: UploadRun;
  single: UploadRun;
  plain: UploadRun;
}

/** ~UPLOAD_MB of real MP4 files (2 MB, 37 MB and 185 MB ones), as a spool of pending segments. */
async function makeSpool(dir: string): Promise<string[]> {
  const base = join(dir, "base.mp4");
  await Bun.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "20", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "16M", "-c:a", "aac", "-y", base]).exited;
  const small = join(dir, "small.mp4");
  await Bun.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", base, "-t", "1", "-c", "copy", "-y", small]).exited;
  const list = join(dir, "list.txt");
  writeFileSync(list, Array.from({ length: 5 }, () => `file '${base}'`).join("\n"));
  const big = join(dir, "big.mp4");
  await Bun.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", list, "-c", "copy", "-y", big]).exited;
  const sources: string[] = [];
  let total = 0;
  const target = UPLOAD_MB * MB;
  const plan = [big, base, base, base, small, small, small, small, small];
  for (let i = 0; total < target; i++) {
    const source = plan[i % plan.length]!;
    sources.push(source);
    total += statSync(source).size;
  }
  const pending = join(dir, "spool", "bench", "pending");
  mkdirSync(pending, { recursive: true });
  const start = Date.UTC(2026, 0, 1);
  return sources.map((source, i) => {
    const file = join(pending, segmentFileName({ startMs: start + i * 10_000, durationMs: 10_000, configuredSecs: 10, cut: "boundary" }));
    copyFileSync(source, file);
    return file;
  });
}

async function benchUpload(): Promise<UploadResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-upload-"));
  const files = await makeSpool(dir);
  const bytes = files.reduce((s, f) => s + statSync(f).size, 0);
  const largestFile = Math.max(...files.map((f) => statSync(f).size));
  const copies = files.map((f, i) => {
    const copy = join(dir, `plain-${i}.mp4`);
    copyFileSync(f, copy);
    return copy;
  });
  const s3 = await startS3();
  console.log(`upload: ${files.length} files, ${(bytes / MB).toFixed(0)} MB through the service (16 MB parts, then parts so large that every file is one PUT), then a plain PUT client`);
  const multipart = await uploadThroughService(dir, s3.endpoint, "bench-service", 16);
  // Move the spool back to pending for the second run: same files, same names.
  for (const name of readdirSync(join(dir, "spool", "bench", "uploaded"))) renameSync(join(dir, "spool", "bench", "uploaded", name), join(dir, "spool", "bench", "pending", name));
  const single = await uploadThroughService(dir, s3.endpoint, "bench-single", 1024);

  const plain = Bun.spawn(["bun", join(import.meta.dir, "plain-put.ts"), s3.endpoint, "bench-plain", "4", ...copies], { stdout: "pipe", stderr: "inherit" });
  const plainSampler = new UsageSampler(() => [plain.pid]);
  plainSampler.start();
  const out = JSON.parse(await new Response(plain.stdout).text());
  await plain.exited;
  const plainUsage = plainSampler.stop();
  // Count only what arrived whole: Bun's node:http client has been seen to cut streamed bodies short.
  const stored = async (bucket: string) => {
    const keys = await s3.keys(bucket);
    const sizes = await Promise.all(keys.map(async (key) => (await s3.head(bucket, key)).ContentLength ?? 0));
    return sizes.reduce((a, b) => a + b, 0);
  };
  const result = {
    files: files.length, bytes, largestFile,
    multipart: { ...multipart, stored: await stored("bench-service") },
    single: { ...single, stored: await stored("bench-single") },
    plain: { secs: out.secs as number, peakRss: plainUsage.peakRssBytes, stored: await stored("bench-plain") },
  };
  await s3.stop();
  return result;
}

/** Starts the service on a spool of pending segments and times it until the backlog is empty. */
async function uploadThroughService(dir: string, endpoint: string, bucket: string, partSizeMb: number) {
  const port = freePort();
  const service = spawnService(dir, `[service]\nmetrics_host = "127.0.0.1"\nmetrics_port = ${port}\nlog_format = "json"\nlog_level = "warn"\n[storage]\nendpoint = "${endpoint}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\nbucket = "${bucket}"\n[recording]\ntemp_dir = "${dir}/spool"\n[upload]\nmax_concurrent = 4\npart_size_mb = ${partSizeMb}\n[[cameras]]\nid = "bench"\nrtsp_url = "rtsp://127.0.0.1:9/none"\n`);
  const sampler = new UsageSampler(() => [service.pid]);
  sampler.start();
  const started = performance.now();
  await waitFor("the service's backlog drained", async () => {
    const health = (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json()).catch(() => undefined)) as { upload_backlog?: { segments: number } } | undefined;
    return health?.upload_backlog?.segments === 0;
  }, 30 * 60_000, 100);
  const secs = (performance.now() - started) / 1000;
  service.kill("SIGTERM");
  await service.exited;
  return { secs, peakRss: sampler.stop().peakRssBytes };
}

async function version(command: string[]): Promise<string> {
  const out = await new Response(Bun.spawn(command, { stdout: "pipe", stderr: "pipe" }).stdout).text();
  return out.split("\n")[0]!.trim();
}

const mb = (bytes: number) => (bytes / MB).toFixed(1);

function render(rows: RecordingRow[], upload: UploadResult, machine: string[]): string {
  const recording = [
    "| cameras | audio | service CPU s | service peak RSS MB | its ffmpegs CPU s | their RSS MB (sum) | bare ffmpegs CPU s | bare RSS MB (sum) | (service + ffmpegs) / bare CPU | segments (service / bare) | media s kept per camera / wall s | largest gap s |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) => `| ${r.cameras} | ${r.audio} | ${r.serviceCpu.toFixed(2)} | ${mb(r.serviceRss)} | ${r.childrenCpu.toFixed(2)} | ${mb(r.childrenRss)} | ${r.bareCpu.toFixed(2)} | ${mb(r.bareRss)} | ${((r.serviceCpu + r.childrenCpu) / r.bareCpu).toFixed(3)} | ${r.segments} / ${r.bareSegments} | ${r.mediaSecs.toFixed(1)} / ${r.wallSecs} | ${r.largestGap.toFixed(3)} |`),
  ];
  const row = (name: string, run: UploadRun) =>
    `| ${name} | ${upload.files} | ${mb(upload.bytes)} | ${mb(run.stored)} | ${mb(upload.largestFile)} | ${run.secs.toFixed(1)} | ${(upload.bytes / MB / run.secs).toFixed(1)} | ${mb(run.peakRss)} |`;
  const uploadTable = [
    "| client | files | MB sent | MB stored | largest file MB | seconds | MB/s | peak RSS MB |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    row("camera-recorder, default 16 MB parts (multipart above 16 MB), Content-MD5, 4 at once", upload.multipart),
    row("camera-recorder, part_size_mb = 1024 (one PUT per file), Content-MD5, 4 at once", upload.single),
    row("plain SDK PutObject per file (stream body, no MD5), 4 at once", upload.plain),
    "",
    `Throughput ratio to the plain client: **${(upload.plain.secs / upload.multipart.secs).toFixed(2)}** with multipart, **${(upload.plain.secs / upload.single.secs).toFixed(2)}** with one PUT per file.`,
  ];
  return [
    "# Benchmarks",
    "",
    `Measured by \`bun run bench\` (BENCH_SECS=${SECONDS}, BENCH_CAMERAS=${COUNTS.join(",")}, BENCH_UPLOAD_MB=${UPLOAD_MB}) on ${new Date().toISOString().slice(0, 10)}.`,
    "",
    ...machine.map((line) => `- ${line}`),
    "",
    "## Recording: the service next to bare ffmpeg",
    "",
    `One fake RTSP camera (GStreamer, one shared H.264 320x240 15 fps stream with G.711 audio) on loopback; N cameras recorded for ${SECONDS} s in ${SEGMENT_SECS} s segments, video copied. "Bare" is the design document's command, one plain \`ffmpeg -rtsp_transport tcp -i URL -c:v copy -c:a aac -f segment -segment_atclocktime 1 ...\` per camera. CPU is user+system seconds over the run, RSS the peak (VmHWM) per process, summed over the ffmpegs.`,
    "",
    ...recording,
    "",
    "## Upload: the service next to the plainest client",
    "",
    "A spool of real MP4 files, most over the multipart threshold, uploaded to s3rver on loopback by the service (its whole start-up and drain), and the same bytes by one SDK PutObject per file.",
    "",
    ...uploadTable,
    "",
  ].join("\n");
}

try {
  const machine = [
    `machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB`,
    `camera-recorder ${pkg.version}, ${await version(["bun", "--version"]).then((v) => `bun ${v}`)}, ${await version(["ffmpeg", "-version"])}`,
  ];
  const rows = await benchRecording();
  const upload = await benchUpload();
  const report = render(rows, upload, machine);
  console.log(report);
  writeFileSync(join(import.meta.dir, "..", "BENCHMARKS.md"), report);
} finally {
  await killAll();
}
