/**
 * Why a camera is not recording, in the words the operator sees in the log, /health and /ready.
 * Wrong credentials, a wrong path and an unreachable host must be told apart: each needs a
 * different fix.
 */
export type FailureKind =
  | "auth" // 401: wrong user or password
  | "not_found" // 404: wrong stream path
  | "unreachable" // no route, connection refused, or no answer in time
  | "stream_ended" // the camera closed the stream
  | "stalled" // connected, but no media for stall_timeout_secs
  | "crashed" // ffmpeg died for another reason
  | "spawn_failed"; // ffmpeg could not be started at all

export const FAILURE_TEXT: Record<FailureKind, string> = {
  auth: "wrong credentials (401 Unauthorized)",
  not_found: "stream not found (404): check the path in rtsp_url",
  unreachable: "camera unreachable (connection refused, no route or timeout)",
  stream_ended: "the camera ended the stream",
  stalled: "no data from the camera within stall_timeout_secs",
  crashed: "ffmpeg exited unexpectedly",
  spawn_failed: "ffmpeg could not be started",
};

const PATTERNS: Array<[RegExp, FailureKind]> = [
  [/401 Unauthorized|authorization failed|403 Forbidden/i, "auth"],
  [/404 Not Found|454 Session Not Found/i, "not_found"],
  [/Connection refused|No route to host|Network is unreachable|Host is unreachable|Connection timed out|timed out|Name or service not known|Temporary failure in name resolution|Operation timed out/i, "unreachable"],
  [/End of file|Connection reset by peer|Broken pipe|Invalid data found when processing input/i, "stream_ended"],
];

/** Classifies a failed ffmpeg run from its last stderr lines. */
export function classifyFailure(stderrTail: readonly string[]): FailureKind {
  const text = stderrTail.join("\n");
  for (const [pattern, kind] of PATTERNS) if (pattern.test(text)) return kind;
  return "crashed";
}
