import { afterAll, afterEach, expect, test } from "bun:test";
import { symlinkSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { runCommand } from "../fixtures/binary.ts";
import { startFakeCamera } from "../fixtures/camera.ts";
import { killAll } from "../fixtures/processes.ts";
import { scratch } from "../fixtures/service.ts";

afterEach(killAll);
afterAll(killAll);

// The machine's GStreamer plugin file that provides `element`, found the way the camera finds it.
async function pluginFile(element: string): Promise<string> {
  const script = `import gi; gi.require_version("Gst", "1.0"); from gi.repository import Gst; Gst.init(None); print(Gst.ElementFactory.find("${element}").get_plugin().get_filename())`;
  const out = await runCommand(["/usr/bin/python3", "-c", script]);
  expect(out.exitCode).toBe(0);
  return out.stdout.trim();
}

test("a missing GStreamer element stops the fake camera at once, naming the element and its Debian package", async () => {
  // A plugin directory with every plugin of this machine except the one holding clockoverlay, as on a
  // machine without gstreamer1.0-x.
  const pango = await pluginFile("clockoverlay");
  const plugins = join(scratch("gst-"), "plugins");
  await runCommand(["mkdir", "-p", plugins]);
  for (const name of readdirSync(dirname(pango))) if (name !== basename(pango)) symlinkSync(join(dirname(pango), name), join(plugins, name));
  const started = Date.now();
  const error = await startFakeCamera({ env: { GST_PLUGIN_SYSTEM_PATH_1_0: plugins, GST_PLUGIN_PATH_1_0: "", GST_REGISTRY_1_0: join(plugins, "registry.bin") } }).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error?.message).toBe(
    "fake camera exited with 3 before it was ready: fake camera: GStreamer element 'clockoverlay' is missing; install the Debian package gstreamer1.0-x (scripts/setup.sh test)",
  );
  expect(Date.now() - started).toBeLessThan(15_000);
});

test("the fake camera binds a free port itself and tells it", async () => {
  const cam = await startFakeCamera();
  expect(cam.port).toBeGreaterThan(0);
  const connected = await Bun.connect({ hostname: "127.0.0.1", port: cam.port, socket: { data() {} } }).then(
    (socket) => (socket.end(), true),
    () => false,
  );
  expect(connected).toBe(true);
  await cam.stop();
  const afterStop = await Bun.connect({ hostname: "127.0.0.1", port: cam.port, socket: { data() {} } }).then(
    (socket) => (socket.end(), true),
    () => false,
  );
  expect(afterStop).toBe(false);
});
