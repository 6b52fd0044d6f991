import type { Config } from "./schema.ts";

const MASK = "***";
// scheme://user:password@ — the password part of any URL in any text.
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*):([^\s@/]*)@/gi;

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
  return (text) => values.reduce((out, secret) => out.split(secret).join(MASK), redactUrl(text));
}

/** Every secret value in a config: S3 keys and camera passwords. */
export function secretsOf(config: Config): string[] {
  const passwords = config.cameras.flatMap((camera) => {
    const password = passwordOf(camera.rtsp_url);
    return password ? [password] : [];
  });
  return [...passwords, ...[config.storage.secret_access_key, config.service.ui_password].filter((s): s is string => Boolean(s))];
}

function passwordOf(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/** A copy of the config that is safe to print. */
export function redactConfig(config: Config): Config {
  return {
    ...config,
    service: { ...config.service, ...(config.service.ui_password ? { ui_password: MASK } : {}) },
    storage: {
      ...config.storage,
      ...(config.storage.secret_access_key ? { secret_access_key: MASK } : {}),
    },
    cameras: config.cameras.map((camera) => ({ ...camera, rtsp_url: redactUrl(camera.rtsp_url) })),
  };
}
