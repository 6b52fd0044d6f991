// bun run build: one self-contained executable at dist/camera-recorder.
import { $ } from "bun";
import { COMPILE_FLAGS } from "./compile-flags.ts";

/** The commit baked into --version: GIT_COMMIT (image builds have no .git), else git, else unknown. */
async function commit(): Promise<string> {
  if (process.env.GIT_COMMIT && process.env.GIT_COMMIT !== "unknown") return process.env.GIT_COMMIT;
  try {
    return (await $`git rev-parse --short HEAD`.nothrow().quiet()).stdout.toString().trim() || "unknown";
  } catch {
    return "unknown"; // no git on this machine
  }
}

const sha = await commit();
// No --no-orphans: it also kills the service when the shell that started it exits. ffmpeg is tied
// to the service's life per child instead (src/recorder/tied-spawn.ts).
await $`bun build --compile ${COMPILE_FLAGS} \
  --define=BUILD_COMMIT=${JSON.stringify(sha)} --outfile=dist/camera-recorder src/main.ts`.quiet();
console.log(`built dist/camera-recorder (commit ${sha})`);
