// Starts the camera farm (bench/camera-farm.py): `cameras` independent RTSP streams of one clip,
// spread over processes of at most `perProcess` mounts each.
import { join } from "node:path";
import { forEachLine } from "../src/recorder/ffmpeg-process.ts";
import { track } from "../test/fixtures/processes.ts";

export interface Farm {
  urls: string[];
  pids: number[];
  /** When each camera (by index) last started playing a session, ms since the epoch. */
  plays: Map<number, number[]>;
  /** Each camera's ended sessions: seconds of video it sent, and when the session ended (ms). */
  sent: Map<number, Array<{ secs: number; at: number }>>;
  stop(): Promise<void>;
}

export async function startFarm(clip: string, cameras: number, perProcess = 32): Promise<Farm> {
  const plays = new Map<number, number[]>();
  const sent = new Map<number, Array<{ secs: number; at: number }>>();
  const procs: Array<{ proc: ReturnType<typeof Bun.spawn>; base: Promise<string>; count: number }> = [];
  for (let first = 0; first < cameras; first += perProcess) {
    const count = Math.min(perProcess, cameras - first);
    const proc = track(Bun.spawn(["/usr/bin/python3", join(import.meta.dir, "camera-farm.py"), clip, String(count)], { stdout: "pipe", stderr: "inherit", stdin: "ignore" }));
    const ready = Promise.withResolvers<string>();
    void forEachLine(proc.stdout as ReadableStream<Uint8Array>, (line) => {
      const match = /^ready (rtsp:\S+)/.exec(line);
      if (match) ready.resolve(match[1]!);
      const play = /^play \/cam(\d+) (\d+)/.exec(line);
      if (play) {
        const camera = first + Number(play[1]);
        plays.set(camera, [...(plays.get(camera) ?? []), Number(play[2])]);
      }
      const ended = /^sent \/cam(\d+) (\S+) (\d+)/.exec(line);
      if (ended) {
        const camera = first + Number(ended[1]);
        sent.set(camera, [...(sent.get(camera) ?? []), { secs: Number(ended[2]), at: Number(ended[3]) }]);
      }
    });
    void proc.exited.then((code) => ready.reject(new Error(`camera farm exited with ${code}`)));
    procs.push({ proc, base: ready.promise, count });
  }
  const urls: string[] = [];
  for (const { base, count } of procs) {
    const url = await base;
    for (let i = 0; i < count; i++) urls.push(`${url}${i}`);
  }
  return {
    urls,
    pids: procs.map((p) => p.proc.pid),
    plays,
    sent,
    stop: async () => {
      for (const { proc } of procs) proc.kill("SIGKILL");
      await Promise.all(procs.map((p) => p.proc.exited));
    },
  };
}
