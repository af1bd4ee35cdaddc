/**
 * The server's HTTP surface without Next's bundler: the same tRPC handler, better-auth route, REST route
 * modules and socket.io handlers as server/main.ts, on 127.0.0.1 with a fresh data directory. Requests go
 * over real HTTP (and real websockets), so tests see exactly what a client sees.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { Server } from "socket.io";
import { limitBody } from "../../server/api/body-limit";
import { appRouter } from "../../server/api/root";
import { createContext } from "../../server/api/trpc";
import { CLIENT_IP_HEADER } from "../../server/auth";
import { authRouteHandler } from "../../server/auth/http";
import { readEnv } from "../../server/env";
import { TRPC_BODY_BYTES } from "../../server/limits";
import { createServices, provideServices, type Services } from "../../server/services";
import { attachSocketHandlers } from "../../server/socket";
import { restHandler } from "../../server/rest/handler";
import { closeCheckPool } from "../../server/workers/check-pool";
import * as introspectRoute from "../../app/api/v1/introspect/route";
import * as openapiRoute from "../../app/api/v1/openapi.json/route";
import * as exportRoute from "../../app/api/v1/sites/[slug]/export/route";
import * as inventoryJsonRoute from "../../app/api/v1/sites/[slug]/inventory.json/route";
import * as inventoryTgzRoute from "../../app/api/v1/sites/[slug]/inventory.tgz/route";
import * as inventoryZipRoute from "../../app/api/v1/sites/[slug]/inventory.zip/route";
import * as importRoute from "../../app/api/v1/sites/import/route";
import * as eventsRoute from "../../app/api/v1/sites/[slug]/events/route";
import * as alertmanagerRoute from "../../app/api/v1/sites/[slug]/events/alertmanager/route";
import * as githubRoute from "../../app/api/v1/sites/[slug]/events/github/route";

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Response | Promise<Response>;
/** Next's specific /api/v1 routes; every other /api/v1 path goes to the catch-all (the REST adapter), as in Next. */
const REST: [RegExp, string[], Partial<Record<string, Handler>>][] = [
  [/^\/api\/v1\/openapi\.json$/, [], openapiRoute as unknown as Partial<Record<string, Handler>>],
  [/^\/api\/v1\/sites\/import$/, [], importRoute as unknown as Partial<Record<string, Handler>>],
  [/^\/api\/v1\/sites\/([^/]+)\/export$/, ["slug"], exportRoute as unknown as Partial<Record<string, Handler>>],
  [/^\/api\/v1\/sites\/([^/]+)\/inventory\.tgz$/, ["slug"], inventoryTgzRoute as unknown as Partial<Record<string, Handler>>],
  [/^\/api\/v1\/sites\/([^/]+)\/inventory\.zip$/, ["slug"], inventoryZipRoute as unknown as Partial<Record<string, Handler>>],
  [/^\/api\/v1\/sites\/([^/]+)\/inventory\.json$/, ["slug"], inventoryJsonRoute as unknown as Partial<Record<string, Handler>>],
  [/^\/api\/v1\/introspect$/, [], introspectRoute as unknown as Partial<Record<string, Handler>>],
  [/^\/api\/v1\/sites\/([^/]+)\/events$/, ["slug"], eventsRoute as unknown as Partial<Record<string, Handler>>],
  [/^\/api\/v1\/sites\/([^/]+)\/events\/alertmanager$/, ["slug"], alertmanagerRoute as unknown as Partial<Record<string, Handler>>],
  [/^\/api\/v1\/sites\/([^/]+)\/events\/github$/, ["slug"], githubRoute as unknown as Partial<Record<string, Handler>>],
];

export async function startHttpServer(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "fd-http-"));
  const services: Services = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "", FLIGHTDECK_ADMIN_PASSWORD: "admin-password-1", ...env }));
  // Route handlers and tRPC's context find the services the way they do inside Next: on globalThis.
  provideServices(services);
  await services.auth.ensureAdmin(() => undefined);
  const auth = authRouteHandler(services);

  const http = createServer((req, res) => {
    req.headers[CLIENT_IP_HEADER] = req.socket.remoteAddress ?? "";
    void route(req, res);
  });
  async function route(req: IncomingMessage, res: ServerResponse) {
    const request = toRequest(req);
    const path = new URL(request.url).pathname;
    let response: Response;
    if (path.startsWith("/api/auth/")) response = await auth(request);
    else if (path.startsWith("/api/trpc/")) response = await fetchRequestHandler({ endpoint: "/api/trpc", req: limitBody(request, TRPC_BODY_BYTES), router: appRouter, createContext: ({ req: r }) => createContext(r.headers), allowMethodOverride: true });
    else {
      const match = REST.map(([re, names, mod]) => ({ m: re.exec(path), names, mod })).find((x) => x.m);
      const handler = match?.mod[request.method];
      if (handler) response = await handler(request, { params: Promise.resolve(Object.fromEntries(match.names.map((n, i) => [n, decodeURIComponent(match.m![i + 1]!)]))) });
      else if (path.startsWith("/api/v1/") && !match) response = await restHandler(request);
      else response = new Response("not found", { status: 404 });
    }
    for (const [k, v] of response.headers) if (k !== "set-cookie") res.setHeader(k, v);
    // getSetCookie keeps several cookies apart (a plain header join would merge them).
    const cookies = response.headers.getSetCookie();
    if (cookies.length) res.setHeader("set-cookie", cookies);
    res.statusCode = response.status;
    res.end(Buffer.from(await response.arrayBuffer()));
  }
  const io = new Server(http, { path: "/socket.io", serveClient: false });
  attachSocketHandlers(io, services);
  services.broadcaster.attach(io);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url,
    services,
    async close() {
      await io.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await closeCheckPool();
      await services.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The body streams from the socket as in Next (which passes the IncomingMessage itself as the Request's body): a
 * handler that answers before reading it, or stops part way (a refused upload), never holds the rest.
 */
function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  const body = req.method !== "GET" && req.method !== "HEAD" ? req : undefined;
  return new Request(`http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`, { method: req.method, headers, body, duplex: "half" } as RequestInit);
}
