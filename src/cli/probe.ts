import type { Config, CameraConfig } from "../config/schema.ts";
import { redactUrl } from "../config/redact.ts";
import { describe, EXIT } from "../errors.ts";
import { classifyFailure, FAILURE_TEXT } from "../recorder/failure.ts";
import { forEachLine } from "../recorder/ffmpeg-process.ts";
import { locateFfmpeg } from "../recorder/ffmpeg-path.ts";
import { createStorage } from "../upload/create-storage.ts";
import type { CliArgs } from "./args.ts";

const PROBE_TIMEOUT_SECS = 10;

/** `probe`: reach every camera and the storage; one line per check; exit 1 if any failed. */
export async function probe(config: Config, _args: CliArgs, write = (line: string) => process.stdout.write(`${line}\n`)): Promise<number> {
  const ffmpeg = locateFfmpeg(config.recording.ffmpeg_path, process.env.PATH);
  const checks = [
    ...config.cameras.filter((c) => c.enabled).map((camera) => probeCamera(ffmpeg, camera)),
    probeStorage(config),
  ];
  let failed = 0;
  for (const check of checks) {
    const result = await check;
    if (!result.ok) failed++;
    write(`${result.ok ? "ok  " : "FAIL"} ${result.what}: ${result.detail}`);
  }
  return failed === 0 ? EXIT.ok : EXIT.failure;
}

interface CheckResult {
  ok: boolean;
  what: string;
  detail: string;
}

/** DESCRIBE and stream info through ffmpeg (no ffprobe needed): codecs and resolution, or why not. */
async function probeCamera(ffmpeg: string, camera: CameraConfig): Promise<CheckResult> {
  const what = `camera ${camera.id} (${redactUrl(camera.rtsp_url)})`;
  // ffmpeg's own socket timeout ends a silent camera; the signal ends an ffmpeg that hangs anyway.
  const proc = Bun.spawn([ffmpeg, "-hide_banner", "-nostdin", "-rtsp_transport", "tcp", "-timeout", String(PROBE_TIMEOUT_SECS * 1_000_000), "-i", camera.rtsp_url], {
    stdin: "ignore", stdout: "ignore", stderr: "pipe", signal: AbortSignal.timeout((PROBE_TIMEOUT_SECS + 5) * 1000), killSignal: "SIGKILL",
  });
  const lines: string[] = [];
  await forEachLine(proc.stderr, (line) => lines.push(line));
  await proc.exited;
  const streams = lines.map((l) => /Stream #\d+:\d+.*?: (Video|Audio): (.*)$/.exec(l)).filter((m) => m !== null);
  const video = streams.find((m) => m[1] === "Video");
  if (!video) return { ok: false, what, detail: FAILURE_TEXT[classifyFailure(lines.length ? lines : ["timed out"])] };
  const codec = video[2]!.split(/[ ,]/)[0];
  const size = /\b(\d{2,5}x\d{2,5})\b/.exec(video[2]!)?.[1] ?? "unknown size";
  const audio = streams.find((m) => m[1] === "Audio")?.[2]!.split(/[ ,]/)[0];
  return { ok: true, what, detail: `${codec} ${size}${audio ? `, audio ${audio}` : ", no audio"}` };
}

async function probeStorage(config: Config): Promise<CheckResult> {
  const storage = createStorage(config);
  try {
    await storage.prepare();
    return { ok: true, what: "storage", detail: `${storage.target} reachable` };
  } catch (error) {
    return { ok: false, what: "storage", detail: `${storage.target}: ${describe(error)}` };
  }
}
