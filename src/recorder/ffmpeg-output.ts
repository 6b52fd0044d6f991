/** One line of ffmpeg's stdout: a finished segment from the csv segment list, or a progress field. */
export type OutputLine =
  | { kind: "segment"; file: string; startSecs: number; endSecs: number }
  | { kind: "progress"; outTimeSecs: number }
  | { kind: "other" };

const SEGMENT = /^(.+\.mp4),(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/;

export function parseOutputLine(line: string): OutputLine {
  const segment = SEGMENT.exec(line);
  if (segment) return { kind: "segment", file: segment[1]!, startSecs: Number(segment[2]), endSecs: Number(segment[3]) };
  if (line.startsWith("out_time_us=")) {
    const micros = Number(line.slice("out_time_us=".length));
    if (Number.isFinite(micros)) return { kind: "progress", outTimeSecs: micros / 1e6 };
  }
  return { kind: "other" };
}
