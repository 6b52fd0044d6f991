/** A key path as the operator reads it: `cameras[1].segment_duration_secs`. */
export type KeyPath = ReadonlyArray<string | number>;

export function formatPath(path: KeyPath): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join("");
}
