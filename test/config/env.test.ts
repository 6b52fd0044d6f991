import { expect, test } from "bun:test";
import { substituteEnv } from "../../src/config/env.ts";

test("set, default, several in one string, nested keys", () => {
  const tree = { a: "${A}", b: { c: "x-${A}-${B:-two}-${C:-}" }, list: [{ d: "${A}${A}" }], n: 5 };
  expect(substituteEnv(tree, { A: "one" })).toEqual({
    value: { a: "one", b: { c: "x-one-two-" }, list: [{ d: "oneone" }], n: 5 },
    problems: [],
    used: ["A", "B", "C"],
  });
});

test("an unset variable is a problem naming the variable and the key", () => {
  const { problems } = substituteEnv({ cameras: [{ rtsp_url: "rtsp://u:${CAM_PW}@h/s" }], s: "${X}" }, {});
  expect(problems).toEqual([
    "cameras[0].rtsp_url: environment variable CAM_PW is not set",
    "s: environment variable X is not set",
  ]);
});

test("a default applies to an empty variable too, as in the shell", () => {
  expect(substituteEnv({ a: "${A:-d}", b: "${A}" }, { A: "" }).value).toEqual({ a: "d", b: "" });
});

test("text that only looks like a reference stays", () => {
  expect(substituteEnv({ a: "$A ${ not } $${}" }, {}).value).toEqual({ a: "$A ${ not } $${}" });
});
