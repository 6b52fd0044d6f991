import type { Config } from "../config/schema.ts";
import { AppError } from "../errors.ts";
import type { CliArgs } from "./args.ts";

/** `prune`: not built yet. */
export async function prune(_config: Config, _args: CliArgs): Promise<number> {
  throw new AppError("not_implemented", "'prune' is not available in this build");
}
