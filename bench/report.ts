import { existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * Rewrites only the part of BENCHMARKS.md between `<!-- NAME:begin -->` and `<!-- NAME:end -->`
 * (appended when missing), keeping every other section as it is.
 */
export function replaceSection(file: string, name: string, body: string): void {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const text = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const block = `${begin}\n${body.trim()}\n${end}`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  const next = from >= 0 && to > from ? text.slice(0, from) + block + text.slice(to + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
