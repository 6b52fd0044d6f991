import type { FailureKind } from "./failure.ts";

/** Cameras lock accounts after repeated failed logins: wrong credentials wait much longer. */
const CAP_MS = 30_000;
const AUTH_CAP_MS = 5 * 60_000;
const FIRST_MS = 1_000;
/** Recording this long without a failure forgives every earlier one. */
export const HEALTHY_RESET_MS = 60_000;

/**
 * Delay before reconnect number `attempt` (0 for the first retry after a failure):
 * 1 s doubling to a 30 s cap, or to a 5 min cap after wrong credentials or a busy camera (a camera
 * that caps its sessions may count every refused attempt, and some lock accounts).
 */
export function reconnectDelay(attempt: number, kind: FailureKind): number {
  const cap = kind === "auth" || kind === "busy" ? AUTH_CAP_MS : CAP_MS;
  return Math.min(cap, FIRST_MS * 2 ** Math.min(attempt, 30));
}
