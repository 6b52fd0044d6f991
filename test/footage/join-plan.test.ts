import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { defaultName } from "../../src/cli/export.ts";
import type { FootageSegment } from "../../src/footage/find-segments.ts";
import { concatScript, joinArgs, planJoin } from "../../src/footage/join-plan.ts";
import { gapsOf, spanJson, spansOf } from "../../src/footage/spans.ts";
import { decodeErrors } from "../fixtures/media.ts";
import { scratch } from "../fixtures/service.ts";

const T = Date.UTC(2026, 10, 24, 14, 0);
const seg = (startSecs: number, durationSecs: number, bytes = 100): FootageSegment => ({
  startMs: T + startSecs * 1000,
  durationMs: durationSecs * 1000,
  bytes,
  exact: true,
  locations: [{ kind: "object", key: `k${startSecs}` }],
});

describe("spans", () => {
  test("segments joining within 1 s are one span; a longer hole is a gap; clipped to the range", () => {
    const segments = [seg(0, 5), seg(5, 5), seg(10.8, 4.2), seg(25, 5), seg(30, 5)];
    const spans = spansOf(segments, { fromMs: T + 2000, toMs: T + 32_000 });
    expect(spans).toEqual([
      { startMs: T + 2000, endMs: T + 15_000, segments: 3, bytes: 300 },
      { startMs: T + 25_000, endMs: T + 32_000, segments: 2, bytes: 200 },
    ]);
    expect(gapsOf(spans)).toEqual([{ startMs: T + 15_000, endMs: T + 25_000 }]);
    expect(spanJson(spans[0]!)).toEqual({ start: "2026-11-24T14:00:02Z", end: "2026-11-24T14:00:15Z", duration_secs: 13, segments: 3, bytes: 300 });
  });

  test("no segments, no spans", () => {
    expect(spansOf([], { fromMs: T, toMs: T + 1000 })).toEqual([]);
  });
});

describe("join plan", () => {
  test("inpoint in the first segment, outpoints at each joined video end and at --to, none before a gap; gaps named", () => {
    const plan = planJoin([seg(0, 5.128), seg(5.128, 5), seg(20, 5)], { fromMs: T + 2500, toMs: T + 22_000 });
    expect(plan.entries).toEqual([
      { index: 0, inpointSecs: 2.5, outpointSecs: 5.128 },
      { index: 1 },
      { index: 2, outpointSecs: 2 },
    ]);
    expect(plan.gaps).toEqual([{ startMs: T + 10_128, lengthMs: 9872 }]);
    expect(plan.startMs).toBe(T + 2500);
    expect(plan.lengthMs).toBe(2628 + 5000 + 2000);
    expect(concatScript(plan, (i) => `http://127.0.0.1:1/t/${i}.mp4`)).toBe(
      "ffconcat version 1.0\nfile 'http://127.0.0.1:1/t/0.mp4'\ninpoint 2.500\noutpoint 5.128\nfile 'http://127.0.0.1:1/t/1.mp4'\nfile 'http://127.0.0.1:1/t/2.mp4'\noutpoint 2.000\n",
    );
  });

  test("a range starting before the first segment starts at that segment, without inpoint", () => {
    const plan = planJoin([seg(10, 5)], { fromMs: T, toMs: T + 60_000 });
    expect(plan.entries).toEqual([{ index: 0, outpointSecs: 5 }]);
    expect(plan.startMs).toBe(T + 10_000);
    expect(plan.lengthMs).toBe(5000);
  });

  test("ffmpeg: streams copied; a file gets faststart, a stream fragments", () => {
    const file = joinArgs({ kind: "file", path: "/x/out.mp4" });
    expect(file.join(" ")).toContain("-f concat -safe 0 -i pipe:0 -map 0:v:0 -map 0:a:0? -c copy");
    expect(file.slice(-5)).toEqual(["+faststart", "-f", "mp4", "-y", "/x/out.mp4"]);
    expect(joinArgs({ kind: "stream" }).slice(-4)).toEqual(["frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", "pipe:1"]);
  });

  test("default output name: camera, local start, length", () => {
    expect(defaultName("cam-2", Date.UTC(2026, 10, 24, 13, 10), 900_000, "Europe/Berlin")).toBe("cam-2_20261124-141000_15min.mp4");
    expect(defaultName("cam-2", Date.UTC(2026, 10, 24, 13, 10, 5), 17_000, "UTC")).toBe("cam-2_20261124-131005_17s.mp4");
  });
});

describe("join plan, through ffmpeg", () => {
  // A segment ffmpeg closed on stopping can end on its last frame (2.933 s at 15 fps); its duration,
  // kept in milliseconds, rounds up past it (2.934). With an outpoint there, the concat demuxer kept
  // that frame and started the next file 0.7 ms later: two frames on one timestamp, which a player
  // reports as "non monotonically increasing dts" (seen across the gap between two runs).
  test("across a gap, a segment that ends on its last frame joins without two frames on one timestamp", async () => {
    const dir = scratch("cr-join-");
    const files = ["a", "b"].map((name) => join(dir, `${name}.mp4`));
    for (const file of files) {
      const make = Bun.spawn(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=15", "-t", "3", "-c:v", "libx264", "-g", "15", "-bf", "0", file], { stdout: "ignore", stderr: "inherit" });
      expect(await make.exited).toBe(0);
    }
    const segments = [seg(0, 2.934), seg(20, 3)];
    const plan = planJoin(segments, { fromMs: T + 1000, toMs: T + 23_000 });
    const out = join(dir, "out.mp4");
    const ffmpeg = Bun.spawn(["ffmpeg", ...joinArgs({ kind: "file", path: out })], { stdin: "pipe", stdout: "ignore", stderr: "pipe" });
    ffmpeg.stdin.write(concatScript(plan, (i) => `file:${files[i]!}`));
    void ffmpeg.stdin.end();
    expect(await new Response(ffmpeg.stderr).text()).toBe("");
    expect(await ffmpeg.exited).toBe(0);
    expect(await decodeErrors(out)).toBe("");
  });
});
