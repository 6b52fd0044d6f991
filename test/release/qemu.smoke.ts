// `bun run release:test`: the release binaries on the CPUs our users own, emulated with qemu-user.
// Slow (a minute or more per binary), so not part of `bun test`; run after `bun run release`.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { RELEASE_DIR, releaseName } from "../../scripts/release.ts";
import { runCommand } from "../fixtures/binary.ts";
import { killAll, track } from "../fixtures/processes.ts";
import { waitFor } from "../fixtures/wait.ts";

const ROOT = join(import.meta.dir, "../..");
const SYSROOT = join(ROOT, "dist/arm64-sysroot");
const CONFIGS = ["systemd/config.toml", "image/config.toml", "kubernetes/config.toml"];
const DEMO_MS = 15_000;

/** Every ${NAME} (without a default) a shipped config needs, set to something of the right shape. */
function envFor(file: string): Record<string, string> {
  const toml = readFileSync(join(ROOT, "deploy", file), "utf8");
  const names = [...toml.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!);
  return Object.fromEntries(names.map((name) => [name, name.includes("URL") ? "rtsp://u:p@127.0.0.1:554/s" : name.includes("ENDPOINT") ? "http://127.0.0.1:9000" : "x-value"]));
}

/** "name: 9.0 s, ..." for the report, by ffprobe. */
async function durations(dir: string, names: string[]): Promise<string> {
  const each = await Promise.all(names.map(async (name) => `${name.split("/").at(-1)} ${(await runCommand(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", join(dir, name)])).stdout.trim()} s`));
  return each.join(", ");
}

const commit = async () => (await runCommand(["git", "rev-parse", "--short", "HEAD"])).stdout.trim();
const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME };

afterEach(killAll);

// Under qemu-user, the binary runs emulated for the named CPU; the ffmpeg it starts is this machine's
// (x86-64) ffmpeg, run by the kernel directly, since qemu-user does not follow execve without binfmt_misc.
const MACHINES = [
  { suffix: "linux-arm64", emulator: ["qemu-aarch64-static", "-cpu", "cortex-a53", "-L", SYSROOT], cpu: "Cortex-A53 (Raspberry Pi 3, ARMv8.0: no LSE atomics)" },
  { suffix: "linux-x64-baseline", emulator: ["qemu-x86_64-static", "-cpu", "Nehalem"], cpu: "Nehalem (no AVX, no AVX2: NAS Atoms and Celerons)" },
] as const;

beforeAll(async () => {
  const sysroot = await runCommand(["sh", join(import.meta.dir, "arm64-sysroot.sh"), SYSROOT]);
  if (sysroot.exitCode !== 0) throw new Error(`arm64 sysroot: ${sysroot.stdout}${sysroot.stderr}`);
}, 900_000);

