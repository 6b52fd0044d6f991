import { systemClock } from "../clock.ts";
import type { Config } from "../config/schema.ts";
import { EXIT } from "../errors.ts";
import type { Logger } from "../log.ts";
import { Service, type ServiceOptions } from "../service.ts";
import type { CliArgs } from "./args.ts";
import { loggerFor } from "./logger.ts";

/** After SIGTERM, the process is gone this long after shutdown_timeout_secs, whatever hangs. */
export const HARD_DEADLINE_EXTRA_MS = 10_000;
/** After a second signal, the process is gone within this, whatever hangs. */
export const FORCED_DEADLINE_MS = 5_000;

/** `run`: record until SIGTERM/SIGINT; a second signal stops at once. */
export async function run(config: Config, args: CliArgs): Promise<number> {
  return runService({ config, log: loggerFor(config, args), clock: systemClock });
}

/**
 * The owner of the shutdown. First signal: graceful stop (finalize, drain for up to
 * shutdown_timeout_secs). Second signal: stop now. Each comes with a hard deadline that exits the
 * process whatever hangs (a remux, a storage that never answers, a stuck filesystem): nothing is
 * lost by that, since every segment is in the spool until the storage confirmed it, and ffmpeg
 * dies with the process (recorder/tied-spawn.ts).
 */
export async function runService(options: ServiceOptions, exit: (code: number) => void = (code) => process.exit(code)): Promise<number> {
  const { config, log, clock } = options;
  const service = new Service(options);
  const stopRequested = Promise.withResolvers<string>();
  const forced = new AbortController();
  let phase = "starting";
  let signals = 0;
  const giveUp = (why: string) => {
    log.error(`${why} while ${phase}: exiting now; every segment not yet uploaded stays in the spool for the next start`);
    exit(EXIT.failure);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals === 1) {
      const limitMs = config.service.shutdown_timeout_secs * 1000 + HARD_DEADLINE_EXTRA_MS;
      setTimeout(() => giveUp(`shutdown not finished ${limitMs / 1000} s after ${signal}`), limitMs).unref();
      return stopRequested.resolve(signal);
    }
    if (forced.signal.aborted) return;
    log.warn(`${signal} again: stopping now; what is not finalized or uploaded stays in the spool for the next start`);
    setTimeout(() => giveUp(`not stopped ${FORCED_DEADLINE_MS / 1000} s after the second signal`), FORCED_DEADLINE_MS).unref();
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
  phase = "recording";
  const signal = await stopRequested.promise;
  return shutdown(service, signal, config, log, clock.now(), forced.signal, (what) => (phase = what));
}

async function shutdown(service: Service, signal: string, config: Config, log: Logger, now: number, forced: AbortSignal, phase: (what: string) => void): Promise<number> {
  const timeoutSecs = config.service.shutdown_timeout_secs;
  log.info(`${signal} received: finalizing segments, then uploading for up to ${timeoutSecs} s (send it again to stop now)`);
  const result = await service.stop(now + timeoutSecs * 1000, forced, phase);
  if (result.left === 0) log.info(`shutdown complete: ${result.finalized} segment(s) finalized, nothing left to upload`);
  else log.warn(`shutdown complete: ${result.finalized} segment(s) finalized, ${result.left} left in the spool for the next start`);
  return EXIT.ok;
}
