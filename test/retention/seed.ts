import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { objectKey, objectMetadata } from "../../src/upload/key.ts";
import type { S3Server } from "../fixtures/s3.ts";

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface Seeded {
  key: string;
  startMs: number;
  bytes: number;
}

/** `count` 15-minute segments of `cameraId`, one every `everyMs`, the newest starting at `newestMs`; keys as the service writes them. */
export function segmentsOf(cameraId: string, keyPrefix: string, newestMs: number, count: number, everyMs: number, bytes = 100): Seeded[] {
  return Array.from({ length: count }, (_, i) => {
    const startMs = newestMs - i * everyMs;
    return { key: objectKey({ cameraId, startMs, cut: "start", configuredSecs: 900 }, keyPrefix, "UTC"), startMs, bytes };
  }).reverse();
}

/** Stores them in s3rver with the service's content type and metadata, 16 at a time. */
export async function seedS3(s3: S3Server, bucket: string, segments: Seeded[], cameraId: string): Promise<void> {
  await s3.client.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => {});
  for (let i = 0; i < segments.length; i += 16) {
    await Promise.all(
      segments.slice(i, i + 16).map((s) =>
        s3.client.send(new PutObjectCommand({
          Bucket: bucket, Key: s.key, Body: Buffer.alloc(s.bytes, 7), ContentType: "video/mp4",
          Metadata: objectMetadata({ cameraId, startMs: s.startMs, durationMs: 900_000 }),
        })),
      ),
    );
  }
}

/** Writes them as files under `root`, each with its mtime at the segment's end (as if uploaded then). */
export function seedFiles(root: string, segments: Seeded[]): void {
  for (const s of segments) {
    const path = join(root, s.key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.alloc(s.bytes, 7));
    const end = new Date(Math.min(Date.now(), s.startMs + 900_000));
    utimesSync(path, end, end);
  }
}
