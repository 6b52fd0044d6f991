import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { createRedactor, redactConfig, redactUrl, secretsOf, secretsOfEnv } from "../../src/config/redact.ts";

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

function problems(text: string, env: Record<string, string>): string[] {
  try {
    parseConfig(text, "c.toml", env);
  } catch (error) {
    return (error as { problems: string[] }).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("config errors never show a secret", () => {
  test("a URL that fails validation loses its password, also one holding @ and /", () => {
    const text = `[[cameras]]\nid = "a"\nrtsp_url = "http://admin:\${PW}@10.0.0.1/s"\n[[cameras]]\nid = "b"\nrtsp_url = "\${CAM_URL}"\n`;
    expect(problems(text, { PW: "hunter2secret", CAM_URL: "http://admin:p@ss/w0rd@10.0.0.2/s" })).toEqual([
      'cameras[0].rtsp_url: must start with rtsp:// or rtsps://, got "http://admin:***@10.0.0.1/s"',
      'cameras[1].rtsp_url: must start with rtsp:// or rtsps://, got "http://admin:***@10.0.0.2/s"',
    ]);
  });

  test("a wrong value at a secret key shows its type, never its value", () => {
    const text = `[[cameras]]\nid = "a"\nrtsp_url = "rtsp://h/s"\n[storage]\naccess_key_id = "AK"\nsecret_access_key = 12345678\n[service]\nui_password = ["hunter2secret"]\n`;
    expect(problems(text, {})).toEqual([
      "service.ui_password: expected a string, got an object (value not shown)",
      "storage.secret_access_key: expected a string, got a number (value not shown)",
    ]);
  });

  test("the value of a secret-named variable is masked wherever a message quotes it", () => {
    const text = `[[cameras]]\nid = "a"\nrtsp_url = "rtsp://h/s"\nsegment_duration_secs = "\${CAM_TOKEN}"\n[recording]\naudio_codec = "\${AUDIO}"\n`;
    expect(problems(text, { CAM_TOKEN: "tok-12345", AUDIO: "mp3" })).toEqual([
      'cameras[0].segment_duration_secs: expected a number, got "***"',
      'recording.audio_codec: must be one of "aac", "copy", "none", got "mp3"',
    ]);
  });

  test("secret-named variables: passwords, secrets, keys, tokens, *PW; not PWD or KEYBOARD", () => {
    const env = { CAM1_PASSWORD: "a1", S3_SECRET_ACCESS_KEY: "a2", API_TOKEN: "a3", UI_PW: "a4", CAMPW: "a5", S3_ACCESS_KEY_ID: "a6", HOST: "h", PWD: "/home", KEYBOARD: "de", S3_ENDPOINT: "e" };
    expect(secretsOfEnv(env).sort()).toEqual(["a1", "a2", "a3", "a4", "a5", "a6"]);
    expect(secretsOfEnv(env, ["HOST", "UI_PW"])).toEqual(["a4"]);
  });

  test("the printable copy masks every SECRET_KEYS key and URL password, whatever the table", () => {
    expect(redactConfig({ service: { ui_password: "pw1" }, storage: { secret_access_key: "k", endpoint: "http://u:p@h" }, cameras: [{ rtsp_url: "rtsp://a:b@h/s" }] })).toEqual({
      service: { ui_password: "***" },
      storage: { secret_access_key: "***", endpoint: "http://u:***@h" },
      cameras: [{ rtsp_url: "rtsp://a:***@h/s" }],
    });
  });
});
