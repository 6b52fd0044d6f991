import { describe, expect, test } from "bun:test";
import { reconnectDelay } from "../../src/recorder/backoff.ts";
import { classifyFailure } from "../../src/recorder/failure.ts";
import { buildRecordArgs, FRAGMENTED_MP4, progressPeriodSecs } from "../../src/recorder/ffmpeg-args.ts";
import { parseOutputLine } from "../../src/recorder/ffmpeg-output.ts";
import { SegmentTimeline } from "../../src/recorder/segment-timeline.ts";
import { WallClockAnchor } from "../../src/recorder/wall-clock.ts";

describe("reconnect backoff", () => {
  test("1 s doubling to a 30 s cap", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((n) => reconnectDelay(n, "unreachable"))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
  test("wrong credentials: doubling to a 5 min cap", () => {
    expect([0, 4, 5, 8, 9, 100].map((n) => reconnectDelay(n, "auth"))).toEqual([1000, 16000, 32000, 256000, 300000, 300000]);
  });
});

describe("ffmpeg arguments", () => {
  const base = { segmentSecs: 900, stallTimeoutSecs: 10, outputPattern: "/spool/cam/recording/1_900_%06d.mp4" };
  test("RTSP over TCP with a socket timeout, video copied, G.711 to AAC, clock-aligned fragmented segments", () => {
    const args = buildRecordArgs({ ...base, source: { kind: "rtsp", url: "rtsp://u:p@h/s" }, audioCodec: "aac" });
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    expect(after("-rtsp_transport")).toBe("tcp");
    expect(after("-timeout")).toBe("10000000");
    expect(after("-i")).toBe("rtsp://u:p@h/s");
    expect(after("-c:v")).toBe("copy");
    expect(after("-c:a")).toBe("aac");
    expect(args.join(" ")).toContain("-map 0:v:0 -c:v copy -map 0:a:0? -c:a aac -aac_coder fast");
    expect(after("-f")).toBe("segment");
    expect(after("-segment_time")).toBe("900");
    expect(after("-segment_atclocktime")).toBe("1");
    expect(after("-segment_format_options")).toBe(FRAGMENTED_MP4);
    expect(FRAGMENTED_MP4).toContain("flush_packets=1");
    expect(FRAGMENTED_MP4).toContain("frag_duration=500000");
    expect(after("-segment_list")).toBe("pipe:1");
    expect(after("-segment_list_type")).toBe("csv");
    expect(args.at(-1)).toBe(base.outputPattern);
  });
  test("progress often enough for the stall timeout, at most every 2 s", () => {
    expect([1, 3, 10, 60].map(progressPeriodSecs)).toEqual([0.25, 0.75, 2, 2]);
    const args = buildRecordArgs({ ...base, source: { kind: "rtsp", url: "rtsp://h/s" }, audioCodec: "aac" });
    expect(args[args.indexOf("-stats_period") + 1]).toBe("2");
  });
  test("audio none and copy", () => {
    expect(buildRecordArgs({ ...base, source: { kind: "rtsp", url: "rtsp://h/s" }, audioCodec: "none" })).toContain("-an");
    const copy = buildRecordArgs({ ...base, source: { kind: "rtsp", url: "rtsp://h/s" }, audioCodec: "copy" });
    expect(copy[copy.indexOf("-c:a") + 1]).toBe("copy");
    expect(copy).not.toContain("-aac_coder");
  });
  test("the synthetic demo camera is encoded, in real time", () => {
    const args = buildRecordArgs({ ...base, source: { kind: "synthetic" }, audioCodec: "aac" });
    expect(args.filter((a) => a === "-re").length).toBe(2);
    expect(args[args.indexOf("-c:v") + 1]).toBe("libx264");
  });
});

describe("ffmpeg output", () => {
  test("segment list lines and progress lines", () => {
    expect(parseOutputLine("/s/cam/recording/1_4_000003.mp4,12.133000,16.133000")).toEqual({ kind: "segment", file: "/s/cam/recording/1_4_000003.mp4", startSecs: 12.133, endSecs: 16.133 });
    expect(parseOutputLine("out_time_us=2336068")).toEqual({ kind: "progress", outTimeSecs: 2.336068 });
    expect(parseOutputLine("out_time_us=N/A")).toEqual({ kind: "other" });
    expect(parseOutputLine("progress=continue")).toEqual({ kind: "other" });
  });
});

describe("failure classification", () => {
  test("from ffmpeg's own words", () => {
    expect(classifyFailure(["[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized", "rtsp://u:***@h/s: Server returned 401 Unauthorized (authorization failed)"])).toBe("auth");
    expect(classifyFailure(["[rtsp @ 0x1] method DESCRIBE failed: 404 Not Found"])).toBe("not_found");
    expect(classifyFailure(["[tcp @ 0x1] Connection to tcp://127.0.0.1:9?timeout=0 failed: Connection refused"])).toBe("unreachable");
    expect(classifyFailure(["rtsp://10.0.0.9/s: Connection timed out"])).toBe("unreachable");
    expect(classifyFailure(["rtsp://h/s: No route to host"])).toBe("unreachable");
    expect(classifyFailure(["[rtsp @ 0x1] Error: End of file"])).toBe("stream_ended");
    expect(classifyFailure(["Segmentation fault"])).toBe("crashed");
    expect(classifyFailure([])).toBe("crashed");
  });
});

describe("wall-clock anchor", () => {
  test("the earliest estimate wins and stays fixed, so consecutive segments join exactly", () => {
    const anchor = new WallClockAnchor();
    expect(anchor.known).toBe(false);
    expect(anchor.wallTime(0, 5000)).toBe(5000);
    anchor.observe(10_300, 0.2); // delayed report: 10_100
    anchor.observe(11_000, 1.0); // 10_000: better
    anchor.observe(12_400, 2.0); // 10_400: late, ignored
    expect(anchor.wallTime(0, 0)).toBe(10_000);
    expect(anchor.wallTime(4.5, 0)).toBe(14_500);
  });
  test("a steady processing delay after the start-up burst does not move the anchor", () => {
    const anchor = new WallClockAnchor();
    anchor.observe(12_000, 2); // the burst: 10_000
    for (let t = 3; t <= 200; t++) anchor.observe(10_000 + t * 1000 + 600, t); // always 600 ms late
    expect(anchor.wallTime(0, 0)).toBe(10_000);
  });
  test("follows a camera clock that runs slow once it has crept by more than half a second", () => {
    const anchor = new WallClockAnchor();
    anchor.observe(11_000, 1);
    for (let t = 2; t <= 121; t++) anchor.observe(10_000 + t * 1000, t * 0.99); // loses 10 ms per second
    expect(anchor.wallTime(0, 0)).toBe(10_000);
    for (let t = 122; t <= 200; t++) anchor.observe(10_000 + t * 1000, t * 0.99);
    expect(anchor.wallTime(0, 0)).toBeGreaterThan(10_500);
  });
  test("ignores reports before the first frame", () => {
    const anchor = new WallClockAnchor();
    anchor.observe(10_000, 0);
    expect(anchor.known).toBe(false);
  });
});

describe("segment timeline", () => {
  test("each segment starts where the last ended, even when the anchor improves in between", () => {
    const timeline = new SegmentTimeline(0);
    timeline.progress(10_400, 0.3); // anchor 10_100
    const first = timeline.segment(0, 4.133);
    timeline.progress(14_300, 4.3); // a better estimate: 10_000
    const second = timeline.segment(4.133, 8.133);
    expect(first).toEqual({ startMs: 10_100, durationMs: 4133, endMs: 14_233 });
    expect(second).toEqual({ startMs: 14_233, durationMs: 4000, endMs: 18_233 });
  });
  test("a drift beyond half a second re-anchors the chain", () => {
    const timeline = new SegmentTimeline(0);
    timeline.progress(11_000, 1); // anchor 10_000
    timeline.segment(0, 4);
    timeline.progress(15_000, 5.9); // anchor 9_100: 900 ms off
    expect(timeline.segment(4, 8).startMs).toBe(13_100);
  });
});
