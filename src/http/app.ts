import type { Credentials } from "./auth.ts";

/** A handler of the status page or the recordings API, with the path's named parts. */
export type AppHandler = (req: Request, params: Record<string, string>) => Response | Promise<Response>;

/** One route: a full-path pattern with named groups (`/api/cameras/(?<id>[^/]+)/latest.jpg`). */
export interface AppRoute {
  path: RegExp;
  handler: AppHandler;
}

/** The opt-in part of the HTTP server: behind Basic auth, present only with `service.ui_password`. */
export interface App {
  credentials: Credentials;
  routes: AppRoute[];
}

/** The route matching `pathname` and its named parts, or undefined. */
export function matchRoute(routes: AppRoute[], pathname: string): { route: AppRoute; params: Record<string, string> } | undefined {
  for (const route of routes) {
    const m = route.path.exec(pathname);
    if (m) return { route, params: { ...(m.groups ?? {}) } };
  }
  return undefined;
}
