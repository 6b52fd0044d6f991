import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { ownedCameras, ownerOf, resolveShardIndex, shardOf, weight } from "../../src/config/shard.ts";
import { ConfigError } from "../../src/errors.ts";

// The hash is part of the product: a change would move cameras between replicas on an upgrade.
const OWNERS_FOR_1_TO_5_SHARDS: Array<[string, number[]]> = [
  ["camera-1", [0, 0, 0, 0, 0]],
  ["camera-2", [0, 1, 1, 1, 1]],
  ["camera-3", [0, 0, 2, 2, 2]],
  ["camera-4", [0, 1, 2, 2, 2]],
  ["camera-5", [0, 0, 0, 0, 0]],
  ["camera-6", [0, 1, 1, 1, 1]],
  ["camera-7", [0, 0, 0, 0, 0]],
  ["camera-8", [0, 1, 1, 1, 4]],
  ["camera-9", [0, 0, 0, 0, 0]],
  ["camera-10", [0, 0, 2, 3, 3]],
  ["camera-11", [0, 0, 2, 2, 2]],
  ["camera-12", [0, 0, 2, 2, 2]],
];

describe("rendezvous hashing", () => {
  test("pinned: SHA-256 of `id\\nindex`, first 8 bytes big-endian, and the owners for 1..5 shards", () => {
    expect(weight("camera-1", 0).toString(16)).toBe("d1c3eb01428345e0");
    for (const [id, owners] of OWNERS_FOR_1_TO_5_SHARDS) expect([id, [1, 2, 3, 4, 5].map((n) => ownerOf(id, n))]).toEqual([id, owners]);
  });

  test("from n to n+1 shards about 1/(n+1) of the cameras move, every one to the new shard", () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `cam-${i}`);
    for (const n of [1, 2, 3, 7]) {
      const moved = ids.filter((id) => ownerOf(id, n) !== ownerOf(id, n + 1));
      expect(moved.every((id) => ownerOf(id, n + 1) === n)).toBe(true);
      expect(Math.abs(moved.length / ids.length - 1 / (n + 1))).toBeLessThan(0.03);
    }
  });

  test("the shards split the cameras evenly", () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[ownerOf(`cam-${i}`, 4)]!++;
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(100);
  });
});

describe("the shard index", () => {
  const service = (shards: number, shard_index: "" | number) => ({ shards, shard_index });
  test("explicit, or the ordinal at the end of the host name", () => {
    expect(resolveShardIndex(service(1, ""), "laptop")).toEqual({ index: 0 });
    expect(resolveShardIndex(service(3, 1), "laptop")).toEqual({ index: 1 });
    expect(resolveShardIndex(service(3, ""), "camera-recorder-2")).toEqual({ index: 2 });
    expect(resolveShardIndex(service(12, ""), "camera-recorder-11")).toEqual({ index: 11 });
  });

  test("no index and no ordinal, or an index not below shards: a config error (exit 2)", () => {
    const problems = (text: string, host: string) => {
      try {
        parseConfig(text, "c.toml", {}, host);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).exitCode).toBe(2);
        return (error as ConfigError).problems;
      }
      throw new Error("expected a ConfigError");
    };
    const camera = `[[cameras]]\nid = "c"\nrtsp_url = "rtsp://h/s"\n`;
    expect(problems(`[service]\nshards = 3\n${camera}`, "laptop")).toEqual([
      'service.shard_index: not set, and the host name "laptop" does not end in an ordinal (-N) to take it from; set shard_index (0..2) or run as a StatefulSet pod',
    ]);
    expect(problems(`[service]\nshards = 3\nshard_index = 3\n${camera}`, "camera-recorder-0")).toEqual(["service.shard_index: 3 is not below service.shards (3); use 0..2"]);
    expect(problems(`[service]\nshards = 3\n${camera}`, "camera-recorder-3")).toEqual([
      'service.shard_index: the host name "camera-recorder-3" gives ordinal 3, not below service.shards (3); are there more replicas than shards?',
    ]);
    expect(problems(`[service]\nshard_index = 1\n${camera}`, "x")).toEqual(["service.shard_index: 1 is not below service.shards (1); use 0"]);
  });

  test("the loaded config carries the resolved index and its owned cameras", () => {
    const cameras = OWNERS_FOR_1_TO_5_SHARDS.map(([id]) => `[[cameras]]\nid = "${id}"\nrtsp_url = "rtsp://h/${id}"\n`).join("");
    const config = parseConfig(`[service]\nshards = "\${N}"\n${cameras}`, "c.toml", { N: "3" }, "camera-recorder-2");
    expect(shardOf(config)).toEqual({ index: 2, shards: 3 });
    expect(ownedCameras(config).map((c) => c.id)).toEqual(OWNERS_FOR_1_TO_5_SHARDS.filter(([, o]) => o[2] === 2).map(([id]) => id));
  });
});
