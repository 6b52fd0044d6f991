import { describe, expect, test } from "bun:test";
import { Metrics } from "../../src/http/metrics.ts";
import { createHandler } from "../../src/http/server.ts";

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

function handler(withApp: boolean, failures: Array<string | undefined> = []) {
  const metrics = new Metrics([], "1.2.3", { backlog: () => ({}) as never, disk: () => ({}) as never });
  return createHandler({
    metrics,
    snapshot: () => ({}) as never,
    onUnauthorized: (user) => failures.push(user),
    ...(withApp ? { app: { credentials: { user: "admin", password: "s3cret-pw" }, routes: [{ path: /^\/api\/cameras\/(?<id>[^/]+)\/latest\.jpg$/, handler: (_req: Request, p: Record<string, string>) => new Response(`camera ${p.id}`) }] } } : {}),
  });
}

const get = (path: string, authorization?: string) => new Request(`http://localhost${path}`, { headers: authorization ? { authorization } : {} });

describe("the status page and recordings API behind Basic auth", () => {
  test("no app (ui_password unset): its paths are 404", async () => {
    expect((await handler(false)(get("/api/cameras/cam-1/latest.jpg", basic("admin", "s3cret-pw")))).status).toBe(404);
  });

  test("without or with wrong credentials: 401 with a challenge; the failed user is reported, never the password", async () => {
    const failures: Array<string | undefined> = [];
    const handle = handler(true, failures);
    for (const auth of [undefined, basic("admin", "wrong"), basic("root", "s3cret-pw"), "Bearer xyz"]) {
      const response = await handle(get("/api/cameras/cam-1/latest.jpg", auth));
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Basic realm="camera-recorder", charset="UTF-8"');
    }
    expect(failures).toEqual(["admin", "root", undefined]);
  });

  test("the right credentials reach the route with its named parts", async () => {
    const response = await handler(true)(get("/api/cameras/cam-1/latest.jpg", basic("admin", "s3cret-pw")));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("camera cam-1");
  });
});
