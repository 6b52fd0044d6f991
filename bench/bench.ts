// bun run bench: what camera-recorder costs next to the design document's bare ffmpeg, on a farm
// of independent 1080p cameras, and how fast it uploads. Rewrites its own section of BENCHMARKS.md
// (between the bench markers). Knobs: BENCH_SECS (60), BENCH_CAMERAS ("1,16,64,96"),
// BENCH_OPTIONS_CAMERAS (16), BENCH_UPLOAD_MB (1000).
import { copyFileSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { segmentFileName } from "../src/spool/segment.ts";
import { startS3 } from "../test/fixtures/s3.ts";
import { freePort, waitFor } from "../test/fixtures/wait.ts";
import { BINARY } from "../test/fixtures/binary.ts";
import { audioQuality, type AudioQuality } from "./audio-quality.ts";
import { benchClip } from "./clip.ts";
import { startFarm } from "./farm.ts";
import { UsageSampler } from "./proc-stats.ts";
import { recordBare, recordThroughService, type Run } from "./recording.ts";
import { replaceSection } from "./report.ts";
import { runBenchmark, scratchDir } from "./scratch.ts";
import pkg from "../package.json";

const SECONDS = Number(process.env.BENCH_SECS ?? 60);
const COUNTS = (process.env.BENCH_CAMERAS ?? "1,16,64,96").split(",").map(Number);
const OPTIONS_CAMERAS = Number(process.env.BENCH_OPTIONS_CAMERAS ?? 16);
const UPLOAD_MB = Number(process.env.BENCH_UPLOAD_MB ?? 1000);
const SEGMENT_SECS = 5;
const MB = 1024 * 1024;

interface RecordingRow {
  cameras: number;
  service: Run;
  bare: Run;
  /** The camera farm's own CPU seconds and PSS over both runs. */
  rig: { cpuSecs: number; pssBytes: number };
  /** 1-minute load average at the end of the row. */
  load: number;
}

function spawnService(dir: string, config: string) {
  const file = join(dir, "config.toml");
  writeFileSync(file, config);
  return Bun.spawn([BINARY, "run", "--config", file], { stdout: "ignore", stderr: "inherit", stdin: "ignore", env: { PATH: process.env.PATH } });
}

async function benchRecording(clip: string): Promise<RecordingRow[]> {
  const rows: RecordingRow[] = [];
  for (const cameras of COUNTS) {
    console.log(`recording: ${cameras} camera(s), ${SECONDS} s through the service, then ${SECONDS} s bare ffmpeg`);
    const farm = await startFarm(clip, cameras);
    const rig = new UsageSampler(() => farm.pids, 2000);
    rig.start();
    const service = await recordThroughService(farm, SECONDS, SEGMENT_SECS);
    const bare = await recordBare(farm, SECONDS, SEGMENT_SECS);
    const usage = rig.stop();
    await farm.stop();
    const row = { cameras, service, bare, rig: { cpuSecs: usage.cpuSecs, pssBytes: usage.peakPssBytes }, load: (await import("node:os")).loadavg()[0]! };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  return rows;
}

interface OptionRow {
  name: string;
  audio: string[];
  run: Run;
}

/** What each audio option costs ffmpeg alone: the design document's command with one change each. */
async function benchOptions(clip: string): Promise<OptionRow[]> {
  const variants: Array<[string, string[]]> = [
    ["design document: `-c:a aac` (twoloop coder)", ["-c:a", "aac"]],
    ["kept: `-c:a aac -aac_coder fast`", ["-c:a", "aac", "-aac_coder", "fast"]],
    ["`-c:a aac -b:a 32k` (twoloop, lower bitrate)", ["-c:a", "aac", "-b:a", "32k"]],
    ["`-an` (no audio: the floor)", ["-an"]],
  ];
  const farm = await startFarm(clip, OPTIONS_CAMERAS);
  const rows: OptionRow[] = [];
  for (const [name, audio] of variants) {
    console.log(`options: ${OPTIONS_CAMERAS} bare ffmpegs, ${name}`);
    rows.push({ name, audio, run: await recordBare(farm, SECONDS, SEGMENT_SECS, audio) });
  }
  await farm.stop();
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
  const dir = scratchDir("bench-upload-");
  const files = await makeSpool(dir);
  const bytes = files.reduce((s, f) => s + statSync(f).size, 0);
  const largestFile = Math.max(...files.map((f) => statSync(f).size));
  const copies = files.map((f, i) => {
    const copy = join(dir, `plain-${i}.mp4`);
    copyFileSync(f, copy);
    return copy;
  });
  const s3 = await startS3({ directory: scratchDir("bench-s3rver-") });
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
const pct = (cpuSecs: number, cameras: number) => ((100 * cpuSecs) / SECONDS / cameras).toFixed(2);

function renderRecording(rows: RecordingRow[]): string[] {
  const svcCpu = (r: RecordingRow) => r.service.service.cpuSecs + r.service.ffmpegs.cpuSecs;
  const svcPss = (r: RecordingRow) => r.service.service.pssBytes + r.service.ffmpegs.pssBytes;
  return [
    "| cameras | CPU s: service / its ffmpegs / bare | CPU ratio (service + ffmpegs) / bare | PSS MB: service / its ffmpegs / bare | PSS ratio (peak ratio) | media s kept per camera: service / bare | video s the cameras sent per camera: to the service / to bare | first PLAY s after spawn, median / max: service / bare | largest gap s: service / bare | segments: service / bare | camera farm CPU % of a core / PSS MB | load |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) => `| ${r.cameras} | ${r.service.service.cpuSecs.toFixed(2)} / ${r.service.ffmpegs.cpuSecs.toFixed(2)} / ${r.bare.ffmpegs.cpuSecs.toFixed(2)} | **${(svcCpu(r) / r.bare.ffmpegs.cpuSecs).toFixed(3)}** | ${mb(r.service.service.pssBytes)} / ${mb(r.service.ffmpegs.pssBytes)} / ${mb(r.bare.ffmpegs.pssBytes)} | **${(svcPss(r) / r.bare.ffmpegs.pssBytes).toFixed(3)}** (${((r.service.service.peakPssBytes + r.service.ffmpegs.peakPssBytes) / r.bare.ffmpegs.peakPssBytes).toFixed(2)}) | ${r.service.mediaPerCamera.toFixed(2)} / ${r.bare.mediaPerCamera.toFixed(2)} | ${r.service.sentPerCamera.toFixed(2)} / ${r.bare.sentPerCamera.toFixed(2)} | ${r.service.firstFrameMedian.toFixed(2)}, ${r.service.firstFrameMax.toFixed(2)} / ${r.bare.firstFrameMedian.toFixed(2)}, ${r.bare.firstFrameMax.toFixed(2)} | ${r.service.largestGap.toFixed(3)} / ${r.bare.largestGap.toFixed(3)} | ${r.service.segments} / ${r.bare.segments} | ${((100 * r.rig.cpuSecs) / (2 * SECONDS)).toFixed(0)} / ${mb(r.rig.pssBytes)} | ${r.load.toFixed(1)} |`),
  ];
}

function renderOptions(rows: OptionRow[], quality: AudioQuality): string[] {
  return [
    `| ${OPTIONS_CAMERAS} bare ffmpegs, audio | ffmpeg CPU, % of a core per camera | PSS MB per camera | media s kept per camera |`,
    "|---|---:|---:|---:|",
    ...rows.map((r) => `| ${r.name} | ${pct(r.run.ffmpegs.cpuSecs, OPTIONS_CAMERAS)} | ${mb(r.run.ffmpegs.pssBytes / OPTIONS_CAMERAS)} | ${r.run.mediaPerCamera.toFixed(2)} |`),
    "",
    `Sound: the clip's 8 kHz G.711 speech-like track encoded by each coder, decoded back (\`-xerror\`: no decoding error) and compared with the source (\`bun bench/audio-quality.ts\`): twoloop **${quality.twoloop.db.toFixed(1)} dB** SNR at ${quality.twoloop.kbps.toFixed(0)} kbit/s, fast **${quality.fast.db.toFixed(1)} dB** at ${quality.fast.kbps.toFixed(0)} kbit/s; the two decoded outputs differ from each other by ${quality.fastVsTwoloopDb.toFixed(1)} dB SNR.`,
  ];
}

function renderUpload(upload: UploadResult): string[] {
  const row = (name: string, run: UploadRun) =>
    `| ${name} | ${upload.files} | ${mb(upload.bytes)} | ${mb(run.stored)} | ${mb(upload.largestFile)} | ${run.secs.toFixed(1)} | ${(upload.bytes / MB / run.secs).toFixed(1)} | ${mb(run.peakRss)} |`;
  return [
    "| client | files | MB sent | MB stored | largest file MB | seconds | MB/s | peak RSS MB |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    row("camera-recorder, default 16 MB parts (multipart above 16 MB), Content-MD5, 4 at once", upload.multipart),
    row("camera-recorder, part_size_mb = 1024 (one PUT per file), Content-MD5, 4 at once", upload.single),
    row("plain SDK PutObject per file (stream body, no MD5), 4 at once", upload.plain),
    "",
    `Throughput ratio to the plain client: **${(upload.plain.secs / upload.multipart.secs).toFixed(2)}** with multipart, **${(upload.plain.secs / upload.single.secs).toFixed(2)}** with one PUT per file.`,
  ];
}

function render(rows: RecordingRow[], options: OptionRow[], quality: AudioQuality, upload: UploadResult, machine: string[]): string {
  return [
    `Measured by \`bun run bench\` (BENCH_SECS=${SECONDS}, BENCH_CAMERAS=${COUNTS.join(",")}, BENCH_OPTIONS_CAMERAS=${OPTIONS_CAMERAS}, BENCH_UPLOAD_MB=${UPLOAD_MB}) on ${new Date().toISOString().slice(0, 16)}Z.`,
    "",
    ...machine.map((line) => `- ${line}`),
    "",
    "## Recording: the service next to the design document's bare ffmpeg",
    "",
    `Cameras: a farm of independent RTSP streams on loopback (\`bench/camera-farm.py\`: GStreamer RTSP servers of up to 32 mount points each, every session its own pipeline playing a pre-encoded clip in real time, demuxed and payloaded without re-encoding). The clip (\`bench/clip.ts\`, made once under dist/bench): 1920x1080 15 fps H.264 High at ~4.1 Mbit/s (testsrc2 with noise), a keyframe every 2 s, no B-frames, and G.711 A-law 8 kHz speech-like audio. For each row the same farm is recorded for ${SECONDS} s in ${SEGMENT_SECS} s segments by the service (filesystem storage, \`audio_codec = "aac"\`), then by the design document's command, one \`ffmpeg -rtsp_transport tcp -i URL -c:v copy -c:a aac -f segment -segment_time ${SEGMENT_SECS} -segment_atclocktime 1 -reset_timestamps 1 -strftime 1 ...\` per camera (plus \`-segment_list\`, for the gap figure).`,
    "",
    "CPU: user+system seconds over the run (from /proc/PID/stat, kept for processes that exit). PSS: the sum over the group's live processes of /proc/PID/smaps_rollup Pss at the last sample before the stop (sampled every 2 s; shared libraries divided among the processes that map them, so the group's figure is what it adds to the machine); in brackets the ratio of the largest sums during the run, start-up included. Media kept: ffprobe's duration of every file, summed per camera. Video sent: what the farm itself counted for the sessions of that run (first to last frame timestamp, plus a frame), so what a recorder lost is told apart from how much the camera sent. First PLAY: from spawn to the camera's PLAY request (the farm logs it; the first frame follows at once). Largest gap: next start − (start + ffprobe duration) over consecutive segments, starts from the service's file names and from bare ffmpeg's segment list.",
    "",
    ...renderRecording(rows),
    "",
    "## What each audio option costs ffmpeg",
    "",
    ...renderOptions(options, quality),
    "",
    "## Upload: the service next to the plainest client",
    "",
    "A spool of real MP4 files, most over the multipart threshold, uploaded to s3rver on loopback by the service (its whole start-up and drain), and the same bytes by one SDK PutObject per file.",
    "",
    ...renderUpload(upload),
  ].join("\n");
}

await runBenchmark(async () => {
  const machine = [
    `machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, shared (the load column is the 1-minute load average at each row's end)`,
    `camera-recorder ${pkg.version}, ${await version(["bun", "--version"]).then((v) => `bun ${v}`)}, ${await version(["ffmpeg", "-version"])}`,
  ];
  const clip = await benchClip(2 * SECONDS + 60);
  const quality = await audioQuality();
  const rows = await benchRecording(clip);
  const options = await benchOptions(clip);
  const upload = await benchUpload();
  const report = render(rows, options, quality, upload, machine);
  console.log(report);
  replaceSection(join(import.meta.dir, "..", "BENCHMARKS.md"), "bench", report);
});
