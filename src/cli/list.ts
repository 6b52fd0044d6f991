import type { Config } from "../config/schema.ts";
import { AppError } from "../errors.ts";
import type { CliArgs } from "./args.ts";

/** `list`: not built yet. */
export async function list(_config: Config, _args: CliArgs): Promise<number> {
  throw new AppError("not_implemented", "'list' is not available in this build");
}
