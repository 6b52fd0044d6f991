import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { CameraConfig, Config } from "../config/schema.ts";
import { SpoolLayout } from "../spool/layout.ts";
import { parseSegmentFileName } from "../spool/segment.ts";
import { createStorage } from "../upload/create-storage.ts";
import { FilesystemStorage } from "../upload/filesystem.ts";
import { dayPrefix, objectKey, parseObjectKey } from "../upload/key.ts";
import type { Storage } from "../upload/storage.ts";
import type { TimeRange } from "./time-range.ts";

/** Where a segment's bytes can be read, tried in order (a spool file may move or go while we read). */
export type Location = { kind: "file"; path: string } | { kind: "object"; key: string };

/** One recorded segment of a camera, from the storage or the spool. */
export interface FootageSegment {
  /** Wall time of its first frame. */
  startMs: number;
  /** Media duration (the video's: where the next segment's first frame goes). */
  durationMs: number;
  bytes: number;
  /** False when start and duration were read from the object key alone (see `findSegments`). */
  exact: boolean;
  locations: Location[];
}

/** What finding footage needs: the storage, the spool and how keys are laid out. */
export interface FootageDeps {
  storage: Storage;
  /** The local spool (`recording.temp_dir`): segments not uploaded yet, and local copies. */
  spool: SpoolLayout;
  keyPrefix: string;
  timezone: string;
  cameras: readonly CameraConfig[];
  ffmpegPath: string;
}

export function footageDeps(config: Config, ffmpegPath: string, storage: Storage = createStorage(config)): FootageDeps {
  return {
    storage,
    spool: new SpoolLayout(config.recording.temp_dir),
    keyPrefix: config.storage.key_prefix,
    timezone: config.recording.timezone,
    cameras: config.cameras,
    ffmpegPath,
  };
}

const HEAD_CONCURRENCY = 32;

/**
 * The segments of a camera that overlap `range`, oldest first, one per start time.
 *
 * Only the day folders the range touches are listed: a folder is the local date of the segment's
 * key in `recording.timezone`, and a segment that covers `from` started up to one segment duration
 * before it. Start and duration come from the object's metadata (S3) or the spool's file names
 * (segments not uploaded yet, and local copies of uploaded ones, which win: no request needed).
 * Without either (the filesystem backend, after local retention) the key's second is the start and
 * the duration runs to the next segment's key, at most the key's `{D}`; such segments are marked
 * not `exact`, and `export` measures them with ffprobe before joining.
 */
export async function findSegments(deps: FootageDeps, camera: Pick<CameraConfig, "id" | "segment_duration_secs">, range: TimeRange, signal?: AbortSignal): Promise<FootageSegment[]> {
  const byStart = new Map<number, FootageSegment>();
  const spooled = await spoolSegments(deps, camera.id);
  const knownKeys = new Set<string>();
  for (const { segment, key } of spooled) {
    knownKeys.add(key);
    if (!byStart.has(segment.startMs)) byStart.set(segment.startMs, segment);
  }
  const earliest = range.fromMs - camera.segment_duration_secs * 1000 - 2000;
  const candidates: Array<{ key: string; keyMs: number; labelMs: number; bytes: number }> = [];
  for (const prefix of dayPrefixes(deps, camera.id, earliest, range.toMs)) {
    for await (const object of deps.storage.list(prefix, signal)) {
      if (knownKeys.has(object.key)) continue;
      const parsed = parseObjectKey(object.key, deps.keyPrefix, camera.id, deps.timezone);
      if (!parsed) continue;
      const labelMs = labelSecs(parsed.label) * 1000;
      // The key's second is at most a second after the first frame (see Spool.commit).
      if (parsed.keyMs > range.toMs + 1000 || parsed.keyMs + labelMs + 2000 < range.fromMs) continue;
      candidates.push({ key: object.key, keyMs: parsed.keyMs, labelMs, bytes: object.bytes });
    }
  }
  const localRoot = deps.storage instanceof FilesystemStorage ? deps.storage.root : undefined;
  const stored = await mapLimit(candidates, HEAD_CONCURRENCY, async (c): Promise<FootageSegment> => {
    const metadata = localRoot ? {} : ((await deps.storage.head(c.key, signal))?.metadata ?? {});
    const start = Date.parse(metadata.start ?? "");
    const durationSecs = Number(metadata["duration-secs"]);
    const exact = Number.isFinite(start) && Number.isFinite(durationSecs) && metadata["duration-secs"] !== "";
    const locations: Location[] = localRoot ? [{ kind: "file", path: join(localRoot, c.key) }] : [{ kind: "object", key: c.key }];
    return exact
      ? { startMs: start, durationMs: Math.round(durationSecs * 1000), bytes: c.bytes, exact, locations }
      : { startMs: c.keyMs, durationMs: c.labelMs, bytes: c.bytes, exact, locations };
  });
  for (const segment of stored) if (!byStart.has(segment.startMs)) byStart.set(segment.startMs, segment);
  const all = [...byStart.values()].sort((a, b) => a.startMs - b.startMs);
  for (let i = 0; i + 1 < all.length; i++) {
    const segment = all[i]!;
    const next = all[i + 1]!;
    if (!segment.exact && next.startMs - segment.startMs < segment.durationMs) all[i] = { ...segment, durationMs: next.startMs - segment.startMs };
  }
  return all.filter((s) => s.startMs < range.toMs && s.startMs + s.durationMs > range.fromMs);
}

/** Every segment in the camera's spool: `pending` (not uploaded yet) and `uploaded` (local copies). */
async function spoolSegments(deps: FootageDeps, cameraId: string): Promise<Array<{ segment: FootageSegment; key: string }>> {
  const out: Array<{ segment: FootageSegment; key: string }> = [];
  const dir = (state: "pending" | "uploaded") => deps.spool.dir(cameraId, state);
  for (const state of ["uploaded", "pending"] as const) {
    const names = await readdir(dir(state)).catch(() => [] as string[]);
    for (const name of names) {
      const meta = parseSegmentFileName(name);
      if (!meta) continue;
      const info = await stat(join(dir(state), name)).catch(() => undefined);
      if (!info) continue;
      const key = objectKey({ cameraId, ...meta }, deps.keyPrefix, deps.timezone);
      // A pending file moves to uploaded/ (and then goes) while we read: follow it.
      const files = state === "pending" ? [join(dir("pending"), name), join(dir("uploaded"), name)] : [join(dir("uploaded"), name)];
      const locations: Location[] = [...files.map((path) => ({ kind: "file" as const, path })), { kind: "object", key }];
      out.push({ key, segment: { startMs: meta.startMs, durationMs: meta.durationMs, bytes: info.size, exact: true, locations } });
    }
  }
  return out;
}

/** The camera's day folders from `fromMs` to `toMs`, stepping by the hour so no local date is missed. */
function dayPrefixes(deps: FootageDeps, cameraId: string, fromMs: number, toMs: number): string[] {
  const prefixes = new Set<string>();
  for (let ms = fromMs; ms < toMs; ms += 3_600_000) prefixes.add(dayPrefix(deps.keyPrefix, cameraId, ms, deps.timezone));
  prefixes.add(dayPrefix(deps.keyPrefix, cameraId, toMs, deps.timezone));
  return [...prefixes];
}

/** `15min` → 900, `10s` → 10. */
function labelSecs(label: string): number {
  return label.endsWith("min") ? Number(label.slice(0, -3)) * 60 : Number(label.slice(0, -1));
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
