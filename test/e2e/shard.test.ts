import { afterAll, afterEach, expect, test } from "bun:test";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ownerOf } from "../../src/config/shard.ts";
import { startFakeCamera } from "../fixtures/camera.ts";
import { killAll } from "../fixtures/processes.ts";
import { scratch, startService, type RunningService } from "../fixtures/service.ts";
import { waitFor } from "../fixtures/wait.ts";

afterEach(killAll);
afterAll(killAll);

const IDS = Array.from({ length: 12 }, (_, i) => `camera-${i + 1}`);

/** The cameras a running replica says it owns, in /health and as camera_stream_connected series. */
async function owned(service: RunningService): Promise<{ health: string[]; metrics: string[]; shardInfo: string | undefined }> {
  const health = await service.get("/health");
  const metrics = (await service.get("/metrics")).text;
  return {
    health: [...health.body.shard.cameras].sort(),
    metrics: [...metrics.matchAll(/^camera_stream_connected\{camera_id="([^"]+)"\}/gm)].map((m) => m[1]!).sort(),
    shardInfo: /^camera_recorder_shard_info\{[^}]*\} 1$/m.exec(metrics)?.[0],
  };
}

async function startReplicas(shards: number, cameras: string, storage: string): Promise<RunningService[]> {
  return Promise.all(
    Array.from({ length: shards }, (_, index) => {
      const dir = scratch(`shard-${index}-`);
      const config = `shards = ${shards}\nshard_index = ${index}\n[storage]\ntype = "filesystem"\npath = "${storage}"\n[recording]\ntemp_dir = "${dir}/spool"\naudio_codec = "none"\n${cameras}`;
      return startService(dir, config);
    }),
  );
}

test("three replicas record 12 cameras, each exactly once; with a fourth, the cameras the hash names move to it", async () => {
  // One encoder per client: a shared GStreamer media crashed (gst_rtsp_media_get_rates assertion) under 12 concurrent sessions.
  const cam = await startFakeCamera({ noAudio: true });
  const storage = scratch("shard-storage-");
  const cameras = IDS.map((id) => `[[cameras]]\nid = "${id}"\nrtsp_url = "${cam.url(undefined, "/stream1")}"\nsegment_duration_secs = 2\n`).join("");

  const three = await startReplicas(3, cameras, storage);
  const byReplica = await Promise.all(three.map(owned));
  for (const [index, seen] of byReplica.entries()) {
    const expected = IDS.filter((id) => ownerOf(id, 3) === index).sort();
    expect(seen).toEqual({ health: expected, metrics: expected, shardInfo: `camera_recorder_shard_info{index="${index}",shards="3"} 1` });
  }
  expect(byReplica.flatMap((r) => r.health).sort()).toEqual([...IDS].sort());
  // Each camera records in exactly one replica: seen recording (connected = 1) there, never elsewhere.
  const recordedBy = new Map<string, Set<number>>();
  await waitFor("every camera seen recording in its replica", async () => {
    const texts = await Promise.all(three.map(async (s) => (await s.get("/metrics")).text));
    for (const [index, text] of texts.entries()) {
      for (const [, id] of text.matchAll(/^camera_stream_connected\{camera_id="([^"]+)"\} 1$/gm)) recordedBy.set(id!, (recordedBy.get(id!) ?? new Set()).add(index));
    }
    return recordedBy.size === 12;
  }, 150_000).catch(async (error) => {
    const states = await Promise.all(three.map(async (s) => (await s.get("/health")).body.cameras.map((c: any) => `${c.id}:${c.status}`)));
    throw new Error(`${error.message}; recorded: ${[...recordedBy.keys()]}; states: ${states.flat()}`);
  });
  expect(Object.fromEntries([...recordedBy].map(([id, replicas]) => [id, [...replicas]]))).toEqual(Object.fromEntries(IDS.map((id) => [id, [ownerOf(id, 3)]])));
  for (const service of three) service.signal("SIGTERM");
  expect(await Promise.all(three.map((s) => s.proc.exited))).toEqual([0, 0, 0]);

  const four = await startReplicas(4, cameras, storage);
  const after = await Promise.all(four.map(owned));
  const moved = IDS.filter((id) => ownerOf(id, 3) !== ownerOf(id, 4));
  for (const [index, seen] of after.entries()) expect(seen.health).toEqual(IDS.filter((id) => ownerOf(id, 4) === index).sort());
  // Only the cameras the hash names moved, every one to the new replica (here 1 of 12: camera-10).
  expect(after[3]!.health).toEqual(moved.sort());
  expect(moved).toEqual(["camera-10"]);
  for (const [index, seen] of after.slice(0, 3).entries()) expect(seen.health).toEqual(byReplica[index]!.health.filter((id) => !moved.includes(id)));
}, 300_000);

test("a replica uploads its whole spool: a moved camera's pending segment too, without exporting that camera's metrics", async () => {
  const dir = scratch("shard-spool-");
  const storage = join(dir, "storage");
  // camera-2 belongs to shard 1 of 2; this replica is shard 0 and still holds a segment of it.
  expect([ownerOf("camera-1", 2), ownerOf("camera-2", 2)]).toEqual([0, 1]);
  const pending = join(dir, "spool", "camera-2", "pending");
  mkdirSync(pending, { recursive: true });
  const startMs = Date.UTC(2026, 0, 2, 3, 4, 0);
  writeFileSync(join(pending, `${startMs / 1000}_${startMs}_2000_2.mp4`), "leftover segment bytes");
  const cameras = IDS.slice(0, 2).map((id) => `[[cameras]]\nid = "${id}"\nrtsp_url = "rtsp://127.0.0.1:9/unreachable"\n`).join("");
  const service = await startService(dir, `shards = 2\nshard_index = 0\n[storage]\ntype = "filesystem"\npath = "${storage}"\n[recording]\ntemp_dir = "${dir}/spool"\n${cameras}`);

  const uploaded = await waitFor("the leftover segment in the storage", () => {
    const files = readdirSync(storage, { recursive: true }).map(String).filter((f) => f.endsWith(".mp4"));
    return files.length > 0 ? files : undefined;
  }, 30_000);
  expect(uploaded).toHaveLength(1);
  expect(uploaded[0]).toContain("camera-2");
  expect(readdirSync(pending)).toEqual([]);
  expect((await owned(service)).health).toEqual(["camera-1"]);
  expect((await service.get("/metrics")).text).not.toContain('camera_id="camera-2"');
}, 60_000);
