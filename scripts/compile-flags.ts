/**
 * Flags every `bun build --compile` of camera-recorder uses (scripts/build.ts, the release builds).
 * SPEC: the binary reads its configuration from the config file and the environment only. A compiled
 * Bun executable by default loads `.env` and `bunfig.toml` from its working directory: a `.env`
 * holding CAMPW=... made a config using ${CAMPW} validate although the variable was not set.
 * tsconfig.json and package.json are off by default; they are named so a new default cannot turn them on.
 * `--smol`: JavaScriptCore collects garbage sooner. At 64 cameras the service's PSS went from 178 to
 * 145 MB with no more CPU (4.0 against 4.3 CPU-s a minute; BENCHMARKS.md, "Reading the figures").
 */
export const COMPILE_FLAGS = [
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
  "--no-compile-autoload-tsconfig",
  "--no-compile-autoload-package-json",
  "--compile-exec-argv=--smol",
] as const;
