import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PrometheusRule, ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { StatefulSet } from "kubernetes-models/apps/v1";
import { Namespace, Secret, Service } from "kubernetes-models/v1";
import YAML from "yaml";
import { parseConfig } from "../../src/config/load.ts";
import { BINARY, runBinary, runCommand } from "../fixtures/binary.ts";
import { SPEC_METRICS } from "../fixtures/exposition.ts";
import { waitFor } from "../fixtures/wait.ts";

const ROOT = join(import.meta.dir, "../..");
const DEPLOY = join(ROOT, "deploy");
const read = (path: string) => readFileSync(join(DEPLOY, path), "utf8");

/** A command to completion, with the test's environment plus `env`. */
async function run(command: string[], options: { env?: Record<string, string> } = {}) {
  const { stdout, stderr, exitCode } = await runCommand(command, { ...process.env, ...options.env });
  return { stdout, stderr, code: exitCode };
}

/** Every ${NAME} a config file needs from the environment. */
const variablesOf = (toml: string) => [...toml.matchAll(/\$\{([A-Z0-9_]+)(?::-[^}]*)?\}/g)].filter((m) => !m[0].includes(":-")).map((m) => m[1]!);
const fakeEnv = (toml: string) => Object.fromEntries(variablesOf(toml).map((name) => [name, name.includes("URL") ? "rtsp://u:p@127.0.0.1:554/s" : name.includes("ENDPOINT") ? "http://127.0.0.1:9000" : "x-value"]));

describe("shipped configs", () => {
  for (const file of ["image/config.toml", "systemd/config.toml", "kubernetes/config.toml"]) {
    test(`${file} passes check-config`, async () => {
      const out = await runBinary(["check-config", "--config", join(DEPLOY, file)], fakeEnv(read(file)));
      expect(out.stderr).toBe("");
      expect(out.exitCode).toBe(0);
    });
  }
});

describe("container image", () => {
  const isRoot = process.getuid?.() === 0;
  const rootfs = mkdtempSync(join(tmpdir(), "rootfs-"));
  const mounts: string[] = [];
  afterAll(async () => {
    for (const mount of mounts.reverse()) await run(["umount", "-l", mount]);
    // Only what the script wrote (~350 MB); never proc/ or dev/, whatever the unmounting did.
    for (const dir of ["usr", "lib64", "etc", "var", "tmp"]) rmSync(join(rootfs, dir), { recursive: true, force: true });
  });

  test.skipIf(!isRoot)("the Dockerfile's assemble step yields a filesystem the binary runs in alone: demo records, check-config passes", async () => {
    const assembled = await run(["sh", join(DEPLOY, "image/assemble-rootfs.sh"), rootfs, BINARY]);
    expect(assembled.code).toBe(0);
    for (const path of ["usr/local/bin/camera-recorder", "usr/bin/ffmpeg", "etc/camera-recorder/config.toml"]) expect(existsSync(join(rootfs, path))).toBe(true);
    // What a container runtime provides: /proc and /dev.
    for (const [what, args] of [["proc", ["-t", "proc", "proc"]], ["dev", ["--bind", "/dev"]]] as const) {
      mkdirSync(join(rootfs, what), { recursive: true });
      expect((await run(["mount", ...args, join(rootfs, what)])).code).toBe(0);
      mounts.push(join(rootfs, what));
    }
    const demo = Bun.spawn(["/usr/sbin/chroot", rootfs, "/usr/local/bin/camera-recorder", "demo", "--dir", "/tmp/rec", "--log-format", "json"], { stdout: "pipe", stderr: "pipe", env: { PATH: "/usr/bin" } });
    try {
      await waitFor("a demo segment inside the chroot", () => {
        const dir = join(rootfs, "tmp/rec/demo");
        return existsSync(dir) && readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith(".mp4"));
      }, 60_000);
    } finally {
      demo.kill("SIGINT");
    }
    expect(await demo.exited).toBe(0);
    const env = fakeEnv(read("image/config.toml"));
    const check = await run(["/usr/sbin/chroot", rootfs, "/usr/local/bin/camera-recorder", "check-config"], { env: { ...env, CAMERA_RECORDER_CONFIG: "/etc/camera-recorder/config.toml" } });
    expect(check.stderr).toBe("");
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('temp_dir = "/var/lib/camera-recorder/spool"');
  });

  test("the Dockerfile runs that script, ends distroless and non-root, exposes 9090, has no HEALTHCHECK", () => {
    const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
    expect(dockerfile).toContain("RUN sh /tmp/image/assemble-rootfs.sh /rootfs /tmp/camera-recorder");
    expect(dockerfile).toMatch(/FROM gcr\.io\/distroless\/cc-debian12:nonroot\n/);
    expect(dockerfile).toContain("EXPOSE 9090");
    expect(dockerfile).toContain("USER 65532:65532");
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
    // Every file it copies from the build context exists.
    for (const [, source] of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) for (const path of source!.split(" ")) expect(existsSync(join(ROOT, path))).toBe(true);
    for (const path of ["package.json", "bun.lock", "tsconfig.json", "bunfig.toml", "scripts/build.ts", "src", "deploy/image/"]) expect(existsSync(join(ROOT, path))).toBe(true);
  });
});

