import type { Clock } from "../clock.ts";
import type { CameraConfig, Config } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import type { Storage } from "../upload/storage.ts";
import { limitsOf } from "./policy.ts";
import { Pruner, type RetentionObserver } from "./pruner.ts";

/**
 * The pruner of a config: every camera of the file, enabled or not (a disabled camera's footage
 * still fills the bucket), each with its own limits. A sharded service passes the cameras it owns,
 * so that each camera is pruned by one replica.
 */
export function createPruner(config: Config, storage: Storage, clock: Clock, log: Logger, observer?: RetentionObserver, cameras: readonly CameraConfig[] = config.cameras): Pruner {
  return new Pruner({
    storage, clock, log, observer,
    cameras: cameras.map((camera) => ({ id: camera.id, limits: limitsOf(camera, config.retention) })),
    keyPrefix: config.storage.key_prefix,
    timezone: config.recording.timezone,
    intervalMs: config.retention.interval_minutes * 60_000,
  });
}