for (const { suffix, emulator, cpu } of MACHINES) {
  describe(`${releaseName(suffix)} on ${cpu}`, () => {
    const binary = join(RELEASE_DIR, releaseName(suffix));

    test("--version", async () => {
      const started = performance.now();
      const out = await runCommand([...emulator, binary, "--version"], baseEnv);
      console.log(`${suffix} --version under ${emulator.slice(0, 3).join(" ")}: ${out.stdout.trim()} in ${Math.round(performance.now() - started)} ms`);
      expect(out.stderr).toBe("");
      expect(out.stdout).toBe(`camera-recorder ${pkg.version} (commit ${await commit()})\n`);
      expect(out.exitCode).toBe(0);
    }, 120_000);

    for (const file of CONFIGS) {
      test(`check-config passes on deploy/${file}`, async () => {
        const out = await runCommand([...emulator, binary, "check-config", "--config", join(ROOT, "deploy", file)], { ...baseEnv, ...envFor(file) });
        expect(out.stderr).toBe("");
        expect(out.stdout).toContain("[[cameras]]");
        expect(out.exitCode).toBe(0);
      }, 120_000);
    }

    test(`demo records for ${DEMO_MS / 1000} s and stops on SIGINT with a playable last segment`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `demo-${suffix}-`));
      try {
        const demo = track(Bun.spawn([...emulator, binary, "demo", "--dir", dir, "--log-format", "json"], { env: baseEnv, stdout: "pipe", stderr: "pipe" }));
        const started = Date.now();
        const segments = () => (existsSync(join(dir, "demo")) ? readdirSync(join(dir, "demo"), { recursive: true }).map(String).filter((f) => f.endsWith(".mp4")).sort() : []);
        // At least one segment uploaded and the whole demo time spent recording.
        await waitFor(`a demo segment and ${DEMO_MS} ms`, () => segments().length > 0 && Date.now() - started >= DEMO_MS, 120_000);
        const before = segments();
        demo.kill("SIGINT");
        const [code, stdout] = await Promise.all([demo.exited, new Response(demo.stdout).text()]);
        expect(stdout).toContain('"msg":"shutdown complete');
        expect(code).toBe(0);
        const after = segments();
        expect(after.length).toBeGreaterThan(before.length); // the segment SIGINT finalized
        const last = join(dir, "demo", after.at(-1)!);
        const probe = await runCommand(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name:format=duration", "-of", "json", last]);
        expect(probe.exitCode).toBe(0);
        const info = JSON.parse(probe.stdout);
        console.log(`${suffix} demo: segments ${await durations(join(dir, "demo"), after)}; last ${after.at(-1)}: ${info.streams.map((s: { codec_name: string }) => s.codec_name).join("+")}`);
        expect(info.streams.map((s: { codec_name: string }) => s.codec_name)).toContain("h264");
        expect(Number(info.format.duration)).toBeGreaterThan(0.5);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 180_000);
  });
}