describe("systemd unit", () => {
  test("systemd-analyze verify finds nothing to say", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unit-"));
    // verify insists that ExecStart exists: point it at the binary under test, change nothing else.
    const unit = read("systemd/camera-recorder.service").replace("/usr/local/bin/camera-recorder", BINARY);
    writeFileSync(join(dir, "camera-recorder.service"), unit);
    const out = await run(["systemd-analyze", "verify", join(dir, "camera-recorder.service")]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    // The check can fail: a misspelt directive is reported.
    writeFileSync(join(dir, "bad.service"), unit.replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"));
    expect((await run(["systemd-analyze", "verify", join(dir, "bad.service")])).stderr).toContain("Unknown key 'NoNewPrivilege'");
  });

  test("stop timeout above shutdown_timeout_secs; mixed kill mode; spool in its StateDirectory", () => {
    const unit = read("systemd/camera-recorder.service");
    const config = parseConfig(read("systemd/config.toml"), "systemd/config.toml", fakeEnv(read("systemd/config.toml")));
    expect(Number(/TimeoutStopSec=(\d+)/.exec(unit)![1])).toBeGreaterThan(config.service.shutdown_timeout_secs);
    expect(unit).toContain("KillMode=mixed");
    expect(unit).toContain("StateDirectory=camera-recorder");
    expect(config.recording.temp_dir).toStartWith("/var/lib/camera-recorder/");
    for (const hardening of ["ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "Restart=always", "EnvironmentFile=-/etc/camera-recorder/secrets.env"]) expect(unit).toContain(hardening);
  });
});

describe("Kubernetes", () => {
  const kustomization = YAML.parse(read("kubernetes/kustomization.yaml"));
  const objects = (kustomization.resources as string[]).map((file) => YAML.parse(read(`kubernetes/${file}`)));
  const byKind = (kind: string) => objects.find((o) => o.kind === kind);

  test("every object is valid for its schema", () => {
    const models: Record<string, new (o: any) => { validate(): void }> = { Namespace, StatefulSet, Service, ServiceMonitor, PrometheusRule };
    for (const object of objects) {
      expect(models[object.kind]).toBeDefined();
      expect(() => new models[object.kind]!(object).validate()).not.toThrow();
    }
    expect(() => new Secret(YAML.parse(read("kubernetes/secret.example.yaml"))).validate()).not.toThrow();
    // The validation can fail: a wrong type is caught.
    expect(() => new StatefulSet({ ...byKind("StatefulSet"), spec: { ...byKind("StatefulSet").spec, replicas: "one" } }).validate()).toThrow();
  });

  test("the StatefulSet: one replica, probes on /health and /ready, grace above the shutdown timeout, non-root, read-only root", () => {
    const set = byKind("StatefulSet");
    const pod = set.spec.template.spec;
    const container = pod.containers[0];
    const config = parseConfig(read("kubernetes/config.toml"), "config.toml", fakeEnv(read("kubernetes/config.toml")));
    expect(set.spec.replicas).toBe(1);
    expect(container.livenessProbe.httpGet.path).toBe("/health");
    expect(container.readinessProbe.httpGet.path).toBe("/ready");
    expect(container.ports[0].containerPort).toBe(config.service.metrics_port);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(config.service.shutdown_timeout_secs);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(config.recording.temp_dir.startsWith(container.volumeMounts.find((m: any) => m.name === "spool").mountPath)).toBe(true);
    expect(set.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("50Gi");
    expect(kustomization.configMapGenerator[0].name).toBe(pod.volumes.find((v: any) => v.name === "config").configMap.name);
    expect(byKind("Service").spec.publishNotReadyAddresses).toBe(true);
  });

  test("the Secret template provides every variable the config uses", () => {
    const secret = YAML.parse(read("kubernetes/secret.example.yaml"));
    expect(Object.keys(secret.stringData).sort()).toEqual(variablesOf(read("kubernetes/config.toml")).sort());
    expect(byKind("StatefulSet").spec.template.spec.containers[0].envFrom[0].secretRef.name).toBe(secret.metadata.name);
  });
});

describe("alerts and dashboard", () => {
  test("promtool checks the rules and each alert fires on the series it is meant for", async () => {
    const check = await run(["promtool", "check", "rules", join(DEPLOY, "prometheus/camera-recorder.rules.yaml")]);
    expect(check.stdout + check.stderr).toContain("SUCCESS: 8 rules found");
    expect(check.code).toBe(0);
    const unit = await run(["promtool", "test", "rules", join(DEPLOY, "prometheus/camera-recorder.rules.test.yaml")]);
    expect(unit.stdout + unit.stderr).toContain("SUCCESS");
    expect(unit.code).toBe(0);
  });

  test("the PrometheusRule holds exactly the tested rules", () => {
    expect(YAML.parse(read("kubernetes/prometheusrule.yaml")).spec).toEqual(YAML.parse(read("prometheus/camera-recorder.rules.yaml")));
  });

  test("every alert of the design document is there", () => {
    const names = YAML.parse(read("prometheus/camera-recorder.rules.yaml")).groups[0].rules.map((r: any) => r.alert);
    expect(names).toEqual(["CameraOffline", "CameraUploadFailures", "CameraRecorderDiskFilling", "CameraFfmpegRestarting", "CameraReconnecting", "CameraUploadLatencyHigh", "CameraSegmentSizeAnomaly", "CameraRetentionNotRunning"]);
  });

  test("the Grafana dashboard queries only metrics the service exports, one row per concern", () => {
    const dashboard = JSON.parse(read("grafana/camera-recorder-dashboard.json"));
    const exported = new Set(Object.keys(SPEC_METRICS));
    const exprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const functions = new Set(["rate", "increase", "sum", "by", "histogram_quantile", "time", "le", "camera_id", "job"]);
    for (const expr of exprs) {
      const names = [...expr.replace(/\{[^}]*\}|\[[^\]]*\]/g, "").matchAll(/[a-z_][a-z0-9_]*/g)].map((m) => m[0]).filter((n) => !functions.has(n));
      for (const name of names) expect(exported.has(name.replace(/_(bucket|sum|count)$/, "")) ? name : `${name} (in: ${expr})`).toBe(name);
    }
    expect(dashboard.panels.filter((p: any) => p.type === "row").map((p: any) => p.title)).toEqual(["Streams", "Segments", "Uploads and backlog", "Disk", "Storage", "Process"]);
  });
});
