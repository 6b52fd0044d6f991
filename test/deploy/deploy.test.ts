import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { PrometheusRule, ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { StatefulSet } from "kubernetes-models/apps/v1";
import { ConfigMap, Namespace, Secret, Service } from "kubernetes-models/v1";
import YAML from "yaml";
import { parseConfig } from "../../src/config/load.ts";
import { ownedCameras, shardOf } from "../../src/config/shard.ts";
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

describe("Kubernetes, sharded overlay", () => {
  const hasKubectl = Bun.which("kubectl") !== null;
  const OVERLAY = join(DEPLOY, "kubernetes-sharded");
  /** `kubectl kustomize` of the overlay, or of a copy of it with `replicas` set to `count`. */
  async function render(count?: number): Promise<any[]> {
    let dir = OVERLAY;
    if (count !== undefined) {
      dir = mkdtempSync(join(tmpdir(), "overlay-"));
      for (const file of readdirSync(OVERLAY)) writeFileSync(join(dir, file), readFileSync(join(OVERLAY, file)));
      const kustomization = readFileSync(join(OVERLAY, "kustomization.yaml"), "utf8");
      writeFileSync(join(dir, "kustomization.yaml"), kustomization.replace("  - ../kubernetes\n", `  - ${relative(dir, join(DEPLOY, "kubernetes"))}\n`).replace(/count: \d+/, `count: ${count}`));
    }
    const out = await run(["kubectl", "kustomize", dir]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    return YAML.parseAllDocuments(out.stdout).map((d) => d.toJS());
  }
  const statefulSet = (objects: any[]) => objects.find((o) => o.kind === "StatefulSet");
  const shardsEnv = (objects: any[]) => statefulSet(objects).spec.template.spec.containers[0].env.find((e: any) => e.name === "CAMERA_RECORDER_SHARDS").value;

  test.skipIf(!hasKubectl)("renders to valid objects: 3 replicas, one per node, shards fed from the replica count", async () => {
    const objects = await render();
    const models: Record<string, new (o: any) => { validate(): void }> = { Namespace, StatefulSet, Service, ServiceMonitor, PrometheusRule, ConfigMap };
    for (const object of objects) expect(() => new models[object.kind]!(object).validate()).not.toThrow();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, "")}`).sort()).toEqual([
      "ConfigMap/camera-recorder-config", "Namespace/camera-recorder", "PrometheusRule/camera-recorder", "PrometheusRule/camera-recorder-sharding",
      "Service/camera-recorder", "ServiceMonitor/camera-recorder", "StatefulSet/camera-recorder",
    ]);
    for (const object of objects.filter((o) => o.kind !== "Namespace")) expect(object.metadata.namespace).toBe("camera-recorder");
    const set = statefulSet(objects);
    expect(set.spec.replicas).toBe(3);
    expect(shardsEnv(objects)).toBe("3");
    const antiAffinity = set.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
    expect(antiAffinity.topologyKey).toBe("kubernetes.io/hostname");
    expect(antiAffinity.labelSelector.matchLabels).toEqual(set.spec.selector.matchLabels);
    // The pods read the overlay's config, which takes shards from that variable.
    const configMap = objects.find((o) => o.kind === "ConfigMap");
    expect(set.spec.template.spec.volumes.find((v: any) => v.name === "config").configMap.name).toBe(configMap.metadata.name);
    expect(configMap.data["config.toml"]).toBe(read("kubernetes-sharded/config.toml"));
  });

  test.skipIf(!hasKubectl)("the replica count and shards cannot drift: changing one changes both", async () => {
    const objects = await render(5);
    expect(statefulSet(objects).spec.replicas).toBe(5);
    expect(shardsEnv(objects)).toBe("5");
  });

  test("each pod's config: shards from the variable, the index from its pod name; the Secret template has every variable", () => {
    const toml = read("kubernetes-sharded/config.toml");
    const env = { ...fakeEnv(toml), CAMERA_RECORDER_SHARDS: "3" };
    const owners = [0, 1, 2].map((index) => ownedCameras(parseConfig(toml, "config.toml", env, `camera-recorder-${index}`)).map((c) => c.id));
    expect(owners.flat().sort()).toEqual(["camera-1", "camera-2", "camera-3"]);
    expect(shardOf(parseConfig(toml, "config.toml", env, "camera-recorder-2"))).toEqual({ index: 2, shards: 3 });
    const secret = YAML.parse(read("kubernetes-sharded/secret.example.yaml"));
    expect(() => new Secret(secret).validate()).not.toThrow();
    expect(Object.keys(secret.stringData).sort()).toEqual(variablesOf(toml).filter((name) => name !== "CAMERA_RECORDER_SHARDS").sort());
  });

  test.skipIf(process.getuid?.() !== 0)("the binary takes its shard from the host name: check-config in a pod named camera-recorder-1", async () => {
    const file = join(DEPLOY, "kubernetes-sharded/config.toml");
    const env = { ...fakeEnv(read("kubernetes-sharded/config.toml")), CAMERA_RECORDER_SHARDS: "3", PATH: process.env.PATH! };
    // A UTS namespace of its own: the host name as a StatefulSet gives it, without touching the machine's.
    const inPod = (host: string) => runCommand(["unshare", "--uts", "sh", "-c", `hostname ${host} && exec "$0" check-config --config "$1"`, BINARY, file], env);
    const pod1 = await inPod("camera-recorder-1");
    expect(pod1.stderr).toBe("");
    expect(pod1.stdout).toContain("# shard 1 of 3: records ");
    const owned = ownedCameras(parseConfig(read("kubernetes-sharded/config.toml"), "c", env, "camera-recorder-1")).map((c) => c.id);
    expect(pod1.stdout).toContain(`records ${owned.length} of 3 cameras${owned.length ? `: ${owned.join(", ")}` : ""}\n`);
    const laptop = await inPod("laptop");
    expect(laptop.exitCode).toBe(2);
    expect(laptop.stderr).toBe(`camera-recorder: ${file}: service.shard_index: not set, and the host name "laptop" does not end in an ordinal (-N) to take it from; set shard_index (0..2) or run as a StatefulSet pod\n`);
  });

  test("the sharding alerts: promtool checks them, each fires on its series and not on a healthy deployment; the PrometheusRule holds them", async () => {
    const check = await run(["promtool", "check", "rules", join(DEPLOY, "prometheus/camera-recorder-sharding.rules.yaml")]);
    expect(check.stdout + check.stderr).toContain("SUCCESS: 3 rules found");
    const unit = await run(["promtool", "test", "rules", join(DEPLOY, "prometheus/camera-recorder-sharding.rules.test.yaml")]);
    expect(unit.stdout + unit.stderr).toContain("SUCCESS");
    expect(unit.code).toBe(0);
    expect(YAML.parse(read("kubernetes-sharded/prometheusrule-sharding.yaml")).spec).toEqual(YAML.parse(read("prometheus/camera-recorder-sharding.rules.yaml")));
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
