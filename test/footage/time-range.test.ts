import { describe, expect, test } from "bun:test";
import type { CameraConfig } from "../../src/config/schema.ts";
import { checkRequest, formatInstant, formatLength, parseTime } from "../../src/footage/time-range.ts";

const cameras = [{ id: "cam-1" }, { id: "cam-2" }] as CameraConfig[];

describe("TIME", () => {
  test("RFC 3339 with Z or an offset", () => {
    expect(parseTime("2026-11-24T14:30:00Z", "UTC")).toBe(Date.UTC(2026, 10, 24, 14, 30));
    expect(parseTime("2026-11-24T15:30:00+01:00", "Europe/Berlin")).toBe(Date.UTC(2026, 10, 24, 14, 30));
    expect(parseTime("2026-11-24T14:30:00.250Z", "UTC")).toBe(Date.UTC(2026, 10, 24, 14, 30, 0, 250));
  });

  test("YYYY-MM-DD HH:MM[:SS] is wall-clock time in recording.timezone", () => {
    expect(parseTime("2026-11-24 14:30", "UTC")).toBe(Date.UTC(2026, 10, 24, 14, 30));
    expect(parseTime("2026-11-24T14:30", "Europe/Berlin")).toBe(Date.UTC(2026, 10, 24, 13, 30));
    expect(parseTime("2026-11-24 14:30:05", "Europe/Berlin")).toBe(Date.UTC(2026, 10, 24, 13, 30, 5));
    expect(parseTime("2026-07-01 14:30", "Europe/Berlin")).toBe(Date.UTC(2026, 6, 1, 12, 30));
    // The hour that repeats when DST ends: its first occurrence (still summer time, UTC+2).
    expect(parseTime("2026-10-25 02:30", "Europe/Berlin")).toBe(Date.UTC(2026, 9, 25, 0, 30));
  });

  test("anything else is refused, also dates that do not exist", () => {
    for (const text of ["yesterday", "14:30", "2026-11-24", "2026-02-30 10:00", "2026-11-24 25:00", "2026-13-01 10:00"]) {
      expect(parseTime(text, "UTC")).toBeUndefined();
    }
  });
});

describe("checking a request", () => {
  const options = { cameras, timezone: "UTC" };

  test("a configured camera and a range the right way round", () => {
    expect(checkRequest({ camera: "cam-2", from: "2026-11-24 14:10", to: "2026-11-24 14:25" }, options)).toEqual({
      camera: cameras[1]!,
      range: { fromMs: Date.UTC(2026, 10, 24, 14, 10), toMs: Date.UTC(2026, 10, 24, 14, 25) },
    });
  });

  test("each problem names its field", () => {
    expect(checkRequest({ camera: "cam-9", from: "2026-11-24 14:10", to: "2026-11-24 14:25" }, options)).toEqual({
      problem: { field: "camera", reason: 'no camera "cam-9" in the config (known: cam-1, cam-2)' },
    });
    expect(checkRequest({ camera: "cam-1", from: "2026-11-24 14:10", to: "later" }, options)).toEqual({
      problem: { field: "to", reason: 'cannot read "later": expected RFC 3339 (2026-11-24T14:30:00Z) or "YYYY-MM-DD HH:MM[:SS]" in UTC' },
    });
    expect(checkRequest({ camera: "cam-1", from: "2026-11-24 14:25", to: "2026-11-24 14:10" }, options)).toEqual({
      problem: { field: "to", reason: "2026-11-24T14:10:00Z is not after from (2026-11-24T14:25:00Z)" },
    });
    expect(checkRequest({ camera: "cam-1", from: undefined, to: "2026-11-24 14:10" }, options)).toEqual({ problem: { field: "from", reason: "a time is needed" } });
    expect(checkRequest({ camera: "cam-1", from: "2026-11-22 14:00", to: "2026-11-24 14:00" }, { ...options, maxMs: 86_400_000 })).toEqual({
      problem: { field: "to", reason: "the range is 48h long; at most 24h per request" },
    });
  });

  test("defaults fill what is left out (list: the last 24 hours)", () => {
    const checked = checkRequest({ camera: "cam-1", from: undefined, to: undefined }, { ...options, defaults: () => ({ fromMs: 1000, toMs: 2000 }) });
    expect(checked).toEqual({ camera: cameras[0]!, range: { fromMs: 1000, toMs: 2000 } });
  });
});

test("formats", () => {
  expect([17_000, 900_000, 7_200_000, 3_903_000, 90_400, 0].map(formatLength)).toEqual(["17s", "15min", "2h", "1h5min3s", "1min30s", "0s"]);
  expect(formatInstant(Date.UTC(2026, 10, 24, 14, 30))).toBe("2026-11-24T14:30:00Z");
  expect(formatInstant(Date.UTC(2026, 10, 24, 14, 30, 0, 441))).toBe("2026-11-24T14:30:00.441Z");
});
