// bun run release: the same program for every box our users own, in dist/release/, with SHA256SUMS.
// Foreign targets' runtimes come from the npm registry (@oven/bun-<target>@RELEASE_BUN), fetched by Bun.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { RELEASE_BUN, commit, compile } from "./compile.ts";

/** Release name suffix -> Bun compile target. */
export const TARGETS = {
  "linux-x64": "bun-linux-x64",
  // Nehalem level, for NAS Atoms and Celerons without AVX2, where Bun's x64 runtime has stopped with
  // SIGILL. (In Bun 1.4.5 the npm packages of the two hold the same executable; a later Bun may not.)
  "linux-x64-baseline": "bun-linux-x64-baseline",
  "linux-arm64": "bun-linux-arm64",
  "linux-x64-musl": "bun-linux-x64-musl",
  "linux-arm64-musl": "bun-linux-arm64-musl",
} as const;

/**
 * Docker's TARGETARCH -> the release binary the container image carries (distroless/cc is glibc). amd64
 * takes the baseline build: the image runs on every x86-64 box, NAS Atoms included.
 */
export const IMAGE_TARGETS: Record<string, keyof typeof TARGETS> = { amd64: "linux-x64-baseline", arm64: "linux-arm64" };

export const RELEASE_DIR = join(import.meta.dir, "../dist/release");
export const releaseName = (suffix: keyof typeof TARGETS) => `camera-recorder-${pkg.version}-${suffix}`;

/** sha256sum's format: "<hex>  <name>", names relative, so `sha256sum -c SHA256SUMS` works in the directory. */
export function sha256sums(dir: string, names: string[]): string {
  return names.map((name) => `${createHash("sha256").update(readFileSync(join(dir, name))).digest("hex")}  ${name}\n`).join("");
}

/** `--image ARCH [OUTFILE]` (the Dockerfile): only the image's binary, at dist/camera-recorder. */
async function imageBinary(arch: string | undefined, outfile: string, sha: string): Promise<void> {
  const suffix = arch === undefined ? undefined : IMAGE_TARGETS[arch];
  if (suffix === undefined) {
    console.error(`release: no camera-recorder image for architecture '${arch ?? ""}' (built for: ${Object.keys(IMAGE_TARGETS).join(", ")})`);
    process.exit(2);
  }
  await compile({ outfile, commit: sha, target: TARGETS[suffix] });
  console.log(`built ${outfile} for linux/${arch} (${TARGETS[suffix]}, commit ${sha})`);
}

if (import.meta.main) {
  if (Bun.version !== RELEASE_BUN) {
    console.error(`release: this is Bun ${Bun.version}; releases are built with Bun ${RELEASE_BUN} (package.json engines.bun), whose runtime every binary embeds`);
    process.exit(1);
  }
  const sha = await commit();
  if (process.argv[2] === "--image") {
    await imageBinary(process.argv[3], resolve(process.argv[4] ?? "dist/camera-recorder"), sha);
    process.exit(0);
  }
  rmSync(RELEASE_DIR, { recursive: true, force: true });
  mkdirSync(RELEASE_DIR, { recursive: true });
  const names: string[] = [];
  for (const [suffix, target] of Object.entries(TARGETS) as [keyof typeof TARGETS, string][]) {
    const name = releaseName(suffix);
    await compile({ outfile: join(RELEASE_DIR, name), commit: sha, target });
    names.push(name);
    console.log(`built dist/release/${name} (${target})`);
  }
  writeFileSync(join(RELEASE_DIR, "SHA256SUMS"), sha256sums(RELEASE_DIR, names));
  console.log(`wrote dist/release/SHA256SUMS for ${readdirSync(RELEASE_DIR).length - 1} binaries (commit ${sha}, Bun ${Bun.version})`);
}
