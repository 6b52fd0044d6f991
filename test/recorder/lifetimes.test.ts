import { describe, expect, test } from "bun:test";
import { reconnectDelay } from "../../src/recorder/backoff.ts";
import { ClockStepDetector } from "../../src/recorder/clock-step.ts";
import { classifyFailure, classifyRunEnd, FAILURE_TEXT } from "../../src/recorder/failure.ts";
import { SegmentTimeline } from "../../src/recorder/segment-timeline.ts";

describe("a camera that refuses the session", () => {
  test("503 and 453 are busy, with their own message", () => {
    expect(classifyFailure(["[rtsp @ 0x55] method DESCRIBE failed: 503 Service Unavailable"])).toBe("busy");
    expect(classifyFailure(["[rtsp @ 0x55] method SETUP failed: 453 Not Enough Bandwidth"])).toBe("busy");
    expect(FAILURE_TEXT.busy).toBe("the camera refused the session (503): too many clients?");
  });
  test("backed off like wrong credentials: doubling to a 5 min cap", () => {
    expect([0, 4, 5, 8, 9, 100].map((n) => reconnectDelay(n, "busy"))).toEqual([1000, 16000, 32000, 256000, 300000, 300000]);
  });
});

describe("how a run ended", () => {
  const base = { exitCode: 0, stalledByWatchdog: false, recordedMs: 60_000, silentMs: 500, stallTimeoutMs: 10_000, stderr: [] };
  test("ffmpeg's own RTSP timeout exits 0 after a silence: stalled when it had recorded", () => {
    expect(classifyRunEnd({ ...base, silentMs: 10_200 })).toBe("stalled");
  });
  test("... and unreachable when it never had a frame", () => {
    expect(classifyRunEnd({ ...base, recordedMs: 0, silentMs: 10_100 })).toBe("unreachable");
  });
  test("a camera that never answers the handshake: ffmpeg's timeout says \"Invalid data\" (exit 1), still unreachable", () => {
    expect(classifyRunEnd({ ...base, exitCode: 1, recordedMs: 0, silentMs: 3_300, stallTimeoutMs: 3_000, stderr: ["rtsp://127.0.0.1:18700/s: Invalid data found when processing input"] })).toBe("unreachable");
  });
  test("a camera that closes the stream: exit 0 right after media, or End of file", () => {
    expect(classifyRunEnd(base)).toBe("stream_ended");
    expect(classifyRunEnd({ ...base, exitCode: 1, stderr: ["[rtsp @ 0x1] Error: End of file"] })).toBe("stream_ended");
  });
  test("the watchdog's own restart, and ffmpeg's words, still win", () => {
    expect(classifyRunEnd({ ...base, stalledByWatchdog: true })).toBe("stalled");
    expect(classifyRunEnd({ ...base, stalledByWatchdog: true, recordedMs: 0 })).toBe("unreachable");
    expect(classifyRunEnd({ ...base, exitCode: 1, recordedMs: 0, stderr: ["method DESCRIBE failed: 401 Unauthorized"] })).toBe("auth");
    expect(classifyRunEnd({ ...base, exitCode: 1, stderr: ["Segmentation fault"] })).toBe("crashed");
  });
});

describe("segment timeline on a loaded machine", () => {
  test("a first segment closed before any progress report is anchored from its own report, not the spawn", () => {
    const spawn = 1_000_000;
    const timeline = new SegmentTimeline(spawn);
    // The handshake took 0.55 s; ffmpeg closed the first segment (3.147 s) before reporting progress.
    const first = timeline.segment(0, 3.147, spawn + 550 + 3147);
    timeline.progress(spawn + 550 + 4000, 4);
    const second = timeline.segment(3.147, 5.147, spawn + 550 + 5147);
    expect(first.startMs).toBe(spawn + 550);
    expect(second.startMs).toBe(first.endMs); // no gap
  });
});

describe("host clock steps", () => {
  test("detected against the monotonic clock, with their size and direction", () => {
    let mono = 0;
    const steps: number[] = [];
    const detector = new ClockStepDetector((s) => steps.push(s), () => mono);
    let wall = Date.UTC(2026, 10, 24, 12);
    expect(detector.observe(wall)).toBe(0);
    mono += 2000;
    wall += 2000 - 90_000; // NTP steps 90 s back
    expect(detector.observe(wall)).toBe(-90_000);
    mono += 2000;
    wall += 2000;
    expect(detector.observe(wall)).toBe(0);
    mono += 2000;
    wall += 2000 + 90_000;
    expect(detector.observe(wall)).toBe(90_000);
    expect(steps).toEqual([-90_000, 90_000]);
  });
  test("the timeline follows a clock stepped forward at once, not minutes later", () => {
    const start = 5_000_000;
    const timeline = new SegmentTimeline(start);
    for (let t = 1; t <= 10; t++) timeline.progress(start + t * 1000 + 100, t);
    const before = timeline.segment(0, 10, start + 10_100);
    timeline.clockStepped(90_000);
    for (let t = 11; t <= 20; t++) timeline.progress(start + 90_000 + t * 1000 + 100, t);
    const after = timeline.segment(10, 20, start + 90_000 + 20_100);
    expect(after.startMs).toBe(before.endMs + 90_000);
  });
});
