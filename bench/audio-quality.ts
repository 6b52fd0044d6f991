// Does `-aac_coder fast` sound like ffmpeg's default coder (twoloop) on a camera's 8 kHz G.711 audio?
// Encodes the benchmark clip's speech-like A-law track with each coder (the recorder's other audio
// options unchanged), decodes both back to PCM and compares each with the source: SNR in dB.
// `bun bench/audio-quality.ts` prints a JSON line; bench/bench.ts puts it in BENCHMARKS.md.
import { join } from "node:path";
import { benchClip } from "./clip.ts";
import { scratchDir } from "./scratch.ts";

async function run(args: string[]): Promise<Uint8Array> {
  const proc = Bun.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).bytes(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`ffmpeg ${args.join(" ")}: ${err}`);
  return out;
}

const pcm = async (input: string) => new Int16Array((await run(["-xerror", "-i", input, "-map", "0:a:0", "-f", "s16le", "-ac", "1", "-ar", "8000", "pipe:1"])).buffer);

/** SNR of `test` against `ref` in dB, at the lag (±50 ms) that matches best. */
function snr(ref: Int16Array, test: Int16Array): { db: number; lagSamples: number } {
  let best = { db: Number.NEGATIVE_INFINITY, lagSamples: 0 };
  const n = Math.min(ref.length, test.length) - 800;
  for (let lag = -400; lag <= 400; lag++) {
    let signal = 0;
    let noise = 0;
    for (let i = 400; i < n; i++) {
      const r = ref[i]!;
      const d = r - test[i + lag]!;
      signal += r * r;
      noise += d * d;
    }
    const db = 10 * Math.log10(signal / Math.max(noise, 1));
    if (db > best.db) best = { db, lagSamples: lag };
  }
  return best;
}

export interface AudioQuality {
  twoloop: { db: number; kbps: number };
  fast: { db: number; kbps: number };
  /** fast against twoloop, decoded: how alike the two outputs are. */
  fastVsTwoloopDb: number;
}

export async function audioQuality(): Promise<AudioQuality> {
  const clip = await benchClip(10);
  const dir = scratchDir("bench-audio-");
  const source = await pcm(clip);
  const encode = async (coder: string) => {
    const out = join(dir, `${coder}.mp4`);
    await run(["-i", clip, "-map", "0:a:0", "-c:a", "aac", "-aac_coder", coder, "-y", out]);
    const bytes = Bun.file(out).size;
    return { out, kbps: (bytes * 8) / 1000 / (source.length / 8000) };
  };
  const twoloop = await encode("twoloop");
  const fast = await encode("fast");
  const [a, b] = [await pcm(twoloop.out), await pcm(fast.out)];
  return {
    twoloop: { db: snr(source, a).db, kbps: twoloop.kbps },
    fast: { db: snr(source, b).db, kbps: fast.kbps },
    fastVsTwoloopDb: snr(a, b).db,
  };
}

if (import.meta.main) console.log(JSON.stringify(await audioQuality()));
