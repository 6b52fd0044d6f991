import type { Subprocess } from "bun";
import { tiedCommand } from "./tied-spawn.ts";

/** A running ffmpeg with its output as lines; the single owner of the process's lifetime. */
export interface FfmpegProcess {
  readonly pid: number;
  readonly exited: Promise<number | null>;
  /** Finalize and exit: `q` on stdin, then SIGTERM, then SIGKILL, each after `graceMs`. */
  stop(graceMs: number): Promise<void>;
  /** Kill now (SIGKILL). The last fragment written is still on disk. */
  kill(): void;
}

export interface SpawnOptions {
  command: string[];
  env?: Record<string, string | undefined>;
  onStdoutLine: (line: string) => void;
  onStderrLine: (line: string) => void;
}

export type SpawnFfmpeg = (options: SpawnOptions) => FfmpegProcess;

/**
 * Starts ffmpeg with its output as lines. ffmpeg cannot outlive the service: it is started tied
 * to it (tied-spawn.ts: the kernel SIGKILLs it the moment the service dies, even by SIGKILL), and
 * a new start ends any ffmpeg still writing into its spool (spool/orphans.ts). A gentler SIGTERM
 * on our death (`setpriv --pdeathsig TERM`) was tried and dropped: ffmpeg 5.1 can deadlock in its
 * exit path and then lingers forever, while a SIGKILLed ffmpeg loses only its last, unflushed
 * fragment (see FRAGMENTED_MP4).
 */
export function createSpawner(): SpawnFfmpeg {
  return (options) => {
    const proc = Bun.spawn(tiedCommand(options.command), {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      env: options.env as Record<string, string>,
    });
    void forEachLine(proc.stdout, options.onStdoutLine);
    void forEachLine(proc.stderr, options.onStderrLine);
    return wrap(proc);
  };
}

function wrap(proc: Subprocess<"pipe", "pipe", "pipe">): FfmpegProcess {
  const exited = proc.exited.then(() => proc.exitCode);
  const waitExit = (ms: number) => Promise.race([exited.then(() => true), Bun.sleep(ms).then(() => false)]);
  return {
    pid: proc.pid,
    exited,
    async stop(graceMs) {
      try {
        proc.stdin.write("q");
        await proc.stdin.flush();
      } catch {
        // stdin already closed: ffmpeg is on its way out, the signals below make sure.
      }
      if (await waitExit(graceMs)) return;
      proc.kill("SIGTERM");
      if (await waitExit(graceMs)) return;
      proc.kill("SIGKILL");
      await exited;
    },
    kill() {
      proc.kill("SIGKILL");
    },
  };
}

/** Calls `onLine` for every line of a byte stream, as it arrives. */
export async function forEachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/[\r\n]/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line) onLine(line);
    }
  }
  if (buffer) onLine(buffer);
}
