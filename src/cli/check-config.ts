import TOML from "@iarna/toml";
import { redactConfig } from "../config/redact.ts";
import type { Config } from "../config/schema.ts";
import { EXIT } from "../errors.ts";

/** `check-config`: the config is already loaded and valid here; print it resolved and redacted. */
export function checkConfig(config: Config, file: string, write: (text: string) => void): number {
  const printable = JSON.parse(JSON.stringify(redactConfig(config)));
  // @iarna/toml writes 9090 as 9_090: valid TOML, but not what an operator typed.
  const toml = TOML.stringify(printable).replace(/(?<==\s*)(\d{1,3}(?:_\d{3})+)$/gm, (n) => n.replaceAll("_", ""));
  write(`# ${file}: valid (defaults filled in, secrets redacted)\n${toml}`);
  return EXIT.ok;
}