describe("the checks can fail", () => {
  test.skipIf(!Bun.which("cc"))("qemu's Nehalem refuses an AVX2 instruction (so a binary that used AVX2 would fail above)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "avx2-"));
    try {
      await Bun.write(join(dir, "avx2.c"), 'int main(void) { __asm__ volatile("vpaddd %ymm0, %ymm1, %ymm2"); return 0; }\n');
      expect((await runCommand(["cc", "-o", join(dir, "avx2"), join(dir, "avx2.c")])).exitCode).toBe(0);
      expect((await runCommand([join(dir, "avx2")])).exitCode).toBe(0);
      const refused = await runCommand(["qemu-x86_64-static", "-cpu", "Nehalem", join(dir, "avx2")]);
      expect(refused.stderr).toContain("Illegal instruction");
      expect(refused.exitCode).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("musl binaries", () => {
  // Debian has musl's loader and libc but no libstdc++ built for musl, which Bun's musl runtime links
  // (Alpine: `apk add libstdc++`). So here the loader accepts the file and stops at that library.
  test.skipIf(!existsSync("/lib/ld-musl-x86_64.so.1"))("linux-x64-musl is a musl program: musl's loader asks for Alpine's libstdc++ and nothing else", async () => {
    const out = await runCommand([join(RELEASE_DIR, releaseName("linux-x64-musl")), "--version"], baseEnv);
    expect(out.stderr.split("\n")[0]).toBe(`Error loading shared library libstdc++.so.6: No such file or directory (needed by ${join(RELEASE_DIR, releaseName("linux-x64-musl"))})`);
    expect(out.stderr).not.toContain("libc.musl");
    expect(out.exitCode).toBe(127);
  });
});

describe("container image, linux/arm64", () => {
  const isRoot = process.getuid?.() === 0;
  const rootfs = mkdtempSync(join(tmpdir(), "rootfs-arm64-"));
  const mounts: string[] = [];
  afterAll(async () => {
    for (const mount of mounts.reverse()) await runCommand(["umount", "-l", mount]);
    for (const dir of ["usr", "lib", "etc", "var", "tmp", "qemu-aarch64-static", "qemu-ffmpeg"]) rmSync(join(rootfs, dir), { recursive: true, force: true });
  });

  test.skipIf(!isRoot)("the assemble step on arm64 Debian yields a filesystem the arm64 binary and ffmpeg run in alone", async () => {
    const loader = join(SYSROOT, "lib/ld-linux-aarch64.so.1");
    const assembled = await runCommand(["sh", join(ROOT, "deploy/image/assemble-rootfs.sh"), rootfs, join(RELEASE_DIR, releaseName("linux-arm64"))], {
      ...process.env,
      FFMPEG: join(SYSROOT, "usr/bin/ffmpeg"),
      SYSROOT,
      LDD: `qemu-aarch64-static -L ${SYSROOT} ${loader} --list`,
    });
    expect(assembled.stderr).toBe("");
    expect(assembled.stdout).toContain("(/usr/lib/aarch64-linux-gnu)");
    expect(assembled.exitCode).toBe(0);
    expect(existsSync(join(rootfs, "lib/ld-linux-aarch64.so.1"))).toBe(true);
    expect(existsSync(join(rootfs, "usr/lib/aarch64-linux-gnu/libavcodec.so.59"))).toBe(true);
    expect(existsSync(join(rootfs, "lib64"))).toBe(false); // nothing of this machine's x86-64 libraries
    // The emulator goes in as a static program; the container runtime provides /proc and /dev.
    copyFileSync("/usr/bin/qemu-aarch64-static", join(rootfs, "qemu-aarch64-static"));
    for (const [what, args] of [["proc", ["-t", "proc", "proc"]], ["dev", ["--bind", "/dev"]]] as const) {
      mkdirSync(join(rootfs, what), { recursive: true });
      expect((await runCommand(["mount", ...args, join(rootfs, what)])).exitCode).toBe(0);
      mounts.push(join(rootfs, what));
    }
    const inside = (args: string[], env: Record<string, string> = {}) => runCommand(["/usr/sbin/chroot", rootfs, "/qemu-aarch64-static", "-cpu", "cortex-a53", ...args], { PATH: "/usr/bin", ...env });
    const version = await inside(["/usr/local/bin/camera-recorder", "--version"]);
    expect(version.stdout).toBe(`camera-recorder ${pkg.version} (commit ${await commit()})\n`);
    const ffmpeg = await inside(["/usr/bin/ffmpeg", "-hide_banner", "-version"]);
    expect(ffmpeg.stdout).toStartWith("ffmpeg version 5.1");
    expect(ffmpeg.exitCode).toBe(0);
    const check = await inside(["/usr/local/bin/camera-recorder", "check-config"], { ...envFor("image/config.toml"), CAMERA_RECORDER_CONFIG: "/etc/camera-recorder/config.toml" });
    expect(check.stderr).toBe("");
    expect(check.stdout).toContain('temp_dir = "/var/lib/camera-recorder/spool"');
    expect(check.exitCode).toBe(0);

    // The demo with the root's own arm64 ffmpeg (through a static wrapper that runs it under qemu).
    if (!Bun.which("cc")) return console.log("no C compiler: the arm64 chroot demo was not run");
    const wrapper = join(rootfs, "qemu-ffmpeg");
    expect((await runCommand(["cc", "-static", "-O2", "-o", wrapper, join(import.meta.dir, "qemu-ffmpeg.c")])).exitCode).toBe(0);
    const demo = track(Bun.spawn(["/usr/sbin/chroot", rootfs, "/qemu-aarch64-static", "-cpu", "cortex-a53", "/usr/local/bin/camera-recorder", "demo", "--dir", "/tmp/rec", "--log-format", "json"], { env: { PATH: "/usr/bin", FFMPEG_PATH: "/qemu-ffmpeg" }, stdout: "pipe", stderr: "pipe" }));
    const dir = join(rootfs, "tmp/rec/demo");
    const segments = () => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith(".mp4")).sort() : []);
    const started = Date.now();
    await waitFor(`an arm64 demo segment and ${DEMO_MS} ms`, () => segments().length > 0 && Date.now() - started >= DEMO_MS, 120_000);
    demo.kill("SIGINT");
    const [code, stdout] = await Promise.all([demo.exited, new Response(demo.stdout).text()]);
    expect(stdout).toContain('"msg":"ffmpeg started"');
    expect(stdout).not.toContain("ffmpeg exited unexpectedly");
    expect(code).toBe(0);
    const last = join(dir, segments().at(-1)!);
    const probe = await runCommand(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", last]);
    console.log(`linux/arm64 image root demo (arm64 ffmpeg): segments ${await durations(dir, segments())}`);
    expect(Number(probe.stdout)).toBeGreaterThan(0.5);
  }, 300_000);
});
