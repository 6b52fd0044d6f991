import { SECRET_KEYS } from "./schema.ts";

const MASK = "***";
// scheme://user:password@ — the password part of any URL in any text, up to the last `@` before a
// space or quote: a password holding an unencoded `@` or `/` is masked whole (more rather than less).
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:@/"'<>]*):([^\s"'<>]*)@/gi;
// Environment variables whose values are secrets by their name: S3_SECRET_ACCESS_KEY, CAM1_PASSWORD,
// CAMPW, API_TOKEN, ACCESS_KEY_ID. Whole words, so PWD (the working directory) or KEYBOARD are not.
const SECRET_NAME = /PASS|SECRET|PW($|_)|(^|_)(KEY|TOKEN|CREDENTIALS?)($|_)/i;

/** `rtsp://user:secret@host/x` → `rtsp://user:***@host/x`; text without credentials is unchanged. */
export function redactUrl(text: string): string {
  return text.replace(URL_PASSWORD, `$1:${MASK}@`);
}

/**
 * The one redaction used by logs, errors, /health and every printed output: URL passwords, and
 * each known secret value wherever it appears (also URL-encoded, as ffmpeg may print it).
 */
export function createRedactor(secrets: Iterable<string>): (text: string) => string {
  const values = [...new Set([...secrets].flatMap((s) => [s, encodeURIComponent(s)]))]
    .filter((s) => s.length >= 3)
    .sort((a, b) => b.length - a.length);
  // Known values first: a password holding `@` or `/` is whole only before the URL pattern cuts it.
  return (text) => redactUrl(values.reduce((out, secret) => out.split(secret).join(MASK), text));
}

/**
 * Every secret value in a config tree, validated or not: values at SECRET_KEYS (whatever their
 * type) and the password of every URL.
 */
export function secretsOf(tree: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown, key: string | undefined): void => {
    if (key !== undefined && SECRET_KEYS.has(key) && node !== undefined && node !== null && typeof node !== "object") found.push(String(node));
    else if (typeof node === "string") {
      const password = passwordOf(node);
      if (password) found.push(password);
    } else if (Array.isArray(node)) node.forEach((item) => walk(item, undefined));
    else if (typeof node === "object" && node !== null) for (const [k, v] of Object.entries(node)) walk(v, k);
  };
  walk(tree, undefined);
  return [...new Set(found)];
}

/** Values of the environment variables that are secrets by their name (see SECRET_NAME). */
export function secretsOfEnv(env: Readonly<Record<string, string | undefined>>, names: Iterable<string> = Object.keys(env)): string[] {
  return [...names].filter((name) => SECRET_NAME.test(name)).flatMap((name) => (env[name] ? [env[name]!] : []));
}

function passwordOf(text: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^\s]*@/i.test(text)) return undefined;
  try {
    const password = new URL(text).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/** A copy of a config tree that is safe to print: SECRET_KEYS masked, URL passwords masked. */
export function redactConfig<T>(config: T): T {
  const walk = (node: unknown, key: string | undefined): unknown => {
    if (key !== undefined && SECRET_KEYS.has(key) && node !== undefined && node !== null) return MASK;
    if (typeof node === "string") return redactUrl(node);
    if (Array.isArray(node)) return node.map((item) => walk(item, undefined));
    if (typeof node === "object" && node !== null) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]));
    return node;
  };
  return walk(config, undefined) as T;
}
