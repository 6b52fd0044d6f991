import { createHash } from "node:crypto";

/**
 * In front of s3rver, what MinIO does: a DeleteObjects request without a Content-MD5 that matches
 * its body is refused. Records the number of keys in each DeleteObjects request. `control` injects
 * faults: a listing's later pages fail, or deletes are denied (an identity without delete rights).
 */
export function strictS3Front(upstream: string) {
  const deletes: Array<{ keys: number; md5: string | null }> = [];
  const control = { failNextPages: false, denyDeletes: false, listings: 0 };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      const body = request.method === "GET" || request.method === "HEAD" ? undefined : Buffer.from(await request.arrayBuffer());
      if (request.method === "GET" && url.searchParams.get("list-type") === "2") {
        control.listings++;
        // A listing's second and later pages fail: the first page came through.
        if (control.failNextPages && url.searchParams.has("continuation-token")) {
          return new Response('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>', { status: 500, headers: { "content-type": "application/xml" } });
        }
      }
      if (request.method === "POST" && url.searchParams.has("delete")) {
        const md5 = request.headers.get("content-md5");
        deletes.push({ keys: (body!.toString().match(/<Key>/g) ?? []).length, md5 });
        if (control.denyDeletes) {
          return new Response('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied.</Message></Error>', { status: 403, headers: { "content-type": "application/xml" } });
        }
        if (md5 !== createHash("md5").update(body!).digest("base64")) {
          return new Response('<?xml version="1.0" encoding="UTF-8"?><Error><Code>MissingContentMD5</Code><Message>Missing required header for this request: Content-Md5.</Message></Error>', { status: 400, headers: { "content-type": "application/xml" } });
        }
      }
      const answer = await fetch(`${upstream}${url.pathname}${url.search}`, { method: request.method, headers: request.headers, body });
      return new Response(request.method === "HEAD" ? null : await answer.arrayBuffer(), { status: answer.status, headers: answer.headers });
    },
  });
  return { endpoint: `http://127.0.0.1:${server.port}`, deletes, control, stop: () => server.stop(true) };
}
