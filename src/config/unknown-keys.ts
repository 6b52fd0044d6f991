import type * as v from "valibot";
import { isTable } from "./env.ts";
import { formatPath, type KeyPath } from "./path.ts";

type AnySchema = v.GenericSchema & { wrapped?: AnySchema; pipe?: AnySchema[]; entries?: Record<string, AnySchema>; item?: AnySchema };

/** Every key the schema does not know, with the closest known key as a hint. */
export function findUnknownKeys(schema: v.GenericSchema, value: unknown, path: KeyPath = []): string[] {
  const inner = unwrap(schema as AnySchema);
  if (inner.entries && isTable(value)) {
    const known = Object.keys(inner.entries);
    return Object.entries(value).flatMap(([k, child]) => {
      const entry = inner.entries?.[k];
      if (entry) return findUnknownKeys(entry, child, [...path, k]);
      const hint = closest(k, known);
      return [`${formatPath([...path, k])}: unknown key${hint ? ` (did you mean ${hint}?)` : ""}`];
    });
  }
  if (inner.item && Array.isArray(value)) {
    const item = inner.item;
    return value.flatMap((child, i) => findUnknownKeys(item, child, [...path, i]));
  }
  return [];
}

function unwrap(schema: AnySchema): AnySchema {
  if (schema.wrapped) return unwrap(schema.wrapped);
  if (schema.pipe?.[0] && schema.pipe[0] !== schema) return unwrap(schema.pipe[0]);
  return schema;
}

/** The known key nearest to a misspelt one, if it is near enough to be what was meant. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = row;
  }
  return previous[b.length]!;
}
