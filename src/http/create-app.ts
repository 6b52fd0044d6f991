import type { Config } from "../config/schema.ts";
import { footageDeps } from "../footage/find-segments.ts";
import { findSpans } from "../footage/spans.ts";
import type { Logger } from "../log.ts";
import { latestSegment } from "../spool/latest-segment.ts";
import type { Spool } from "../spool/spool.ts";
import type { Storage } from "../upload/storage.ts";
import type { App } from "./app.ts";
import type { ServiceSnapshot } from "./health.ts";
import { recordingsRoutes } from "./recordings-api.ts";
import { statusRoutes } from "./status-page.ts";

export interface AppSources {
  config: Config;
  storage: Storage;
  spool: Spool;
  ffmpegPath: string;
  log: Logger;
  snapshot(): ServiceSnapshot;
}

/**
 * The status page and the recordings API, or undefined without `service.ui_password` (their paths
 * are then 404). The page's timeline and the API read the same spans: storage plus the spool.
 */
export function createApp({ config, storage, spool, ffmpegPath, log, snapshot }: AppSources): App | undefined {
  const password = config.service.ui_password;
  if (!password) return undefined;
  const footage = footageDeps(config, ffmpegPath, storage);
  const timezone = config.recording.timezone === "local" ? Intl.DateTimeFormat().resolvedOptions().timeZone : config.recording.timezone;
  return {
    credentials: { user: config.service.ui_user, password },
    routes: [
      ...statusRoutes({
        snapshot,
        latest: (id) => latestSegment(spool, id),
        spans: (id, fromMs, toMs, signal) => findSpans(footage, id, fromMs, toMs, signal),
        ffmpegPath,
        storage: storage.target,
        pressureRatio: config.recording.disk_pressure_ratio,
        minFreeBytes: config.recording.min_free_mb * 1024 * 1024,
        timezone,
      }),
      ...recordingsRoutes(footage, { log }),
    ],
  };
}
