// The recording benchmark: N independent cameras (bench/camera-farm.py) recorded for SECONDS by the
// service, then by the design document's bare ffmpeg command, in the same run of the same farm.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSegmentFileName } from "../src/spool/segment.ts";
import { BINARY } from "../test/fixtures/binary.ts";
import { track } from "../test/fixtures/processes.ts";
import { freePort, waitFor } from "../test/fixtures/wait.ts";
import type { Farm } from "./farm.ts";
import { measureKept, type CameraFiles, type Kept } from "./files.ts";
import { pidsWhere, UsageSampler } from "./proc-stats.ts";
import { scratchDir } from "./scratch.ts";

export interface Usage {
  cpuSecs: number;
  /** PSS summed over the group at the last sample before the stop (steady state). */
  pssBytes: number;
  /** The largest such sum during the run (start-up included). */
  peakPssBytes: number;
}

export interface Run extends Kept {
  /** The service process alone (zero for bare). */
  service: Usage;
  /** Its ffmpegs, or the bare ffmpegs. */
  ffmpegs: Usage;
}

/** The design document's command, one per camera; `extra` goes before the output options. */
export function bareArgs(url: string, dir: string, segmentSecs: number, audio: string[] = ["-c:a", "aac"]): string[] {
  return [
    "ffmpeg", "-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url,
    "-c:v", "copy", ...audio,
    "-f", "segment", "-segment_time", String(segmentSecs), "-segment_atclocktime", "1", "-reset_timestamps", "1", "-strftime", "1",
    // Not in the design document: where each segment starts on the stream's timeline, for the gap figure.
    "-segment_list", join(dir, "list.csv"), "-segment_list_type", "csv",
    join(dir, "%Y-%m-%d_%H-%M-%S.mp4"),
  ];
}

const SAMPLE_MS = 2000;

export async function recordThroughService({ urls, plays, sent }: Farm, secs: number, segmentSecs: number, recording = "", binary = BINARY): Promise<Run> {
  const dir = scratchDir("bench-svc-");
  const cameras = urls.map((url, i) => `[[cameras]]\nid = "cam${i}"\nrtsp_url = "${url}"\nsegment_duration_secs = ${segmentSecs}\n`).join("");
  const file = join(dir, "config.toml");
  writeFileSync(file, `[service]\nmetrics_host = "127.0.0.1"\nmetrics_port = ${freePort()}\nlog_format = "json"\nlog_level = "warn"\n[storage]\ntype = "filesystem"\npath = "${dir}/store"\n[recording]\ntemp_dir = "${dir}/spool"\n${recording}\n${cameras}`);
  const spawned = Date.now();
  const service = track(Bun.spawn([binary, "run", "--config", file], { stdout: "ignore", stderr: "inherit", stdin: "ignore", env: { PATH: process.env.PATH } }));
  const own = new UsageSampler(() => [service.pid], SAMPLE_MS);
  const children = new UsageSampler(() => pidsWhere((args) => args.some((a) => a.endsWith("ffmpeg")) && args.some((a) => a.startsWith(`${dir}/`))), SAMPLE_MS);
  own.start();
  children.start();
  await Bun.sleep(secs * 1000);
  own.markSteady();
  children.markSteady();
  service.kill("SIGTERM");
  await service.exited;
  const mine = own.stop();
  const theirs = children.stop();
  const files: CameraFiles[] = urls.map((_, i) => {
    const paths: string[] = [];
    const starts: number[] = [];
    const segments = ["uploaded", "pending"].flatMap((state) => {
      const where = join(dir, "spool", `cam${i}`, state);
      try {
        return readdirSync(where).flatMap((name) => {
          const parsed = parseSegmentFileName(name);
          return parsed ? [{ path: join(where, name), startMs: parsed.startMs }] : [];
        });
      } catch {
        return [];
      }
    }).sort((a, b) => a.startMs - b.startMs);
    for (const s of segments) {
      paths.push(s.path);
      starts.push((s.startMs - (segments[0]?.startMs ?? 0)) / 1000);
    }
    return { paths, starts };
  });
  const kept = await measureKept(files, firstPlays(urls.length, plays, spawned), await sentSince(urls.length, sent, spawned));
  rmSync(dir, { recursive: true, force: true }); // 64 cameras write 2 GB a minute
  return { ...kept, service: { cpuSecs: mine.cpuSecs, pssBytes: mine.lastPssBytes, peakPssBytes: mine.peakPssBytes }, ffmpegs: { cpuSecs: theirs.cpuSecs, pssBytes: theirs.lastPssBytes, peakPssBytes: theirs.peakPssBytes } };
}

