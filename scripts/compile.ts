// One place for how camera-recorder is compiled: `bun run build` (this machine) and
// `bun run release` (every target) pass the same flags, so every binary is the same program.
import { $ } from "bun";
import pkg from "../package.json" with { type: "json" };
import { COMPILE_FLAGS } from "./compile-flags.ts";

/**
 * The Bun that builds releases. Its runtime is embedded in every binary, so this version decides which
 * CPUs the binaries run on (Bun has shipped arm64 builds that crashed on Cortex-A53/A72 without LSE
 * atomics); a release from any other Bun is refused. test/release/ keeps setup.sh, @types/bun and the
 * Dockerfile on the same version.
 */
export const RELEASE_BUN: string = pkg.engines.bun;

/** The commit baked into --version: GIT_COMMIT (image builds have no .git), else git, else unknown. */
export async function commit(): Promise<string> {
  if (process.env.GIT_COMMIT && process.env.GIT_COMMIT !== "unknown") return process.env.GIT_COMMIT;
  try {
    return (await $`git rev-parse --short HEAD`.nothrow().quiet()).stdout.toString().trim() || "unknown";
  } catch {
    return "unknown"; // no git on this machine
  }
}

/**
 * The `bun build` command line for one executable. `target` is a Bun compile target
 * (bun-linux-x64-baseline, bun-linux-arm64-musl, ...); without it, this machine's. Bun fetches a
 * foreign target's runtime from the npm registry (@oven/bun-<target>) into ~/.bun/install/cache.
 */
export function compileArgs(options: { outfile: string; commit: string; target?: string }): string[] {
  return [
    "bun", "build", "--compile",
    ...(options.target ? [`--target=${options.target}`] : []),
    ...COMPILE_FLAGS,
    // No --no-orphans: it also kills the service when the shell that started it exits. ffmpeg is tied
    // to the service's life per child instead (src/recorder/tied-spawn.ts).
    `--define=BUILD_COMMIT=${JSON.stringify(options.commit)}`,
    `--outfile=${options.outfile}`,
    "src/main.ts",
  ];
}

/** Runs `bun build`; its output only when it fails. */
export async function compile(options: { outfile: string; commit: string; target?: string }): Promise<void> {
  const proc = Bun.spawn(compileArgs(options), { cwd: `${import.meta.dir}/..`, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`bun build ${options.target ?? ""} failed (exit ${code}):\n${stdout}${stderr}`);
}
