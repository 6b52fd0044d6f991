import { expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { createRedactor, redactConfig, redactUrl, secretsOf } from "../../src/config/redact.ts";

test("URL passwords are masked, the rest of the URL kept", () => {
  expect(redactUrl("rtsp://user:hunter2@host:554/stream1")).toBe("rtsp://user:***@host:554/stream1");
  expect(redactUrl("failed rtsps://a:b%40c@10.0.0.1/x and http://k:s@h")).toBe("failed rtsps://a:***@10.0.0.1/x and http://k:***@h");
  expect(redactUrl("rtsp://host:554/stream1")).toBe("rtsp://host:554/stream1");
});

test("known secrets never survive, wherever they appear, also URL-encoded", () => {
  const redact = createRedactor(["p@ss/word", "S3SECRETKEY"]);
  const text = redact("auth p@ss/word failed; url rtsp://u:p%40ss%2Fword@h/x; key=S3SECRETKEY");
  expect(text).not.toContain("p@ss/word");
  expect(text).not.toContain("p%40ss%2Fword");
  expect(text).not.toContain("S3SECRETKEY");
  expect(text).toBe("auth *** failed; url rtsp://u:***@h/x; key=***");
});

test("the config's secrets are found and masked in its printable copy", () => {
  const config = parseConfig(
    `[[cameras]]\nid = "c"\nrtsp_url = "rtsp://admin:\${PW}@h:554/s"\n[storage]\naccess_key_id = "AK"\nsecret_access_key = "TOPSECRET"\n`,
    "c.toml",
    { PW: "cam-pass" },
  );
  expect(secretsOf(config).sort()).toEqual(["TOPSECRET", "cam-pass"]);
  const printable = JSON.stringify(redactConfig(config));
  expect(printable).not.toContain("cam-pass");
  expect(printable).not.toContain("TOPSECRET");
  expect(printable).toContain("rtsp://admin:***@h:554/s");
});
