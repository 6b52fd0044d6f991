import type { Server } from "bun";
import { AppError } from "../errors.ts";
import { matchRoute, type App } from "./app.ts";
import { CHALLENGE, claimedUser, isAuthorized } from "./auth.ts";
import { isLongLived } from "./long-lived.ts";
import { health, ready, type ServiceSnapshot } from "./health.ts";
import type { Metrics } from "./metrics.ts";

export interface HttpSources {
  metrics: Metrics;
  snapshot(): ServiceSnapshot;
  /** The status page and recordings API; undefined without `service.ui_password` (their paths are 404). */
  app?: App;
  /** Told of each failed login, with the user name tried (never the password). */
  onUnauthorized?: (user: string | undefined) => void;
}

type Handler = (req: Request) => Response | Promise<Response>;

const json = ({ status, body }: { status: number; body: unknown }) => Response.json(body, { status, headers: { "cache-control": "no-store" } });

/** The routes as a plain fetch handler, so tests call it without opening a port. */
export function createHandler(sources: HttpSources): Handler {
  const routes: Record<string, Handler> = {
    "/metrics": async () => new Response(await sources.metrics.registry.metrics(), { headers: { "content-type": sources.metrics.registry.contentType } }),
    "/health": () => json(health(sources.snapshot())),
    "/ready": () => json(ready(sources.snapshot().cameras)),
  };
  return async (req) => {
    const pathname = new URL(req.url).pathname;
    const route = routes[pathname] ?? appRoute(sources, pathname);
    if (!route) return new Response("not found\n", { status: 404 });
    if (req.method !== "GET" && req.method !== "HEAD") return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    const response = await route(req);
    return req.method === "HEAD" ? new Response(null, { status: response.status, headers: response.headers }) : response;
  };
}

/** A status page or API route, behind Basic auth; undefined when there is none (or no app). */
function appRoute(sources: HttpSources, pathname: string): Handler | undefined {
  const app = sources.app;
  const found = app && matchRoute(app.routes, pathname);
  if (!app || !found) return undefined;
  return (request) => {
    if (isAuthorized(request, app.credentials)) return found.route.handler(request, found.params);
    if (request.headers.has("authorization")) sources.onUnauthorized?.(claimedUser(request));
    return new Response("authentication required\n", { status: 401, headers: { "www-authenticate": CHALLENGE, "cache-control": "no-store" } });
  };
}

export function startHttpServer(host: string, port: number, handler: Handler): Server<undefined> {
  try {
    return Bun.serve({
      hostname: host,
      port,
      fetch: async (req, server) => {
        const response = await handler(req);
        if (isLongLived(req)) server.timeout(req, 0);
        return response;
      },
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "EADDRINUSE" ? "the port is already in use" : (error as Error).message;
    throw new AppError("port_unavailable", `cannot listen on ${host}:${port} (service.metrics_host, service.metrics_port): ${why}`);
  }
}
