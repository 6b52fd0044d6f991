import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { parseSegmentFileName } from "./segment.ts";
import type { Spool } from "./spool.ts";

/** The newest finished segment of a camera still in the spool (pending or uploaded), from file names alone. */
export interface LatestSegment {
  /** The file name: unique per camera and segment, so a cache key. */
  name: string;
  path: string;
  startMs: number;
  endMs: number;
}

export async function latestSegment(spool: Spool, cameraId: string): Promise<LatestSegment | undefined> {
  let latest: LatestSegment | undefined;
  for (const state of ["pending", "uploaded"] as const) {
    const dir = spool.dir(cameraId, state);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const meta = parseSegmentFileName(name);
      if (!meta || (latest && latest.startMs >= meta.startMs)) continue;
      latest = { name, path: join(dir, name), startMs: meta.startMs, endMs: meta.startMs + meta.durationMs };
    }
  }
  return latest;
}
