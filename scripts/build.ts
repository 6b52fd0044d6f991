// bun run build: one self-contained executable at dist/camera-recorder.
import { $ } from "bun";

const commit = (await $`git rev-parse --short HEAD`.nothrow().quiet()).stdout.toString().trim() || "unknown";
// --no-orphans: when this process dies, even by SIGKILL, Bun ends every process it started.
await $`bun build --compile --compile-exec-argv=--no-orphans --define=BUILD_COMMIT=${JSON.stringify(commit)} --outfile=dist/camera-recorder src/main.ts`.quiet();
console.log(`built dist/camera-recorder (commit ${commit})`);
