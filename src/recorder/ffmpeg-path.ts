import { accessSync, constants } from "node:fs";
import { AppError } from "../errors.ts";

/**
 * The ffmpeg to run: `recording.ffmpeg_path` (FFMPEG_PATH stands in when it is omitted), a path or
 * a name looked up on PATH. Missing ffmpeg is a startup error that says where it looked.
 */
export function locateFfmpeg(configured: string, pathEnv: string | undefined): string {
  if (configured.includes("/")) {
    if (isExecutable(configured)) return configured;
    throw new AppError("ffmpeg_not_found", `ffmpeg not found: ${configured} is not an executable file (recording.ffmpeg_path or FFMPEG_PATH)`);
  }
  const found = Bun.which(configured, { PATH: pathEnv ?? "" });
  if (found) return found;
  throw new AppError("ffmpeg_not_found", `ffmpeg not found: no "${configured}" on PATH (${pathEnv ?? "unset"}); install ffmpeg or set recording.ffmpeg_path or FFMPEG_PATH`);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
