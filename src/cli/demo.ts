import type { CliArgs } from "./args.ts";
import { AppError } from "../errors.ts";

export async function demo(_args: CliArgs): Promise<number> {
  throw new AppError("not_implemented", "demo: not implemented yet");
}
