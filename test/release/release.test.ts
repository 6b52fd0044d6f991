import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { commit, RELEASE_BUN } from "../../scripts/compile.ts";
import { IMAGE_TARGETS, RELEASE_DIR, TARGETS, releaseName } from "../../scripts/release.ts";
import { runCommand } from "../fixtures/binary.ts";
import { elfOf } from "./elf.ts";

const ROOT = join(import.meta.dir, "../..");
const EXPECTED = {
  "linux-x64": { machine: "x86-64", interpreter: "/lib64/ld-linux-x86-64.so.2" },
  "linux-x64-baseline": { machine: "x86-64", interpreter: "/lib64/ld-linux-x86-64.so.2" },
  "linux-arm64": { machine: "aarch64", interpreter: "/lib/ld-linux-aarch64.so.1" },
  "linux-x64-musl": { machine: "x86-64", interpreter: "/lib/ld-musl-x86_64.so.1" },
  "linux-arm64-musl": { machine: "aarch64", interpreter: "/lib/ld-musl-aarch64.so.1" },
} as const;

describe("bun run release", () => {
  const scratch = mkdtempSync(join(tmpdir(), "release-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test("writes the five binaries and SHA256SUMS; sha256sum -c passes, and fails for a binary changed by one byte", async () => {
    const release = await runCommand(["bun", "run", "release"]);
    expect(release.stderr).not.toContain("error");
    expect(release.exitCode).toBe(0);
    const names = Object.keys(TARGETS).map((suffix) => releaseName(suffix as keyof typeof TARGETS));
    expect(names).toEqual(["linux-x64", "linux-x64-baseline", "linux-arm64", "linux-x64-musl", "linux-arm64-musl"].map((s) => `camera-recorder-${pkg.version}-${s}`));
    expect(readdirSync(RELEASE_DIR).sort()).toEqual([...names, "SHA256SUMS"].sort());

    // Each file is built for its box: the CPU and the C library's loader the kernel will ask for.
    for (const [suffix, expected] of Object.entries(EXPECTED)) expect({ suffix, ...elfOf(join(RELEASE_DIR, releaseName(suffix as keyof typeof TARGETS))) }).toEqual({ suffix, ...expected });

    const sums = readFileSync(join(RELEASE_DIR, "SHA256SUMS"), "utf8");
    expect(sums.trimEnd().split("\n").map((line) => line.split("  ")[1])).toEqual(names);
    const check = await runCommand(["sh", "-c", `cd '${RELEASE_DIR}' && sha256sum -c SHA256SUMS`]);
    expect(check.stdout).toBe(names.map((name) => `${name}: OK\n`).join(""));
    expect(check.exitCode).toBe(0);

    // A copy with one byte changed in the middle of the arm64 binary is caught.
    const copy = join(scratch, "release");
    cpSync(RELEASE_DIR, copy, { recursive: true });
    const victim = join(copy, releaseName("linux-arm64"));
    const bytes = readFileSync(victim);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0x01;
    writeFileSync(victim, bytes);
    const tampered = await runCommand(["sh", "-c", `cd '${copy}' && sha256sum -c SHA256SUMS`]);
    expect(tampered.stdout).toContain(`${releaseName("linux-arm64")}: FAILED\n`);
    expect(tampered.stdout).toContain(`${releaseName("linux-x64")}: OK\n`);
    expect(tampered.stderr).toContain("WARNING: 1 computed checksum did NOT match");
    expect(tampered.exitCode).toBe(1);

    // This machine runs the native one: the version and the commit it was built from.
    const sha = await commit(); // GIT_COMMIT, else git: what the build baked in
    const version = await runCommand([join(RELEASE_DIR, releaseName("linux-x64")), "--version"], { PATH: process.env.PATH });
    expect(version.stdout).toBe(`camera-recorder ${pkg.version} (commit ${sha})\n`);
    expect(version.exitCode).toBe(0);
  }, 300_000);

  test("one Bun version builds everything: setup.sh installs engines.bun, @types/bun and the Dockerfile agree, and it is this Bun", () => {
    expect(RELEASE_BUN).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies["@types/bun"]).toBe(RELEASE_BUN);
    expect(readFileSync(join(ROOT, "scripts/setup.sh"), "utf8")).toContain(`BUN_VERSION=$(node -p 'require("./package.json").engines.bun')`);
    expect(readFileSync(join(ROOT, "Dockerfile"), "utf8")).toContain(` oven/bun:${RELEASE_BUN}-debian AS build\n`);
    expect(Bun.version).toBe(RELEASE_BUN);
  });

  test("the image build compiles one binary per Docker TARGETARCH: amd64 the baseline, arm64 the glibc arm64 one; others are refused", async () => {
    const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
    expect(dockerfile).toContain("FROM --platform=$BUILDPLATFORM oven/bun:");
    expect(dockerfile).toContain('RUN GIT_COMMIT=$GIT_COMMIT bun scripts/release.ts --image "$TARGETARCH"\n');
    expect(IMAGE_TARGETS).toEqual({ amd64: "linux-x64-baseline", arm64: "linux-arm64" });
    const outfile = join(scratch, "image-arm64");
    const arm64 = await runCommand(["bun", "scripts/release.ts", "--image", "arm64", outfile]);
    expect(arm64.exitCode).toBe(0);
    expect(elfOf(outfile)).toEqual({ machine: "aarch64", interpreter: "/lib/ld-linux-aarch64.so.1" });
    const refused = await runCommand(["bun", "scripts/release.ts", "--image", "riscv64", join(scratch, "image-riscv64")]);
    expect(refused.stderr).toBe("release: no camera-recorder image for architecture 'riscv64' (built for: amd64, arm64)\n");
    expect(refused.exitCode).toBe(2);
  }, 120_000);
});
