// The plainest S3 client for the comparison: one PutObject per file with the SDK, a file stream
// as body, N at a time. usage: bun plain-put.ts ENDPOINT BUCKET CONCURRENCY FILE...
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createReadStream, statSync } from "node:fs";
import { basename } from "node:path";

const [endpoint, bucket, concurrency, ...files] = process.argv.slice(2);
const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }, requestChecksumCalculation: "WHEN_REQUIRED" });
await client.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => {});
const queue = [...files];
const started = performance.now();
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: basename(file), Body: createReadStream(file), ContentLength: statSync(file).size, ContentType: "video/mp4" }));
    }
  }),
);
console.log(JSON.stringify({ secs: (performance.now() - started) / 1000 }));
