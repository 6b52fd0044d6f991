import * as v from "valibot";

/**
 * The one description of the config file: every key of SPEC.md with its type, range, default and
 * meaning. The README's config reference and `check-config` are both read from here.
 */

const int = (min: number, max: number) =>
  v.pipe(
    v.number(),
    v.integer("must be a whole number"),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

/** A whole number, also written as a string of digits: the form a `${VAR}` substitution yields. */
const count = (min: number, max: number) =>
  v.pipe(
    v.union([v.number(), v.pipe(v.string(), v.trim(), v.digits(), v.transform(Number))], "must be a whole number"),
    v.integer("must be a whole number"),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const text = () => v.string();
const nonEmpty = () => v.pipe(v.string(), v.nonEmpty("must not be empty"));
const choice = <const T extends string[]>(...options: T) =>
  v.picklist(options, `must be one of ${options.map((o) => `"${o}"`).join(", ")}`);

/** An optional key with a default value and a one-line description. */
const key = <S extends v.GenericSchema>(schema: S, fallback: v.InferOutput<S>, about: string) =>
  v.optional(v.pipe(schema, v.description(about)), fallback as never);

/** An optional key with no default: leaving it out has its own meaning. */
const maybe = <S extends v.GenericSchema>(schema: S, about: string) =>
  v.optional(v.pipe(schema, v.description(about)));

export const CAMERA_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const service = v.object({
  metrics_port: key(int(0, 65535), 9090, "port of /metrics, /health and /ready"),
  metrics_host: key(nonEmpty(), "0.0.0.0", "address the HTTP server listens on"),
  shutdown_timeout_secs: key(int(0, 86400), 60, "on SIGTERM: time to finalize segments and drain uploads"),
  log_level: key(choice("debug", "info", "warn", "error"), "info", "least severe level logged"),
  log_format: key(choice("auto", "json", "pretty"), "auto", "auto: pretty on a TTY, JSON lines otherwise"),
  ui_user: key(nonEmpty(), "admin", "user name of the status page and the recordings API (HTTP Basic)"),
  ui_password: maybe(nonEmpty(), "password of the status page and the recordings API; omitted: both are off (404)"),
  shards: key(count(1, 1024), 1, 'replicas sharing this camera list (a number, or digits from "${VAR}")'),
  shard_index: key(
    v.union([v.literal(""), int(0, 1023)], 'must be "" or a whole number from 0'),
    "",
    'this replica\'s 0-based index; "" with shards > 1: the ordinal at the end of the host name',
  ),
});

const storage = v.object({
  type: key(choice("s3", "filesystem"), "s3", '"s3" or "filesystem"'),
  endpoint: maybe(nonEmpty(), "S3 endpoint URL; omitted: the AWS default endpoint"),
  bucket: key(nonEmpty(), "camera-recordings", "S3 bucket"),
  region: key(nonEmpty(), "us-east-1", "S3 region"),
  access_key_id: maybe(nonEmpty(), "S3 access key; omitted: the SDK's default credential chain"),
  secret_access_key: maybe(nonEmpty(), "S3 secret key; omitted: the SDK's default credential chain"),
  force_path_style: key(v.boolean(), true, "bucket in the path, not the host name (SeaweedFS, MinIO)"),
  create_bucket: key(v.boolean(), true, "create the bucket at start if it does not exist"),
  key_prefix: key(text(), "", "prepended to every object key"),
  path: maybe(nonEmpty(), 'type = "filesystem": the root directory'),
});

const camera = v.object({
  id: v.pipe(
    v.string(),
    v.regex(CAMERA_ID_PATTERN, "must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
    v.description("unique id, used in object keys and metrics"),
  ),
  name: maybe(nonEmpty(), "display name; default: id"),
  rtsp_url: v.pipe(
    v.string(),
    v.regex(/^rtsps?:\/\/[^/]/i, "must start with rtsp:// or rtsps://"),
    v.description("rtsp:// or rtsps:// URL, credentials included"),
  ),
  segment_duration_secs: key(int(1, 86400), 900, "segment length; cuts fall on wall-clock multiples of it"),
  enabled: key(v.boolean(), true, "record this camera"),
  retention_days: maybe(int(0, 36500), "overrides retention.days for this camera"),
  retention_max_gb: maybe(v.pipe(v.number(), v.minValue(0, "must be at least 0")), "overrides retention.max_gb for this camera"),
});

const recording = v.object({
  temp_dir: key(nonEmpty(), "/tmp/camera-recordings", "local spool: segments live here until uploaded (+ retention)"),
  local_retention_minutes: key(int(0, 525600), 60, "keep uploaded segments locally this long"),
  video_codec: key(choice("copy"), "copy", "video is stored bit-exact"),
  audio_codec: key(choice("aac", "copy", "none"), "aac", '"aac", "copy" or "none"'),
  timezone: key(nonEmpty(), "UTC", 'IANA name or "local": date and time in object keys'),
  stall_timeout_secs: key(int(1, 3600), 10, "no data from a camera this long: reconnect"),
  ffmpeg_path: key(nonEmpty(), "ffmpeg", "ffmpeg executable (FFMPEG_PATH overrides the default)"),
  disk_pressure_ratio: key(
    v.pipe(v.number(), v.gtValue(0, "must be more than 0"), v.maxValue(1, "must be at most 1")),
    0.9,
    "above this use of temp_dir's filesystem, uploaded segments go before their retention",
  ),
  min_free_mb: key(int(0, 16_777_216), 512, "... or below this much free space (MiB)"),
});

const upload = v.object({
  max_concurrent: key(int(1, 64), 4, "uploads at once"),
  max_retries: key(int(0, 100), 5, "retries before an error is logged (the segment is kept and retried later)"),
  retry_backoff_secs: key(int(1, 3600), 5, "first retry delay, doubling each retry"),
  part_size_mb: key(int(5, 5120), 16, "multipart part size; smaller files go in one PUT"),
});

const retention = v.object({
  days: key(int(0, 36500), 0, "delete stored segments older than this (0: keep forever)"),
  max_gb: key(v.pipe(v.number(), v.minValue(0, "must be at least 0")), 0, "per camera: keep at most this much in storage, oldest first (0: no cap)"),
  interval_minutes: key(int(1, 10080), 60, "how often the pruner runs (also once at start)"),
});

export const ConfigSchema = v.object({
  service: v.optional(service, {}),
  storage: v.optional(storage, {}),
  cameras: v.optional(v.array(camera), []),
  recording: v.optional(recording, {}),
  upload: v.optional(upload, {}),
  retention: v.optional(retention, {}),
});

export type Config = v.InferOutput<typeof ConfigSchema>;
export type CameraConfig = Config["cameras"][number];
export type StorageConfig = Config["storage"];

/** Keys whose values are secrets: never printed, logged or exposed. */
export const SECRET_KEYS = new Set(["secret_access_key", "ui_password"]);
