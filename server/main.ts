/**
 * The Flightdeck server: one Node process serving the Next.js dashboard, tRPC (inside Next), the REST API
 * and socket.io on the same port. It executes runs too, unless started with --no-worker (PostgreSQL only:
 * `flightdeck worker` processes execute them then).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import next from "next";
import { Server } from "socket.io";
import { CLIENT_IP_HEADER } from "./auth";
import { dropUntrustedForwarding } from "./auth/forwarded";
import { isGatedPage, loginLocation, toHeaders } from "./auth/page-gate";
import { attachSocketHandlers } from "./socket";
import { readEnv } from "./env";
import { createServices, provideServices } from "./services";
import { usePostgresAdapter, type ClientToServerEvents, type ServerToClientEvents } from "./broadcast";
import { survivePipeLoss } from "./stdio";

survivePipeLoss();

const dev = process.argv.includes("--dev");
const noWorker = process.argv.includes("--no-worker");
const svc = await createServices(readEnv(), { executes: !noWorker }).catch((e: Error) => {
  // Bad configuration (a wrong database URL, a database at another schema, a bad setting) is one line, not a trace.
  console.error(`flightdeck: ${e.message}`);
  process.exit(2);
});
if (noWorker && svc.store.dialect === "sqlite") console.error("flightdeck: --no-worker needs PostgreSQL (FLIGHTDECK_DATABASE_URL); on the embedded SQLite file this process executes runs itself");
provideServices(svc);
const app = next({ dev, dir: process.cwd() });
const handle = app.getRequestHandler();

await app.prepare();
await svc.auth.ensureAdmin((line) => console.log(line));

const http = createServer((req, res) => {
  // Rate limits and the audit log key on this; a client's own value is replaced, never trusted.
  req.headers[CLIENT_IP_HEADER] = req.socket.remoteAddress ?? "";
  dropUntrustedForwarding(req.headers, svc.env.FLIGHTDECK_TRUST_PROXY);
  void serve(req, res);
});

async function serve(req: IncomingMessage, res: ServerResponse) {
  if (isGatedPage(req.method, req.url, req.headers)) {
    const caller = await svc.auth.principal(toHeaders(req.headers)).catch(() => ({ kind: "anonymous" as const }));
    if (caller.kind === "anonymous") {
      res.writeHead(307, { location: loginLocation(req.url!), "cache-control": "no-store" }).end();
      return;
    }
  }
  await handle(req, res);
}
const io = new Server<ClientToServerEvents, ServerToClientEvents>(http, { path: "/socket.io", serveClient: false });
// On PostgreSQL other processes (replicas, workers) broadcast too: their events reach this replica's sockets, and
// this one's reach theirs. Installed before the port opens, so a replica that says it is up hears the others.
const crossProcess =
  svc.store.dialect === "postgres"
    ? await usePostgresAdapter(io, process.env.FLIGHTDECK_DATABASE_URL ?? "").catch((e: Error) => {
        // Its message is one located line without the password; a stack trace would add nothing.
        console.error(`flightdeck: ${e.message}`);
        process.exit(1);
      })
    : undefined;
attachSocketHandlers(io, svc);
svc.broadcaster.attach(io);

http.listen(svc.env.PORT, svc.env.HOST, () => {
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : svc.env.PORT;
  console.log(`flightdeck: dashboard on http://${svc.env.HOST}:${port} (data in ${svc.env.FLIGHTDECK_DATA})`);
});

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  // A second signal while runs get their grace period: leave now (they end interrupted by the next start or sweep).
  if (stopping) process.exit(1);
  stopping = true;
  const running = svc.runParts.worker?.runs().length ?? 0;
  console.log(`flightdeck: stopping${running ? ` (${running} run${running > 1 ? "s" : ""} may finish first; again to stop at once)` : ""}`);
  // No new connections from now; the browsers already connected (and, through the adapter, every replica's) keep
  // hearing the runs that finish within their grace period. Then the sockets, the adapter and the store close.
  const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
  void svc.runParts
    .stop(`the server was stopped (${signal})`)
    // io.close() closes the adapter (its LISTEN connection goes back to the broadcast's pool) before that pool ends.
    .then(() => io.close())
    .then(() => crossProcess?.close())
    // Keep-alive sockets can hold close() open; don't wait for them beyond 3 s.
    .then(() => Promise.race([httpClosed, new Promise<void>((resolve) => setTimeout(resolve, 3000).unref())]))
    .then(() => svc.close())
    .catch((e: Error) => console.error(`flightdeck: while stopping: ${e.message}`))
    .finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
