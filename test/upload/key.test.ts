import { expect, test } from "bun:test";
import { durationLabel, objectKey, objectMetadata } from "../../src/upload/key.ts";
import { roundExhausted, uploadRetryDelayMs } from "../../src/upload/retry.ts";

const at = (iso: string) => Date.parse(iso) / 1000;

test("object key: the spec's example", () => {
  expect(objectKey({ cameraId: "camera-1", keySec: at("2025-12-13T14:30:00Z"), configuredSecs: 900 }, "", "UTC")).toBe("camera-1/2025-12-13/14-30-00_15min.mp4");
});

test("object key: prefix, seconds label, timezone shifts date and time", () => {
  expect(objectKey({ cameraId: "c", keySec: at("2025-12-31T23:59:58Z"), configuredSecs: 10 }, "site/", "Europe/Berlin")).toBe("site/c/2026-01-01/00-59-58_10s.mp4");
  expect(objectKey({ cameraId: "c", keySec: at("2025-06-01T12:00:07Z"), configuredSecs: 90 }, "", "America/New_York")).toBe("c/2025-06-01/08-00-07_90s.mp4");
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
