import { formatPath, type KeyPath } from "./path.ts";

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string value of a parsed TOML tree.
 * Returns the new tree, one problem per unset variable (naming the key it was used in) and the
 * names of the variables used.
 */
export function substituteEnv(value: unknown, env: Env, path: KeyPath = []): { value: unknown; problems: string[]; used: string[] } {
  const problems: string[] = [];
  const used = new Set<string>();
  const walk = (node: unknown, at: KeyPath): unknown => {
    if (typeof node === "string") return substituteString(node, env, at, problems, used);
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...at, i]));
    if (isTable(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...at, k])]));
    return node;
  };
  // walk runs first: `used` is complete when it is read.
  return { value: walk(value, path), problems, used: [...used] };
}

function substituteString(text: string, env: Env, at: KeyPath, problems: string[], used: Set<string>): string {
  return text.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
    used.add(name);
    const found = env[name];
    if (found !== undefined && found !== "") return found;
    if (fallback !== undefined) return fallback;
    if (found === undefined) problems.push(`${formatPath(at)}: environment variable ${name} is not set`);
    return "";
  });
}

export function isTable(node: unknown): node is Record<string, unknown> {
  return typeof node === "object" && node !== null && !Array.isArray(node) && !(node instanceof Date);
}
