// One pruner run over 10,000 stored objects of one camera: time and peak memory of the compiled
// binary's `prune --dry-run` (listing and deciding) and `prune` (also deleting), on s3rver and on
// the filesystem backend. Usage: bun scripts/build.ts && bun bench/prune-scale.ts [COUNT]
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARY, runCommand } from "../test/fixtures/binary.ts";
import { killAll } from "../test/fixtures/processes.ts";
import { startS3 } from "../test/fixtures/s3.ts";
import { seedFiles, seedS3, segmentsOf } from "../test/retention/seed.ts";

const COUNT = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), "prune-scale-"));
// 15-minute segments back to back: 10,000 of them span 104 days; `days = 30` deletes the oldest ~7,100.
const segments = segmentsOf("cam", "", Date.now() - 15 * 60_000, COUNT, 15 * 60_000, 1024);

/** Runs the binary under GNU time: wall seconds and peak RSS. */
async function measure(config: string, args: string[]) {
  const out = await runCommand(["/usr/bin/time", "-f", "%e %M", BINARY, "prune", "--config", config, ...args], { PATH: process.env.PATH, HOME: process.env.HOME });
  const [secs, kb] = out.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  if (out.exitCode !== 0) console.error(out.stderr);
  return { secs: secs!, peakRssMiB: Math.round(kb! / 1024), line: out.stdout.trim(), exitCode: out.exitCode };
}

const rows: string[] = [];
async function bench(backend: string, config: string) {
  const baseline = await runCommand(["/usr/bin/time", "-f", "%e %M", BINARY, "--version"], { PATH: process.env.PATH });
  const dry = await measure(config, ["--dry-run"]);
  const real = await measure(config, []);
  const again = await measure(config, []);
  for (const [what, r] of [["prune --dry-run", dry], ["prune", real], ["prune (nothing left to delete)", again]] as const) {
    rows.push(`| ${backend} | ${what} | ${r.secs.toFixed(2)} s | ${r.peakRssMiB} MiB | ${r.line} |`);
    if (r.exitCode !== 0) throw new Error(`${backend} ${what}: exit ${r.exitCode}`);
  }
  rows.push(`| ${backend} | (--version, for comparison) | | ${Math.round(Number(baseline.stderr.trim().split(" ")[1]) / 1024)} MiB | |`);
}

try {
  const s3 = await startS3({ directory: join(dir, "s3rver") });
  let started = Date.now();
  await seedS3(s3, "camera-recordings", segments, "cam");
  console.error(`seeded ${COUNT} objects into s3rver in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const s3Config = join(dir, "s3.toml");
  writeFileSync(s3Config, `[storage]\nendpoint = "${s3.endpoint}"\naccess_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\n[retention]\ndays = 30\n[[cameras]]\nid = "cam"\nrtsp_url = "rtsp://h/s"\n`);
  await bench("s3 (s3rver)", s3Config);

  started = Date.now();
  seedFiles(join(dir, "store"), segments);
  console.error(`seeded ${COUNT} files in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const fsConfig = join(dir, "fs.toml");
  writeFileSync(fsConfig, `[storage]\ntype = "filesystem"\npath = "${join(dir, "store")}"\n[retention]\ndays = 30\n[[cameras]]\nid = "cam"\nrtsp_url = "rtsp://h/s"\n`);
  await bench("filesystem", fsConfig);
} finally {
  await killAll();
}
console.log(`${COUNT} objects of one camera, days = 30\n\n| backend | command | wall | peak RSS | output |\n|---|---|---|---|---|\n${rows.join("\n")}`);
