import { describe, expect, test } from "bun:test";
import { instantsOf, wallParts, zonedToEpochMs } from "../../src/zoned-time.ts";
import { parseObjectKey } from "../../src/upload/key.ts";

const wall = (s: string) => {
  const [year, month, day, hour, minute, second] = s.split(/[- :]/) as [string, string, string, string, string, string];
  return { year, month, day, hour, minute, second };
};

describe("zoned time", () => {
  test("a repeated hour names two instants, earliest first", () => {
    expect(instantsOf(wall("2026-10-25 02:30:00"), "Europe/Berlin").map((ms) => new Date(ms).toISOString())).toEqual([
      "2026-10-25T00:30:00.000Z",
      "2026-10-25T01:30:00.000Z",
    ]);
  });

  test("a skipped hour names none; zonedToEpochMs gives the instant after the gap", () => {
    expect(instantsOf(wall("2026-03-29 02:30:00"), "Europe/Berlin")).toEqual([]);
    expect(new Date(zonedToEpochMs(wall("2026-03-29 02:30:00"), "Europe/Berlin")).toISOString()).toBe("2026-03-29T01:30:00.000Z");
  });

  test("round trip in UTC and in a zone", () => {
    const ms = Date.UTC(2026, 10, 24, 14, 30, 5);
    expect(zonedToEpochMs(wallParts(ms, "UTC"), "UTC")).toBe(ms);
    expect(zonedToEpochMs(wallParts(ms, "America/New_York"), "America/New_York")).toBe(ms);
  });
});

describe("parseObjectKey", () => {
  test("reads the layout back, with the copy number of a -N key", () => {
    expect(parseObjectKey("p/cam-1/2026-11-24/14-30-00_15min.mp4", "p/", "cam-1", "UTC")).toEqual({ keyMs: Date.UTC(2026, 10, 24, 14, 30), label: "15min", copy: 1 });
    expect(parseObjectKey("p/cam-1/2026-11-24/14-30-00_10s-3.mp4", "p/", "cam-1", "UTC")?.copy).toBe(3);
  });

  test("anything else under the prefix is not a segment", () => {
    for (const key of ["p/cam-10/2026-11-24/14-30-00_15min.mp4", "p/cam-1/notes.txt", "p/cam-1/2026-11-24/.14-30-00_15min.mp4.1.tmp", "cam-1/2026-11-24/14-30-00_15min.mp4", "p/cam-1/2026-11-24/14-30-00_15min-1.mp4"]) {
      expect(parseObjectKey(key, "p/", "cam-1", "UTC")).toBeUndefined();
    }
  });
});
