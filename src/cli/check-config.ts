import TOML from "@iarna/toml";
import { redactConfig } from "../config/redact.ts";
import type { Config } from "../config/schema.ts";
import { ownedCameras, shardOf } from "../config/shard.ts";
import { EXIT } from "../errors.ts";

/** `check-config`: the config is already loaded and valid here; print it resolved and redacted, and this replica's shard. */
export function checkConfig(config: Config, file: string, write: (text: string) => void): number {
  const printable = JSON.parse(JSON.stringify(redactConfig(config)));
  // @iarna/toml writes 9090 as 9_090: valid TOML, but not what an operator typed.
  const toml = TOML.stringify(printable).replace(/(?<==\s*)(\d{1,3}(?:_\d{3})+)$/gm, (n) => n.replaceAll("_", ""));
  write(`# ${file}: valid (defaults filled in, secrets redacted)\n${shardLine(config)}\n${toml}`);
  return EXIT.ok;
}

/** `# shard 1 of 3: records 4 of 12 cameras: camera-2, camera-6, camera-8 (disabled), cam-x` */
export function shardLine(config: Config): string {
  const { index, shards } = shardOf(config);
  const owned = ownedCameras(config);
  const list = owned.map((camera) => (camera.enabled ? camera.id : `${camera.id} (disabled)`)).join(", ");
  return `# shard ${index} of ${shards}: records ${owned.length} of ${config.cameras.length} cameras${owned.length ? `: ${list}` : ""}`;
}
