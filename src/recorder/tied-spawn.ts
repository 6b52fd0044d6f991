import { dlopen, FFIType, ptr } from "bun:ffi";

/**
 * Child processes tied to the service's life, and only them.
 *
 * The binary used to run with Bun's `--no-orphans`, which also armed PR_SET_PDEATHSIG (SIGKILL) on
 * the service itself: started from a shell or script that then exited, the service was killed
 * with it. Bun.spawn has no option to arm the parent-death signal on a child alone, so each child
 * is started through the binary itself (`camera-recorder __tied PARENT_PID COMMAND...`): that tiny
 * step arms PR_SET_PDEATHSIG=SIGKILL, checks that the parent is still the service (the race
 * prctl(2) warns of), restores the default SIGPIPE, and execve()s the command, which keeps the
 * signal. So when the service dies, even by SIGKILL, the kernel kills its ffmpeg at once, and
 * nothing kills the service when its own parent goes. SIGKILL, not SIGTERM: ffmpeg 5.1 can
 * deadlock in its exit path on a SIGTERM (see README), and a killed ffmpeg loses only its last,
 * unflushed fragment.
 */
export const TIED_COMMAND = "__tied";

/** The command line that runs `command` tied to this process; plain `command` where that is impossible. */
export function tiedCommand(command: string[]): string[] {
  if (process.platform !== "linux") return command;
  // The compiled binary runs itself; from source (`bun src/main.ts`), bun runs main.ts.
  const compiled = import.meta.path.startsWith("/$bunfs/") || import.meta.path.startsWith("B:/~BUN/");
  const self = compiled ? [process.execPath] : [process.execPath, new URL("../main.ts", import.meta.url).pathname];
  return [...self, TIED_COMMAND, String(process.pid), ...command];
}

const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];
const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;
const SIGPIPE = 13;
/** Exit codes of the `__tied` step when it cannot exec (ffmpeg itself never exits with these). */
export const TIED_PARENT_GONE = 70;
export const TIED_EXEC_FAILED = 127;

/** `__tied PARENT_PID COMMAND...`: arms the parent-death signal and becomes COMMAND. Returns only on failure. */
export function execTied(args: string[]): number {
  const [parent, ...command] = args;
  if (!command[0]) return TIED_EXEC_FAILED;
  const libc = openLibc();
  if (!libc) {
    process.stderr.write("camera-recorder: cannot load libc to tie the child to the service\n");
    return TIED_EXEC_FAILED;
  }
  libc.symbols.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // The service died before the signal was armed: nothing would ever kill this child.
  if (libc.symbols.getppid() !== Number(parent)) return TIED_PARENT_GONE;
  libc.symbols.signal(SIGPIPE, 0); // SIG_DFL: Bun ignores SIGPIPE, and execve keeps ignored signals
  const keep: Buffer[] = [];
  const cString = (s: string) => {
    const b = Buffer.from(`${s}\0`);
    keep.push(b);
    return b;
  };
  const array = (items: string[]) => {
    const a = new BigUint64Array(items.length + 1);
    items.forEach((s, i) => (a[i] = BigInt(ptr(cString(s)))));
    return a;
  };
  const env = Object.entries(process.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  const file = resolveCommand(command[0]);
  libc.symbols.execve(ptr(cString(file)), ptr(array(command)), ptr(array(env)));
  process.stderr.write(`camera-recorder: cannot start ${command[0]}\n`);
  return TIED_EXEC_FAILED;
}

function openLibc() {
  for (const name of LIBC_NAMES) {
    try {
      return dlopen(name, {
        prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
        getppid: { args: [], returns: FFIType.i32 },
        signal: { args: [FFIType.i32, FFIType.u64], returns: FFIType.u64 },
        execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
      });
    } catch {
      // try the next name: glibc and musl call their libc differently
    }
  }
  return undefined;
}

/** execve does not search PATH: resolve a bare name like `ffmpeg` here. */
function resolveCommand(name: string): string {
  if (name.includes("/")) return name;
  return Bun.which(name) ?? name;
}
