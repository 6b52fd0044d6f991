// bun run build: one self-contained executable for this machine at dist/camera-recorder.
import { commit, compile } from "./compile.ts";

const sha = await commit();
await compile({ outfile: "dist/camera-recorder", commit: sha });
console.log(`built dist/camera-recorder (commit ${sha})`);
