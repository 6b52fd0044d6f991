import { createRedactor, secretsOf, secretsOfEnv } from "../config/redact.ts";
import type { Config } from "../config/schema.ts";
import { createLogger, type Logger } from "../log.ts";
import type { CliArgs } from "./args.ts";

/** The service's logger: config level and format, overridden by flags; every secret redacted. */
export function loggerFor(config: Config, args: CliArgs): Logger {
  return createLogger({
    level: args.logLevel ?? config.service.log_level,
    format: args.logFormat ?? config.service.log_format,
    redact: createRedactor([...secretsOf(config), ...secretsOfEnv(process.env)]),
  });
}
