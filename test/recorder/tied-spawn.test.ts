import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TIE_BINARIES } from "../../src/recorder/tie/binaries.ts";
import { installTie, TIED_EXEC_FAILED, TIED_PARENT_GONE, tiedCommand, tieStatus } from "../../src/recorder/tied-spawn.ts";
import { runCommand } from "../fixtures/binary.ts";
import { killAll, track } from "../fixtures/processes.ts";
import { waitFor } from "../fixtures/wait.ts";
import { alive } from "../../src/spool/orphans.ts";

const ROOT = join(import.meta.dir, "../..");
const scratch = mkdtempSync(join(tmpdir(), "tie-"));
afterEach(killAll);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `command` to completion with FOO set; stdout and the exit code. */
async function runWithFoo(command: string[]) {
  return runCommand(command, { PATH: process.env.PATH, FOO: "bar baz" });
}

test("the tie is what its sources assemble to (scripts/tie-binaries.ts --check)", async () => {
  const check = await runCommand(["bun", "scripts/tie-binaries.ts", "--check"].map((a) => (a.startsWith("scripts/") ? join(ROOT, a) : a)));
  expect(check.stdout).toBe("tie binaries match their sources\n");
  expect(check.exitCode).toBe(0);
});

describe("on this machine", () => {
  test("children are tied, through the tie in a memory file, with the program resolved on PATH", () => {
    expect(tieStatus()).toEqual({ tied: true });
    const [tie, pid, program, ...rest] = tiedCommand(["sh", "-c", "exit 3"]);
    expect(tie).toBe(`/proc/${process.pid}/fd/${tie!.split("/").at(-1)}`);
    expect(pid).toBe(String(process.pid));
    expect(program).toBe(Bun.which("sh")!);
    expect(rest).toEqual(["-c", "exit 3"]);
  });

  test("arguments, environment and exit code pass through unchanged", async () => {
    const run = await runWithFoo(tiedCommand(["sh", "-c", 'printf "%s|%s|%s" "$0" "$1" "$FOO"; exit 3', "a b", "c"]));
    expect(run.stdout).toBe("a b|c|bar baz");
    expect(run.exitCode).toBe(3);
  });

  test(`exit ${TIED_PARENT_GONE} when its parent is no longer the service, ${TIED_EXEC_FAILED} when the program cannot run`, async () => {
    const [tie] = tiedCommand(["true"]);
    expect((await runWithFoo([tie!, "999999999", "/bin/true"])).exitCode).toBe(TIED_PARENT_GONE);
    expect((await runWithFoo([tie!, String(process.pid), "/nonexistent/ffmpeg"])).exitCode).toBe(TIED_EXEC_FAILED);
    expect((await runWithFoo([tie!])).exitCode).toBe(TIED_EXEC_FAILED);
  });

  test("a tied child dies the moment its parent is SIGKILLed; an untied one lives on", async () => {
    // A stand-in for the service: a Bun process that starts `sleep` tied and `sleep` untied.
    const parentScript = join(scratch, "parent.ts");
    writeFileSync(parentScript, `import { tiedCommand } from ${JSON.stringify(join(ROOT, "src/recorder/tied-spawn.ts"))};
const tied = Bun.spawn(tiedCommand(["sleep", "300"]), { stdio: ["ignore", "ignore", "ignore"] });
const untied = Bun.spawn(["sleep", "301"], { stdio: ["ignore", "ignore", "ignore"] });
console.log(JSON.stringify({ tied: tied.pid, untied: untied.pid }));
await Bun.sleep(300_000);
`);
    const parent = track(Bun.spawn(["bun", parentScript], { stdout: "pipe", stderr: "inherit" }));
    const reader = parent.stdout.getReader();
    const { value } = await reader.read();
    const pids = JSON.parse(new TextDecoder().decode(value)) as { tied: number; untied: number };
    try {
      await waitFor("both children running", () => alive(pids.tied) && alive(pids.untied));
      parent.kill("SIGKILL");
      await waitFor("the tied child gone", () => !alive(pids.tied), 5000, 20);
      expect(alive(pids.untied)).toBe(true);
    } finally {
      for (const pid of [pids.tied, pids.untied]) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
    }
  });
});

test("a tie this kernel cannot run (here: the arm64 one) leaves children untied, with the reason", () => {
  expect(installTie(TIE_BINARIES.arm64)).toEqual({ tied: false, reason: "the tie did not run (ENOEXEC)" });
  expect(installTie(undefined)).toEqual({ tied: false, reason: `no tie for linux/${process.arch}` });
});

describe("the arm64 tie, on an emulated CPU (qemu-aarch64-static)", () => {
  const file = join(scratch, "tie-arm64");
  writeFileSync(file, Buffer.from(TIE_BINARIES.arm64!, "base64"));
  chmodSync(file, 0o755);
  // qemu-user runs the tie as this process's child; the program it execs is this machine's own.
  const emulated = (args: string[]) => ["qemu-aarch64-static", file, ...args];
  const ours = String(process.pid);

  test("execs the program with its arguments and environment", async () => {
    const run = await runWithFoo(emulated([ours, "/bin/sh", "-c", 'printf "%s|%s|%s" "$0" "$1" "$FOO"; exit 3', "a b", "c"]));
    expect(run.stdout).toBe("a b|c|bar baz");
    expect(run.exitCode).toBe(3);
  });

  test(`exit ${TIED_PARENT_GONE} for another parent, ${TIED_EXEC_FAILED} for a program that cannot run or none`, async () => {
    expect((await runWithFoo(emulated(["999999999", "/bin/true"]))).exitCode).toBe(TIED_PARENT_GONE);
    expect((await runWithFoo(emulated([ours, "/nonexistent/ffmpeg"]))).exitCode).toBe(TIED_EXEC_FAILED);
    expect((await runWithFoo(emulated([]))).exitCode).toBe(TIED_EXEC_FAILED);
  });
});
