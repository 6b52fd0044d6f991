import { closeSync, openSync, writeSync } from "node:fs";
import { dlopen, FFIType } from "bun:ffi";
import { TIE_BINARIES } from "./tie/binaries.ts";

/**
 * Child processes tied to the service's life, and only them.
 *
 * Bun.spawn cannot arm the parent-death signal on a child, and Bun's `--no-orphans`, which does, also
 * arms it on the service itself (then `camera-recorder run ... &` dies with the shell that started it;
 * disarming it from JavaScript leaves a window of tens of milliseconds after exec in which it still
 * would). So each child is started through the tie, a 450-byte static program (tie/*.S, assembled
 * into tie/binaries.ts): `tie SERVICE_PID PROGRAM ARGS...` arms PR_SET_PDEATHSIG=SIGKILL, checks that
 * its parent is still the service (the race prctl(2) warns of; exit 70 if not) and execs PROGRAM,
 * which keeps the signal. When the service dies, even by SIGKILL, the kernel kills its ffmpegs at once.
 * SIGKILL, not SIGTERM: ffmpeg 5.1 can deadlock in its exit path on a SIGTERM (see README), and a
 * killed ffmpeg loses only its last, unflushed fragment.
 *
 * The tie lives in an anonymous memory file (memfd), so it needs no writable or executable directory;
 * it starts in well under a millisecond. It replaced starting each child through the binary itself,
 * a whole Bun start (~40 ms CPU, 46 MB) per ffmpeg, 64 at once when 64 cameras start (BENCHMARKS.md).
 */
export type TieStatus = { tied: true } | { tied: false; reason: string };

/** The command line that runs `command` tied to this process; `command` itself where the tie is unavailable. */
export function tiedCommand(command: string[]): string[] {
  const tie = loadTie();
  if (!tie.tied || !command[0]) return command;
  return [tie.path, String(process.pid), resolveProgram(command[0]), ...command.slice(1)];
}

/** Whether children are tied, and why not: the service says so once at start. */
export function tieStatus(): TieStatus {
  const tie = loadTie();
  return tie.tied ? { tied: true } : tie;
}

/** Exit codes of the tie when it cannot exec (ffmpeg itself never exits with these). */
export const TIED_PARENT_GONE = 70;
export const TIED_EXEC_FAILED = 127;

export type InstalledTie = { tied: true; path: string } | { tied: false; reason: string };
let loaded: InstalledTie | undefined;

function loadTie(): InstalledTie {
  loaded ??= installTie(TIE_BINARIES[process.arch]);
  return loaded;
}

/** Puts the tie (`elf`, base64) in a memory file and runs it once; exported for the tests. */
export function installTie(elf: string | undefined): InstalledTie {
  if (process.platform !== "linux" || !elf) return { tied: false, reason: `no tie for ${process.platform}/${process.arch}` };
  const memfdCreate = openMemfdCreate();
  if (!memfdCreate) return { tied: false, reason: "memfd_create is not available" };
  const name = Buffer.from("camera-recorder-tie\0");
  // MFD_EXEC: executable even where vm.memfd_noexec=1 seals memory files noexec; kernels before 6.3
  // do not know the flag (EINVAL), and there every memory file is executable.
  let writable = memfdCreate(name, MFD_CLOEXEC | MFD_EXEC);
  if (writable < 0) writable = memfdCreate(name, MFD_CLOEXEC);
  if (writable < 0) return { tied: false, reason: "memfd_create failed" };
  let readOnly: number;
  try {
    writeSync(writable, Buffer.from(elf, "base64"));
    // A file open for writing cannot be executed (ETXTBSY): keep a read-only descriptor instead.
    readOnly = openSync(`/proc/self/fd/${writable}`, "r");
  } catch (error) {
    return { tied: false, reason: `cannot prepare the tie: ${(error as Error).message}` };
  } finally {
    closeSync(writable);
  }
  const path = `/proc/${process.pid}/fd/${readOnly}`;
  // Run it once: without arguments it exits 127 at once. Anything else (an emulated CPU, a kernel
  // that forbids executing memory files) means children go untied.
  const failure = probeTie(path);
  if (!failure) return { tied: true, path };
  closeSync(readOnly);
  return { tied: false, reason: `the tie did not run (${failure})` };
}

function probeTie(path: string): string | undefined {
  try {
    const probe = Bun.spawnSync([path], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    return probe.exitCode === TIED_EXEC_FAILED ? undefined : `exit ${probe.exitCode ?? probe.signalCode}`;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

const MFD_CLOEXEC = 0x1;
const MFD_EXEC = 0x10;
// glibc and musl name their libc differently; the release has both kinds of binary.
const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];

function openMemfdCreate(): ((name: Buffer, flags: number) => number) | undefined {
  for (const name of LIBC_NAMES) {
    try {
      const libc = dlopen(name, { memfd_create: { args: [FFIType.ptr, FFIType.u32], returns: FFIType.i32 } });
      return (file, flags) => libc.symbols.memfd_create(file, flags);
    } catch {
      // try the next name
    }
  }
  return undefined;
}

/** execve does not search PATH: resolve a bare name like `ffmpeg` here. */
function resolveProgram(name: string): string {
  if (name.includes("/")) return name;
  return Bun.which(name) ?? name;
}
