import { expect, test } from "bun:test";
import { durationLabel, keySecond, objectKey, objectMetadata } from "../../src/upload/key.ts";
import { roundExhausted, uploadRetryDelayMs } from "../../src/upload/retry.ts";

const at = (iso: string) => Date.parse(iso);

test("object key: the spec's example", () => {
  expect(objectKey({ cameraId: "camera-1", startMs: at("2025-12-13T14:30:00.400Z"), cut: "start", configuredSecs: 900 }, "", "UTC")).toBe("camera-1/2025-12-13/14-30-00_15min.mp4");
});

test("object key: prefix, seconds label, timezone shifts date and time", () => {
  expect(objectKey({ cameraId: "c", startMs: at("2025-12-31T23:59:58.999Z"), cut: "start", configuredSecs: 10 }, "site/", "Europe/Berlin")).toBe("site/c/2026-01-01/00-59-58_10s.mp4");
  expect(objectKey({ cameraId: "c", startMs: at("2025-06-01T12:00:07Z"), cut: "start", configuredSecs: 90 }, "", "America/New_York")).toBe("c/2025-06-01/08-00-07_90s.mp4");
});

test("a segment cut on a boundary is keyed by the boundary, also when its first frame was estimated before it", () => {
  const cut = (iso: string, configuredSecs: number, timezone = "UTC") => objectKey({ cameraId: "c", startMs: at(iso), cut: "boundary", configuredSecs }, "", timezone);
  // The measured defect: the segment cut at 13:39:35 was stored as 13-39-34_5s.mp4.
  expect(cut("2026-11-24T13:39:34.650Z", 5)).toBe("c/2026-11-24/13-39-35_5s.mp4");
  expect(cut("2025-12-13T14:29:59.700Z", 900)).toBe("c/2025-12-13/14-30-00_15min.mp4");
  expect(cut("2025-12-13T14:45:00.300Z", 900)).toBe("c/2025-12-13/14-45-00_15min.mp4");
  // ffmpeg cuts at the first keyframe after the boundary: a 4 s keyframe interval starts late.
  expect(cut("2025-12-13T14:45:03.900Z", 900)).toBe("c/2025-12-13/14-45-00_15min.mp4");
  // Boundaries are multiples of the duration in the local time of day (ffmpeg's segment_atclocktime):
  // 7 s does not divide a day, and India is 5:30 off UTC.
  expect(cut("2025-12-13T00:00:13.800Z", 7)).toBe("c/2025-12-13/00-00-14_7s.mp4");
  expect(cut("2025-12-13T09:14:59.800Z", 900, "Asia/Kolkata")).toBe("c/2025-12-13/14-45-00_15min.mp4");
  expect(cut("2025-12-13T18:29:59.600Z", 3600, "Asia/Kolkata")).toBe("c/2025-12-14/00-00-00_60min.mp4");
  // The hour that repeats when daylight saving time ends: both 02:30 are named 02-30-00.
  expect(cut("2026-10-25T00:30:00.100Z", 900, "Europe/Berlin")).toBe("c/2026-10-25/02-30-00_15min.mp4");
  expect(cut("2026-10-25T01:29:59.900Z", 900, "Europe/Berlin")).toBe("c/2026-10-25/02-30-00_15min.mp4");
});

test("the first segment after a start is keyed by the second of its first frame; a numbered copy by -2, -3", () => {
  const first = { cameraId: "c", startMs: at("2025-12-13T14:37:12.980Z"), cut: "start" as const, configuredSecs: 900 };
  expect(keySecond(first, "UTC")).toBe(at("2025-12-13T14:37:12Z") / 1000);
  expect(objectKey(first, "p/", "UTC", 2)).toBe("p/c/2025-12-13/14-37-12_15min-2.mp4");
  expect(objectKey(first, "p/", "UTC", 13)).toBe("p/c/2025-12-13/14-37-12_15min-13.mp4");
});

test("duration label", () => {
  expect([900, 60, 10, 90, 3600, 86400].map(durationLabel)).toEqual(["15min", "1min", "10s", "90s", "60min", "1440min"]);
});

test("metadata: camera id, start in RFC 3339 with ms, duration", () => {
  expect(objectMetadata({ cameraId: "c", startMs: Date.parse("2025-12-13T14:30:00.123Z"), durationMs: 899_967 })).toEqual({ "camera-id": "c", start: "2025-12-13T14:30:00.123Z", "duration-secs": "899.967" });
});

test("upload retry delays: 5, 10, 20, 40, 80 s, then the round is over", () => {
  expect([1, 2, 3, 4, 5].map((n) => uploadRetryDelayMs(n, 5, 5) / 1000)).toEqual([5, 10, 20, 40, 80]);
  expect(roundExhausted(5, 5)).toBe(false);
  expect(roundExhausted(6, 5)).toBe(true);
  expect(uploadRetryDelayMs(6, 5, 5) / 1000).toBe(160);
});
