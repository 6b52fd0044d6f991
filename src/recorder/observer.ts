import type { Segment } from "../spool/segment.ts";

/** What a camera's supervisor reports as it happens; the metrics and the uploader listen. */
export interface RecorderObserver {
  connected(cameraId: string, connected: boolean): void;
  segmentRecorded(segment: Segment): void;
  /** Bytes ffmpeg wrote since the last report: counted as they are written, each byte once. */
  recordingBytes(cameraId: string, bytes: number): void;
  ffmpegRestarted(cameraId: string): void;
  reconnected(cameraId: string): void;
}

export const ignoreRecorderEvents: RecorderObserver = {
  connected: () => {},
  segmentRecorded: () => {},
  recordingBytes: () => {},
  ffmpegRestarted: () => {},
  reconnected: () => {},
};
