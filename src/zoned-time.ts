/** Wall-clock date and time in a timezone (an IANA name, or "local" for the machine's zone). */
export interface WallTime {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock parts of an instant in `timezone`, zero-padded (`2026-10-25 02:30:00`). */
export function wallParts(ms: number, timezone: string): WallTime {
  let format = formatters.get(timezone);
  if (!format) {
    const timeZone = timezone === "local" ? undefined : timezone;
    format = new Intl.DateTimeFormat("en-CA", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    formatters.set(timezone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/**
 * The instants a wall-clock time names in `timezone`, earliest first: one normally, two in the hour
 * that repeats when daylight saving time ends, none in the hour it skips.
 */
export function instantsOf(wall: WallTime, timezone: string): number[] {
  const asUtc = Date.UTC(+wall.year, +wall.month - 1, +wall.day, +wall.hour, +wall.minute, +wall.second);
  // Offsets in use a day either side cover every transition near the time.
  const offsets = new Set([-86_400_000, 0, 86_400_000].map((d) => zoneOffsetMs(asUtc + d, timezone)));
  return [...offsets]
    .map((offset) => asUtc - offset)
    .filter((ms) => sameWall(wallParts(ms, timezone), wall))
    .sort((a, b) => a - b);
}

/** The earliest instant a wall-clock time names; in a skipped hour, the instant after the gap. */
export function zonedToEpochMs(wall: WallTime, timezone: string): number {
  const [first] = instantsOf(wall, timezone);
  if (first !== undefined) return first;
  const asUtc = Date.UTC(+wall.year, +wall.month - 1, +wall.day, +wall.hour, +wall.minute, +wall.second);
  return asUtc - zoneOffsetMs(asUtc - 86_400_000, timezone);
}

/** Local time minus UTC at an instant in `timezone`, ms (UTC+1 is 3,600,000). */
export function zoneOffsetMs(ms: number, timezone: string): number {
  const w = wallParts(ms, timezone);
  const asUtc = Date.UTC(+w.year, +w.month - 1, +w.day, +w.hour, +w.minute, +w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

function sameWall(a: WallTime, b: WallTime): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute && a.second === b.second;
}
