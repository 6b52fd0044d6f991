import { resolve } from "node:path";
import { systemClock } from "../clock.ts";
import { parseConfig } from "../config/load.ts";
import { createLogger } from "../log.ts";
import type { CliArgs } from "./args.ts";
import { runService } from "./run.ts";

const SEGMENT_SECS = 10;

/**
 * `demo`: a built-in synthetic camera (ffmpeg's test pattern with a running clock and a tone, in
 * real time) recorded through the very same pipeline as a real camera: supervisor, spool, uploader
 * and the filesystem backend, into DIR with the storage layout.
 */
export async function demo(args: CliArgs): Promise<number> {
  const dir = resolve(args.dir ?? "./recordings");
  const config = parseConfig(
    `[service]
metrics_host = "127.0.0.1"
metrics_port = 0
shutdown_timeout_secs = 15
[storage]
type = "filesystem"
path = ${JSON.stringify(dir)}
[recording]
temp_dir = ${JSON.stringify(`${dir}/.spool`)}
local_retention_minutes = 0
[[cameras]]
id = "demo"
name = "Synthetic demo camera"
rtsp_url = "rtsp://synthetic.invalid/demo"
segment_duration_secs = ${SEGMENT_SECS}
`,
    "(demo)",
    process.env,
  );
  const log = createLogger({ level: args.logLevel ?? "info", format: args.logFormat ?? "auto" });
  log.info(`demo: recording a synthetic camera into ${dir}/demo/ in ${SEGMENT_SECS} s segments; Ctrl-C stops`);
  return runService({ config, log, clock: systemClock, sourceOf: () => ({ kind: "synthetic" }) });
}
