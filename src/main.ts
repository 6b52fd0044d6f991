import { HELP, parseCli, type CliArgs } from "./cli/args.ts";
import { checkConfig } from "./cli/check-config.ts";
import { loadConfigFile, resolveConfigPath } from "./config/load.ts";
import { createRedactor, secretsOf, secretsOfEnv } from "./config/redact.ts";
import { AppError, EXIT, describe } from "./errors.ts";
import { versionLine } from "./version.ts";

/**
 * Applied to every line this edge writes to stderr: URL passwords and secret-named variables from
 * the start, and the config's secrets once it is loaded. A message that forgot to redact stays safe.
 */
let redact = createRedactor(secretsOfEnv(process.env));

/** Wiring only: argv to a command, errors to exit codes. */
async function main(argv: string[]): Promise<number> {
  const args = parseCli(argv);
  switch (args.command) {
    case "help":
      process.stdout.write(HELP);
      return EXIT.ok;
    case "version":
      process.stdout.write(`${versionLine()}\n`);
      return EXIT.ok;
    case "demo":
      return (await import("./cli/demo.ts")).demo(args);
    default:
      return withConfig(args);
  }
}

async function withConfig(args: CliArgs): Promise<number> {
  const source = resolveConfigPath(args.config, process.env);
  const config = await loadConfigFile(source, process.env);
  redact = createRedactor([...secretsOfEnv(process.env), ...secretsOf(config)]);
  switch (args.command) {
    case "check-config":
      return checkConfig(config, source.path, (text) => process.stdout.write(text));
    case "probe":
      return (await import("./cli/probe.ts")).probe(config, args);
    case "list":
      return (await import("./cli/list.ts")).list(config, args);
    case "export":
      return (await import("./cli/export.ts")).exportClip(config, args);
    case "prune":
      return (await import("./cli/prune.ts")).prune(config, args);
    default:
      return (await import("./cli/run.ts")).run(config, args);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
  // The service's clients and timers may still hold the event loop: the command's result is final.
  process.exit(process.exitCode);
} catch (error) {
  if (error instanceof AppError) {
    for (const line of error.lines()) process.stderr.write(`camera-recorder: ${redact(line)}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`camera-recorder: unexpected failure: ${redact(describe(error))}\n`);
    process.exitCode = EXIT.failure;
  }
}
