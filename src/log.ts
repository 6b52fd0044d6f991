import { createConsola, type ConsolaInstance, type LogObject } from "consola";
import { redactUrl } from "./config/redact.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "auto" | "json" | "pretty";
export type Fields = Record<string, unknown>;

/** One line per event: a message and flat fields (`camera_id` among them where it applies). */
export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger that adds these fields to every line. */
  child(fields: Fields): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Applied to the message and every string field before anything is written. */
  redact?: (text: string) => string;
  write?: (line: string) => void;
  isTTY?: boolean;
}

const CONSOLA_LEVEL: Record<LogLevel, number> = { error: 0, warn: 1, info: 3, debug: 4 };

export function createLogger(options: LoggerOptions): Logger {
  const redact = options.redact ?? redactUrl;
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const json = options.format === "json" || (options.format === "auto" && !(options.isTTY ?? process.stdout.isTTY));
  const consola = createConsola({
    level: CONSOLA_LEVEL[options.level],
    ...(json ? { reporters: [{ log: (entry: LogObject) => write(jsonLine(entry)) }] } : {}),
    formatOptions: { date: true, colors: true, compact: true },
  });
  return bind(consola, {}, redact, json);
}

function bind(consola: ConsolaInstance, base: Fields, redact: (t: string) => string, json: boolean): Logger {
  const emit = (level: LogLevel) => (msg: string, fields?: Fields) => {
    const all = cleanFields({ ...base, ...fields }, redact);
    if (json) consola[level](redact(msg), all);
    else consola[level](prettyLine(redact(msg), all));
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (fields) => bind(consola, { ...base, ...fields }, redact, json),
  };
}

function jsonLine(entry: LogObject): string {
  const [msg, fields] = entry.args as [string, Fields];
  const level = entry.type === "log" ? "info" : entry.type;
  return `${JSON.stringify({ time: entry.date.toISOString(), level, msg, ...fields })}\n`;
}

function prettyLine(msg: string, fields: Fields): string {
  const camera = fields.camera_id ? `[${fields.camera_id}] ` : "";
  const rest = Object.entries(fields)
    .filter(([key]) => key !== "camera_id")
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  return `${camera}${msg}${rest.length ? `  ${rest.join(" ")}` : ""}`;
}

function cleanFields(fields: Fields, redact: (t: string) => string): Fields {
  const out: Fields = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = redactDeep(value, redact);
  return out;
}

/** Every string inside a field, however deep: a nested object must not carry a secret past the edge. */
function redactDeep(value: unknown, redact: (t: string) => string): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact));
  if (value instanceof Error) return redact(value.message);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact)]));
  return value;
}
