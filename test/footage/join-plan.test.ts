import { describe, expect, test } from "bun:test";
import { defaultName } from "../../src/cli/export.ts";
import type { FootageSegment } from "../../src/footage/find-segments.ts";
import { concatScript, joinArgs, planJoin } from "../../src/footage/join-plan.ts";
import { gapsOf, spanJson, spansOf } from "../../src/footage/spans.ts";

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
  test("inpoint in the first segment, outpoints at each video end and at --to; gaps named", () => {
    const plan = planJoin([seg(0, 5.128), seg(5.128, 5), seg(20, 5)], { fromMs: T + 2500, toMs: T + 22_000 });
    expect(plan.entries).toEqual([
      { index: 0, inpointSecs: 2.5, outpointSecs: 5.128 },
      { index: 1, outpointSecs: 5 },
      { index: 2, outpointSecs: 2 },
    ]);
    expect(plan.gaps).toEqual([{ startMs: T + 10_128, lengthMs: 9872 }]);
    expect(plan.startMs).toBe(T + 2500);
    expect(plan.lengthMs).toBe(2628 + 5000 + 2000);
    expect(concatScript(plan, (i) => `http://127.0.0.1:1/t/${i}.mp4`)).toBe(
      "ffconcat version 1.0\nfile 'http://127.0.0.1:1/t/0.mp4'\ninpoint 2.500\noutpoint 5.128\nfile 'http://127.0.0.1:1/t/1.mp4'\noutpoint 5.000\nfile 'http://127.0.0.1:1/t/2.mp4'\noutpoint 2.000\n",
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
