import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import type { LogFormat, LogLevel } from "../log.ts";

export const COMMANDS = ["run", "check-config", "probe", "demo", "list", "export", "prune"] as const;
export type Command = (typeof COMMANDS)[number] | "help" | "version";

export interface CliArgs {
  command: Command;
  config?: string;
  dir?: string;
  /** list, export: the camera id. */
  camera?: string;
  /** list, export: the range, as typed (parsed by the command, which knows the timezone). */
  from?: string;
  to?: string;
  /** list: one JSON array instead of lines. */
  json?: boolean;
  /** export: the output file. */
  output?: string;
  /** prune: say what would go, delete nothing. */
  dryRun?: boolean;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
}

const HINT = "run 'camera-recorder --help' for usage";
const LEVELS = ["debug", "info", "warn", "error"];
const FORMATS = ["auto", "json", "pretty"];

/** argv (without the executable) to a command and its options; anything unknown is a UsageError. */
export function parseCli(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: "string" },
        dir: { type: "string" },
        camera: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        json: { type: "boolean" },
        output: { type: "string", short: "o" },
        "dry-run": { type: "boolean" },
        "log-level": { type: "string" },
        "log-format": { type: "string" },
        version: { type: "boolean", short: "V" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(`${firstLine(error)} (${HINT})`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: "help" };
  if (values.version) return { command: "version" };
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (${HINT})`);
  const command = positionals[0] ?? "run";
  if (!isCommand(command)) throw new UsageError(`unknown command '${command}' (${HINT})`);
  if (values.dir !== undefined && command !== "demo") throw new UsageError(`--dir goes with 'demo' only (${HINT})`);
  if (values.config !== undefined && command === "demo") throw new UsageError(`'demo' takes --dir, not --config (${HINT})`);
  for (const [flag, value, commands] of FLAG_COMMANDS(values)) {
    if (value !== undefined && !commands.includes(command)) throw new UsageError(`--${flag} goes with ${commands.map((c) => `'${c}'`).join(" or ")} only (${HINT})`);
  }
  if ((command === "list" || command === "export") && !values.camera) throw new UsageError(`'${command}' needs --camera ID (${HINT})`);
  if (command === "export" && (!values.from || !values.to)) throw new UsageError(`'export' needs --from TIME and --to TIME (${HINT})`);
  return {
    command,
    config: values.config,
    dir: values.dir,
    camera: values.camera,
    from: values.from,
    to: values.to,
    json: values.json,
    output: values.output,
    dryRun: values["dry-run"],
    logLevel: oneOf("--log-level", values["log-level"], LEVELS) as LogLevel | undefined,
    logFormat: oneOf("--log-format", values["log-format"], FORMATS) as LogFormat | undefined,
  };
}

/** Each command-specific flag and the commands it goes with. */
function FLAG_COMMANDS(values: Record<string, string | boolean | undefined>): Array<[string, unknown, Command[]]> {
  return [
    ["camera", values.camera, ["list", "export"]],
    ["from", values.from, ["list", "export"]],
    ["to", values.to, ["list", "export"]],
    ["json", values.json, ["list"]],
    ["output", values.output, ["export"]],
    ["dry-run", values["dry-run"], ["prune"]],
  ];
}

function isCommand(name: string): name is (typeof COMMANDS)[number] {
  return (COMMANDS as readonly string[]).includes(name);
}

function oneOf(flag: string, value: string | undefined, allowed: string[]): string | undefined {
  if (value === undefined || allowed.includes(value)) return value;
  throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, got '${value}' (${HINT})`);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.replace(/\. To specify a positional argument.*$/, "");
}

export const HELP = `camera-recorder: records RTSP cameras into wall-clock-aligned MP4 segments and uploads them.

Usage:
  camera-recorder [run] [--config PATH]        record until SIGTERM/SIGINT
  camera-recorder check-config [--config PATH] validate; print the resolved config, secrets redacted
  camera-recorder probe [--config PATH]        reach every camera and the storage; one line per check
  camera-recorder demo [--dir DIR]             a built-in synthetic camera recorded to DIR (default ./recordings)
  camera-recorder list [--config PATH] --camera ID [--from TIME] [--to TIME] [--json]
                                               recorded spans and gaps (default: the last 24 hours)
  camera-recorder export [--config PATH] --camera ID --from TIME --to TIME [-o FILE]
                                               one MP4 of the range, video and audio copied
  camera-recorder prune [--config PATH] [--dry-run]
                                               apply the storage retention once; one line per camera
  camera-recorder --version | --help

Options:
  --config PATH          config file (else $CAMERA_RECORDER_CONFIG, else /etc/camera-recorder/config.toml)
  --log-level LEVEL      debug | info | warn | error (overrides service.log_level)
  --log-format FORMAT    auto | json | pretty (overrides service.log_format)

TIME: RFC 3339 (2026-11-24T14:30:00Z) or "YYYY-MM-DD HH:MM[:SS]" in recording.timezone.

Exit codes: 0 success, 1 runtime failure (probe: a check failed), 2 usage or config error.
`;
