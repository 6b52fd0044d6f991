import type { CliArgs } from "./args.ts";
import type { Config } from "../config/schema.ts";
import { AppError } from "../errors.ts";

export async function run(_config: Config, _args: CliArgs): Promise<number> {
  throw new AppError("not_implemented", "run: not implemented yet");
}
