import { systemClock } from "../clock.ts";
import type { Config } from "../config/schema.ts";
import { EXIT } from "../errors.ts";
import type { Logger } from "../log.ts";
import { Service, type ServiceOptions } from "../service.ts";
import type { CliArgs } from "./args.ts";
import { loggerFor } from "./logger.ts";

/** `run`: record until SIGTERM/SIGINT; a second signal stops at once. */
export async function run(config: Config, args: CliArgs): Promise<number> {
  return runService({ config, log: loggerFor(config, args), clock: systemClock });
}

export async function runService(options: ServiceOptions): Promise<number> {
  const { config, log, clock } = options;
  const service = new Service(options);
  const stopRequested = Promise.withResolvers<string>();
  const forced = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals === 1) return stopRequested.resolve(signal);
    if (forced.signal.aborted) return;
    log.warn(`${signal} again: stopping now; what is not finalized or uploaded stays in the spool for the next start`);
    forced.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  try {
    await service.start();
  } catch (error) {
    await service.stop(clock.now(), AbortSignal.abort()).catch(() => {});
    throw error;
  }
  const signal = await stopRequested.promise;
  return shutdown(service, signal, config, log, clock.now(), forced.signal);
}

async function shutdown(service: Service, signal: string, config: Config, log: Logger, now: number, forced: AbortSignal): Promise<number> {
  const timeoutSecs = config.service.shutdown_timeout_secs;
  log.info(`${signal} received: finalizing segments, then uploading for up to ${timeoutSecs} s (send it again to stop now)`);
  const result = await service.stop(now + timeoutSecs * 1000, forced);
  if (result.left === 0) log.info(`shutdown complete: ${result.finalized} segment(s) finalized, nothing left to upload`);
  else log.warn(`shutdown complete: ${result.finalized} segment(s) finalized, ${result.left} left in the spool for the next start`);
  return EXIT.ok;
}
