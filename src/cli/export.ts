import type { Config } from "../config/schema.ts";
import { AppError } from "../errors.ts";
import type { CliArgs } from "./args.ts";

/** `export`: not built yet. */
export async function exportClip(_config: Config, _args: CliArgs): Promise<number> {
  throw new AppError("not_implemented", "'export' is not available in this build");
}
