import type { Segment } from "../spool/segment.ts";

/** What a camera's supervisor reports as it happens; the metrics and the uploader listen. */
export interface RecorderObserver {
  connected(cameraId: string, connected: boolean): void;
  segmentRecorded(segment: Segment): void;
  ffmpegRestarted(cameraId: string): void;
  reconnected(cameraId: string): void;
}

export const ignoreRecorderEvents: RecorderObserver = {
  connected: () => {},
  segmentRecorded: () => {},
  ffmpegRestarted: () => {},
  reconnected: () => {},
};
