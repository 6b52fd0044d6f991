/**
 * Why a camera is not recording, in the words the operator sees in the log, /health and /ready.
 * Wrong credentials, a wrong path and an unreachable host must be told apart: each needs a
 * different fix.
 */
export type FailureKind =
  | "auth" // 401: wrong user or password
  | "not_found" // 404: wrong stream path
  | "busy" // 503 or 453: the camera refuses another session (most cap concurrent clients)
  | "unreachable" // no route, connection refused, or no answer in time
  | "stream_ended" // the camera closed the stream
  | "stalled" // connected, but no media for stall_timeout_secs
  | "crashed" // ffmpeg died for another reason
  | "spawn_failed"; // ffmpeg could not be started at all

export const FAILURE_TEXT: Record<FailureKind, string> = {
  auth: "wrong credentials (401 Unauthorized)",
  not_found: "stream not found (404): check the path in rtsp_url",
  busy: "the camera refused the session (503): too many clients?",
  unreachable: "camera unreachable (connection refused, no route or timeout)",
  stream_ended: "the camera ended the stream",
  stalled: "no data from the camera within stall_timeout_secs",
  crashed: "ffmpeg exited unexpectedly",
  spawn_failed: "ffmpeg could not be started",
};

const PATTERNS: Array<[RegExp, FailureKind]> = [
  [/401 Unauthorized|authorization failed|403 Forbidden/i, "auth"],
  [/404 Not Found|454 Session Not Found/i, "not_found"],
  [/503 Service Unavailable|453 Not Enough Bandwidth/i, "busy"],
  [/Connection refused|No route to host|Network is unreachable|Host is unreachable|Connection timed out|timed out|Name or service not known|Temporary failure in name resolution|Operation timed out/i, "unreachable"],
  [/End of file|Connection reset by peer|Broken pipe|Invalid data found when processing input/i, "stream_ended"],
];

/** Classifies a failed ffmpeg run from its last stderr lines. */
export function classifyFailure(stderrTail: readonly string[]): FailureKind {
  const text = stderrTail.join("\n");
  for (const [pattern, kind] of PATTERNS) if (pattern.test(text)) return kind;
  return "crashed";
}

/** How one ffmpeg run ended, as the supervisor saw it. */
export interface RunEnd {
  exitCode: number | null;
  /** The supervisor's own watchdog ended it: no media for the stall timeout. */
  stalledByWatchdog: boolean;
  /** How long it recorded (0: never a frame). */
  recordedMs: number;
  /** Time from the last media progress (or the spawn) to the exit. */
  silentMs: number;
  stallTimeoutMs: number;
  stderr: readonly string[];
}

/**
 * Why a run ended. ffmpeg's own RTSP socket timeout (-timeout) ends a run silently with exit code
 * 0, or, during the handshake, with "Invalid data found when processing input" (exit 1): both
 * read like a camera that closed the stream. A run that was silent for half the stall timeout or
 * more before it ended timed out instead: `stalled` if it had recorded, `unreachable` if never.
 */
export function classifyRunEnd(run: RunEnd): FailureKind {
  if (run.stalledByWatchdog) return run.recordedMs > 0 ? "stalled" : "unreachable";
  const told = classifyFailure(run.stderr);
  const ambiguous = told === "stream_ended" || (told === "crashed" && run.exitCode === 0);
  if (!ambiguous) return told;
  if (run.silentMs >= run.stallTimeoutMs / 2) return run.recordedMs > 0 ? "stalled" : "unreachable";
  return "stream_ended";
}
