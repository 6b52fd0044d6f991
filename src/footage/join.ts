import type { FootageDeps, FootageSegment } from "./find-segments.ts";
import { concatScript, joinArgs, type JoinOutput, type JoinPlan } from "./join-plan.ts";
import { SegmentServer } from "./segment-server.ts";

/** A running join: ffmpeg's stdout (the MP4 for a stream, progress lines for a file) and its end. */
export interface RunningJoin {
  stdout: ReadableStream<Uint8Array>;
  /** ffmpeg's exit code and error output; the segment server closes then. */
  exited: Promise<{ code: number; errors: string }>;
  /** Ends ffmpeg now (a client that went away). */
  kill(): void;
}

/**
 * Starts ffmpeg on a plan. Its lifetime is `signal`'s: an abort ends ffmpeg at once, and the
 * loopback segment server closes when ffmpeg exits, whatever the reason.
 */
export function startJoin(deps: FootageDeps, segments: readonly FootageSegment[], plan: JoinPlan, output: JoinOutput, signal?: AbortSignal): RunningJoin {
  const server = new SegmentServer(deps.storage, segments, signal);
  let proc;
  try {
    proc = Bun.spawn([deps.ffmpegPath, ...joinArgs(output)], { stdin: "pipe", stdout: "pipe", stderr: "pipe", signal, killSignal: "SIGKILL" });
  } catch (error) {
    void server[Symbol.asyncDispose]();
    throw error;
  }
  proc.stdin.write(concatScript(plan, (i) => server.url(i)));
  void proc.stdin.end();
  const errors = new Response(proc.stderr).text();
  const exited = proc.exited.then(async (code) => {
    // Not awaited: a slot of the clip API is free the moment ffmpeg is gone.
    void server[Symbol.asyncDispose]().catch(() => {});
    return { code, errors: (await errors).trim() };
  });
  return { stdout: proc.stdout, exited, kill: () => proc.kill("SIGKILL") };
}
