// The benchmark's camera clip: 1080p 15 fps H.264 at ~4 Mbit/s (noise, so the bitrate is real), a
// keyframe every 2 s, no B-frames (as cameras send), with G.711 A-law 8 kHz speech-like audio.
// Encoded once (10 s), then repeated without re-encoding to the length asked; cached under dist/bench.
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";

const DIR = join(import.meta.dir, "..", "dist", "bench");
const BASE_SECS = 10;

/** Harmonics on a wandering ~140 Hz pitch, syllable-rate envelope, formant-ish partials, a little noise. */
export const SPEECHLIKE = "aevalsrc=exprs='0.25*pow(0.5+0.5*sin(2*PI*3.7*t),2)*(sin(2*PI*(140*t+8*sin(2*PI*0.6*t)))+0.6*sin(2*PI*2*(140*t+8*sin(2*PI*0.6*t)))+0.4*sin(2*PI*3*(140*t+8*sin(2*PI*0.6*t)))+0.3*sin(2*PI*750*t)+0.2*sin(2*PI*1150*t)+0.08*sin(2*PI*2400*t))+0.02*(random(0)-0.5)':s=8000:c=mono";

async function ffmpeg(args: string[]): Promise<void> {
  const proc = Bun.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", ...args], { stdout: "ignore", stderr: "pipe" });
  const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  if (code !== 0) throw new Error(`ffmpeg ${args.join(" ")} failed (${code}): ${err}`);
}

/** A MOV of at least `secs` seconds; made on first use. */
export async function benchClip(secs: number): Promise<string> {
  mkdirSync(DIR, { recursive: true });
  const base = join(DIR, "clip-base.mov");
  if (!existsSync(base)) {
    const video = join(DIR, "clip.h264");
    const audio = join(DIR, "clip.alaw");
    await ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=15,noise=alls=24:allf=t", "-t", String(BASE_SECS), "-c:v", "libx264", "-preset", "veryfast", "-b:v", "4M", "-maxrate", "4M", "-bufsize", "4M", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0", "-bf", "0", "-pix_fmt", "yuv420p", "-f", "h264", video]);
    await ffmpeg(["-f", "lavfi", "-i", SPEECHLIKE, "-t", String(BASE_SECS), "-c:a", "pcm_alaw", "-f", "alaw", audio]);
    await ffmpeg(["-f", "h264", "-framerate", "15", "-i", video, "-f", "alaw", "-ar", "8000", "-ac", "1", "-i", audio, "-c", "copy", `${base}.part.mov`]);
    renameSync(`${base}.part.mov`, base);
  }
  const loops = Math.ceil(secs / BASE_SECS);
  const clip = join(DIR, `clip-${loops * BASE_SECS}s.mov`);
  if (!existsSync(clip)) {
    await ffmpeg(["-stream_loop", String(loops - 1), "-i", base, "-c", "copy", `${clip}.part.mov`]);
    renameSync(`${clip}.part.mov`, clip);
  }
  return clip;
}