export async function recordBare({ urls, plays, sent }: Farm, secs: number, segmentSecs: number, audio?: string[]): Promise<Run> {
  const dir = scratchDir("bench-bare-");
  const spawned = Date.now();
  const procs = urls.map((url, i) => {
    const camDir = join(dir, `cam${i}`);
    mkdirSync(camDir);
    return track(Bun.spawn(bareArgs(url, camDir, segmentSecs, audio), { stdin: "pipe", stdout: "ignore", stderr: "inherit" }));
  });
  const sampler = new UsageSampler(() => procs.map((p) => p.pid), SAMPLE_MS);
  sampler.start();
  await Bun.sleep(secs * 1000);
  sampler.markSteady();
  for (const p of procs) {
    p.stdin.write("q");
    await p.stdin.flush();
  }
  await Promise.all(procs.map((p) => p.exited));
  const usage = sampler.stop();
  const files: CameraFiles[] = urls.map((_, i) => {
    const camDir = join(dir, `cam${i}`);
    // The segment list's lines: name,start,end on the stream's timeline (seconds).
    let lines: string[] = [];
    try {
      lines = readFileSync(join(camDir, "list.csv"), "utf8").split("\n").filter(Boolean);
    } catch {}
    const listed = lines.map((l) => l.split(",")).map(([name, start]) => ({ path: join(camDir, name!), start: Number(start) }));
    // The last segment, closed by "q", may be missing from the list: count it, after the listed ones.
    const names = new Set(listed.map((l) => l.path));
    const unlisted = readdirSync(camDir).filter((n) => n.endsWith(".mp4")).map((n) => join(camDir, n)).filter((p) => !names.has(p)).sort();
    return { paths: [...listed.map((l) => l.path), ...unlisted], starts: [...listed.map((l) => l.start), ...unlisted.map(() => Number.POSITIVE_INFINITY)] };
  });
  // An unlisted last segment has no known start: its gap is not measured (measureKept skips a start that is not finite).
  for (const f of files) f.starts = f.starts.map((s) => (Number.isFinite(s) ? s : Number.NaN));
  const kept = await measureKept(files, firstPlays(urls.length, plays, spawned), await sentSince(urls.length, sent, spawned));
  rmSync(dir, { recursive: true, force: true });
  return { ...kept, service: { cpuSecs: 0, pssBytes: 0, peakPssBytes: 0 }, ffmpegs: { cpuSecs: usage.cpuSecs, pssBytes: usage.lastPssBytes, peakPssBytes: usage.peakPssBytes } };
}

/** Seconds of video the cameras sent to sessions that ended after `spawnedMs`, per camera (NaN if the farm never said). */
async function sentSince(cameras: number, sent: Farm["sent"], spawnedMs: number): Promise<number> {
  const ended = (i: number) => (sent.get(i) ?? []).filter((s) => s.at >= spawnedMs);
  // The farm reports a session when its recorder has gone: moments after the stop.
  const all = await waitFor("the farm's count of what it sent", () => Array.from({ length: cameras }, (_, i) => ended(i)).every((e) => e.length > 0), 15_000, 100).then(() => true, () => false);
  if (!all) return Number.NaN;
  return Array.from({ length: cameras }, (_, i) => ended(i).reduce((sum, s) => sum + s.secs, 0)).reduce((a, b) => a + b, 0) / cameras;
}

/** Seconds from `spawnedMs` to each camera's first PLAY after it. */
function firstPlays(cameras: number, plays: Map<number, number[]>, spawnedMs: number): number[] {
  return Array.from({ length: cameras }, (_, i) => plays.get(i)?.find((t) => t >= spawnedMs)).filter((t) => t !== undefined).map((t) => (t - spawnedMs) / 1000);
}
