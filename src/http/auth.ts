import { createHash, timingSafeEqual } from "node:crypto";

/** The status page and recordings API's credentials: `service.ui_user` and `service.ui_password`. */
export interface Credentials {
  user: string;
  password: string;
}

export const CHALLENGE = 'Basic realm="camera-recorder", charset="UTF-8"';

/**
 * True when the request carries the credentials in HTTP Basic form. Both sides are hashed first so
 * the comparison takes the same time whatever the input's length or content.
 */
export function isAuthorized(req: Request, expected: Credentials): boolean {
  const header = req.headers.get("authorization") ?? "";
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  const userOk = sameSecret(decoded.slice(0, colon), expected.user);
  const passwordOk = sameSecret(decoded.slice(colon + 1), expected.password);
  return userOk && passwordOk;
}

/** The user name a request claims (for a log line about a failed login; never the password). */
export function claimedUser(req: Request): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.get("authorization") ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(0, colon);
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}
