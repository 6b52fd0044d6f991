/**
 * Requests whose response streams for long (a clip): the server lifts its idle timeout for them, so
 * a player that stops reading while its buffer is full is not cut off after Bun's default 10 s.
 */
const longLived = new WeakSet<Request>();

export function markLongLived(req: Request): void {
  longLived.add(req);
}

export function isLongLived(req: Request): boolean {
  return longLived.has(req);
}
