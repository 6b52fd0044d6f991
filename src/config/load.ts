import { hostname as osHostname } from "node:os";
import TOML from "@iarna/toml";
import * as v from "valibot";
import { AppError, ConfigError, EXIT } from "../errors.ts";
import { substituteEnv, isTable, type Env } from "./env.ts";
import { formatPath } from "./path.ts";
import { createRedactor, secretsOf, secretsOfEnv } from "./redact.ts";
import { rules } from "./rules.ts";
import { resolveShardIndex } from "./shard.ts";
import { ConfigSchema, SECRET_KEYS, type Config } from "./schema.ts";
import { findUnknownKeys } from "./unknown-keys.ts";

export const DEFAULT_CONFIG_PATH = "/etc/camera-recorder/config.toml";

/** Where the config path came from, so that a missing file can say who chose it. */
export interface ConfigSource {
  path: string;
  chosenBy: "--config" | "CAMERA_RECORDER_CONFIG" | "default";
}

export function resolveConfigPath(flag: string | undefined, env: Env): ConfigSource {
  if (flag) return { path: flag, chosenBy: "--config" };
  const fromEnv = env.CAMERA_RECORDER_CONFIG;
  if (fromEnv) return { path: fromEnv, chosenBy: "CAMERA_RECORDER_CONFIG" };
  return { path: DEFAULT_CONFIG_PATH, chosenBy: "default" };
}

/** `hostname` gives the shard index when shards > 1 and shard_index is "" (see shard.ts). */
export async function loadConfigFile(source: ConfigSource, env: Env, hostname = osHostname()): Promise<Config> {
  let text: string;
  try {
    text = await Bun.file(source.path).text();
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : describeReadError(error);
    const chosen = source.chosenBy === "default" ? "the default path" : source.chosenBy;
    throw new AppError("config_unreadable", `cannot read config file ${source.path} (chosen by ${chosen}): ${why}`, EXIT.usage);
  }
  return parseConfig(text, source.path, env, hostname);
}

/**
 * TOML text to a validated, frozen Config; every problem at once in one ConfigError.
 * The result's `service.shard_index` is always a number: resolved from `hostname` when it was "".
 */
export function parseConfig(text: string, file: string, env: Env, hostname = ""): Config {
  const raw = parseToml(text, file);
  const unknown = findUnknownKeys(ConfigSchema, raw);
  const substituted = substituteEnv(applyEnvDefaults(raw, env), env);
  const parsed = v.safeParse(ConfigSchema, substituted.value);
  const problems = [...unknown, ...substituted.problems];
  // A key whose variable is unset was already reported; its empty value would only repeat that.
  const reported = new Set(substituted.problems.map((problem) => problem.slice(0, problem.indexOf(": "))));
  if (!parsed.success) problems.push(...parsed.issues.map(describeIssue).filter((line) => !reported.has(line.slice(0, line.indexOf(": ")))));
  else problems.push(...rules.flatMap((rule) => rule(parsed.output)));
  const shard = parsed.success ? resolveShardIndex(parsed.output.service, hostname) : { index: 0 };
  if ("problem" in shard) problems.push(shard.problem);
  if (problems.length > 0 || !parsed.success) {
    // Never a secret in an error: values at secret keys, URL passwords, secret-named variables.
    const redact = createRedactor([...secretsOf(substituted.value), ...secretsOfEnv(env, substituted.used)]);
    throw new ConfigError(file, problems.map(redact));
  }
  return deepFreeze(withDerivedDefaults(parsed.output, "index" in shard ? shard.index : 0));
}

/** Defaults that depend on other keys or the host: a camera's name is its id; the shard index. */
function withDerivedDefaults(config: Config, shardIndex: number): Config {
  return {
    ...config,
    service: { ...config.service, shard_index: shardIndex },
    cameras: config.cameras.map((camera) => ({ ...camera, name: camera.name ?? camera.id })),
  };
}

function parseToml(text: string, file: string): Record<string, unknown> {
  try {
    return TOML.parse(text) as Record<string, unknown>;
  } catch (error) {
    const e = error as { line?: number; col?: number; message: string };
    const what = e.message.split("\n")[0]!.replace(/ at row \d+, col \d+, pos \d+:$/, "");
    const where = e.line === undefined ? file : `${file}:${e.line + 1}:${(e.col ?? 0) + 1}`;
    throw new ConfigError(where, [`TOML syntax error: ${what}`]);
  }
}

/** FFMPEG_PATH stands in for recording.ffmpeg_path when the file leaves it out. */
function applyEnvDefaults(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
  const recording = isTable(raw.recording) ? raw.recording : {};
  if (!env.FFMPEG_PATH || recording.ffmpeg_path !== undefined) return raw;
  return { ...raw, recording: { ...recording, ffmpeg_path: env.FFMPEG_PATH } };
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const keys = issue.path?.map((item) => item.key as string | number) ?? [];
  const path = formatPath(keys) || "config";
  // A secret's value is never shown, not even a wrong one: its type says enough.
  const received = SECRET_KEYS.has(String(keys.at(-1))) ? `${article(typeof issue.input)} (value not shown)` : issue.received;
  if (issue.kind === "schema" && issue.type !== "picklist" && issue.type !== "union") {
    return `${path}: expected ${article(issue.expected ?? "value")}, got ${received}`;
  }
  if (issue.type === "non_empty") return `${path}: ${issue.message}`;
  return `${path}: ${issue.message}, got ${received}`;
}

function article(expected: string): string {
  const name = expected === "Array" ? "list" : expected === "Object" ? "table" : expected;
  return /^[a-z]/.test(name) ? `${/^[aeiou]/.test(name) ? "an" : "a"} ${name}` : name;
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return code ?? String(error);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
