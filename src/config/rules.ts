import type { Config } from "./schema.ts";

/** A cross-field rule: returns one line per problem it finds. */
type Rule = (config: Config) => string[];

const uniqueCameraIds: Rule = (config) => {
  const seen = new Map<string, number>();
  return config.cameras.flatMap((camera, i) => {
    const first = seen.get(camera.id);
    if (first === undefined) {
      seen.set(camera.id, i);
      return [];
    }
    return [`cameras[${i}].id: duplicate camera id "${camera.id}" (also cameras[${first}].id)`];
  });
};

const filesystemNeedsPath: Rule = ({ storage }) =>
  storage.type === "filesystem" && !storage.path ? ['storage.path: required when storage.type = "filesystem"'] : [];

const someCameraEnabled: Rule = ({ cameras }) =>
  cameras.some((camera) => camera.enabled) ? [] : ["cameras: no enabled camera (add a [[cameras]] table with enabled = true)"];

const knownTimezone: Rule = ({ recording }) =>
  recording.timezone === "local" || isTimezone(recording.timezone)
    ? []
    : [`recording.timezone: unknown timezone "${recording.timezone}" (an IANA name like "Europe/Berlin", "UTC" or "local")`];

const bothKeysOrNeither: Rule = ({ storage }) =>
  Boolean(storage.access_key_id) === Boolean(storage.secret_access_key)
    ? []
    : ["storage: access_key_id and secret_access_key go together (set both, or neither for the SDK's credential chain)"];

const endpointIsUrl: Rule = ({ storage }) =>
  !storage.endpoint || URL.canParse(storage.endpoint) ? [] : [`storage.endpoint: not a URL: "${storage.endpoint}"`];

export function isTimezone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const rules: Rule[] = [uniqueCameraIds, filesystemNeedsPath, someCameraEnabled, knownTimezone, bothKeysOrNeither, endpointIsUrl];
