import { createHash } from "node:crypto";
import type { CameraConfig, Config } from "./schema.ts";

/** This replica's place among `shards` replicas sharing one camera list. */
export interface Shard {
  index: number;
  shards: number;
}

/**
 * A camera's weight for one shard: the first 8 bytes of SHA-256(`${cameraId}\n${index}`), read as
 * an unsigned big-endian 64-bit number. Fixed forever: a different hash would move cameras between
 * replicas on an upgrade (test/config/shard.test.ts pins it with a table of owners).
 */
export function weight(cameraId: string, index: number): bigint {
  return createHash("sha256").update(`${cameraId}\n${index}`).digest().readBigUInt64BE(0);
}

/**
 * Rendezvous (highest-random-weight) hashing: the shard with the highest weight records the camera.
 * From n to n+1 shards, a camera moves only if the new shard outweighs all others: about 1/(n+1) of
 * them, each to the new shard. Ties (never seen with 64 bits) go to the lower index.
 */
export function ownerOf(cameraId: string, shards: number): number {
  let best = 0;
  let bestWeight = -1n;
  for (let index = 0; index < shards; index++) {
    const w = weight(cameraId, index);
    if (w > bestWeight) [best, bestWeight] = [index, w];
  }
  return best;
}

/**
 * `service.shard_index`, or with "" the ordinal at the end of the host name (a StatefulSet pod's
 * host name is its pod name: camera-recorder-2 → 2). A problem line for the config error otherwise.
 */
export function resolveShardIndex(service: Pick<Config["service"], "shards" | "shard_index">, hostname: string): { index: number } | { problem: string } {
  const { shards, shard_index } = service;
  const range = shards === 1 ? "0" : `0..${shards - 1}`;
  if (shard_index !== "") {
    return shard_index < shards ? { index: shard_index } : { problem: `service.shard_index: ${shard_index} is not below service.shards (${shards}); use ${range}` };
  }
  if (shards === 1) return { index: 0 };
  const ordinal = /-(\d+)$/.exec(hostname)?.[1];
  if (ordinal === undefined) {
    return { problem: `service.shard_index: not set, and the host name "${hostname}" does not end in an ordinal (-N) to take it from; set shard_index (${range}) or run as a StatefulSet pod` };
  }
  const index = Number(ordinal);
  return index < shards
    ? { index }
    : { problem: `service.shard_index: the host name "${hostname}" gives ordinal ${index}, not below service.shards (${shards}); are there more replicas than shards?` };
}

/** The shard of a loaded config (its shard_index is resolved by the loader). */
export function shardOf(config: Config): Shard {
  const { shards, shard_index } = config.service;
  return { index: shard_index === "" ? 0 : shard_index, shards };
}

/** The cameras this replica records: those whose owner is its shard. */
export function ownedCameras(config: Config): CameraConfig[] {
  const { index, shards } = shardOf(config);
  return config.cameras.filter((camera) => ownerOf(camera.id, shards) === index);
}
