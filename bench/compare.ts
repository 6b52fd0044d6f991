// One row of the recording benchmark for several builds of the service and bare ffmpeg, side by
// side on the same farm: what a change did. Prints a JSON line per recorder.
//   COMPARE_BINARIES="before=/tmp/camera-recorder-old,after=dist/camera-recorder" \
//   COMPARE_CAMERAS=64 COMPARE_SECS=60 bun bench/compare.ts
// A binary can be a wrapper script that execs the real one (e.g. with BUN_OPTIONS=--smol).
import { benchClip } from "./clip.ts";
import { startFarm } from "./farm.ts";
import { recordBare, recordThroughService, type Run } from "./recording.ts";
import { runBenchmark } from "./scratch.ts";

const CAMERAS = Number(process.env.COMPARE_CAMERAS ?? 64);
const SECS = Number(process.env.COMPARE_SECS ?? 60);
const SEGMENT_SECS = 5;
const BINARIES = (process.env.COMPARE_BINARIES ?? "service=dist/camera-recorder").split(",").map((pair) => pair.split("=") as [string, string]);

const mb = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));

function summary(name: string, run: Run): string {
  return JSON.stringify({
    recorder: name,
    mediaPerCamera: Number(run.mediaPerCamera.toFixed(2)),
    sentPerCamera: Number(run.sentPerCamera.toFixed(2)),
    segments: run.segments,
    firstPlay: [run.firstFrameMedian, run.firstFrameMax],
    largestGap: run.largestGap,
    cpuSecs: { service: run.service.cpuSecs, ffmpegs: Number(run.ffmpegs.cpuSecs.toFixed(2)) },
    pssMb: { service: mb(run.service.pssBytes), ffmpegs: mb(run.ffmpegs.pssBytes) },
  });
}

await runBenchmark(async () => {
  const farm = await startFarm(await benchClip((BINARIES.length + 1) * SECS + 60), CAMERAS);
  for (const [name, binary] of BINARIES) console.log(summary(name, await recordThroughService(farm, SECS, SEGMENT_SECS, "", binary)));
  console.log(summary("bare ffmpeg", await recordBare(farm, SECS, SEGMENT_SECS)));
  await farm.stop();
});
