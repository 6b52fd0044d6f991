import { expect, test } from "bun:test";
import { createRedactor } from "../src/config/redact.ts";
import { createLogger } from "../src/log.ts";

test("the logger redacts the message and every string field, however deeply nested", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "info", format: "json", redact: createRedactor(["s3-secret"]), write: (line) => lines.push(line) });
  log.child({ camera_id: "c" }).error("failed with s3-secret", {
    url: "rtsp://u:pw123@h/s",
    nested: { error: { message: "key s3-secret rejected" }, list: [{ url: "http://a:b@h" }] },
    cause: new Error("auth s3-secret"),
  });
  const line = JSON.parse(lines[0]!);
  expect(line).toMatchObject({
    level: "error",
    msg: "failed with ***",
    camera_id: "c",
    url: "rtsp://u:***@h/s",
    nested: { error: { message: "key *** rejected" }, list: [{ url: "http://a:***@h" }] },
    cause: "auth ***",
  });
  expect(lines[0]).not.toContain("s3-secret");
});
