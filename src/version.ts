import pkg from "../package.json" with { type: "json" };

// Replaced by `bun build --define` in scripts/build.ts; absent when run from source.
declare const BUILD_COMMIT: string | undefined;

export const VERSION: string = pkg.version;
export const COMMIT: string = typeof BUILD_COMMIT === "string" ? BUILD_COMMIT : "unknown";

export function versionLine(): string {
  return `camera-recorder ${VERSION}${COMMIT !== "unknown" ? ` (commit ${COMMIT})` : ""}`;
}
