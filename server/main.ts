/**
 * The Flightdeck server: one Node process serving the Next.js dashboard, tRPC (inside Next), the REST API
 * and socket.io on the same port.
 */
import { createServer } from "node:http";
import next from "next";
import { Server } from "socket.io";
import { runRoom, siteRoom, type ClientToServerEvents, type ServerToClientEvents } from "./broadcaster";
import { validSlug } from "./store/sites";
import { services } from "./services";

const dev = process.argv.includes("--dev");
const svc = services();
const app = next({ dev, dir: process.cwd() });
const handle = app.getRequestHandler();

await app.prepare();

const http = createServer((req, res) => {
  void handle(req, res);
});
const io = new Server<ClientToServerEvents, ServerToClientEvents>(http, { path: "/socket.io", serveClient: false });
io.on("connection", (socket) => {
  socket.on("site.watch", (site) => {
    if (typeof site === "string" && validSlug(site)) void socket.join(siteRoom(site));
  });
  socket.on("site.unwatch", (site) => {
    if (typeof site === "string") void socket.leave(siteRoom(site));
  });
  socket.on("run.watch", (run) => {
    if (Number.isSafeInteger(run) && run > 0) void socket.join(runRoom(run));
  });
  socket.on("run.unwatch", (run) => {
    if (Number.isSafeInteger(run)) void socket.leave(runRoom(run));
  });
});
svc.broadcaster.attach(io);

http.listen(svc.env.PORT, svc.env.HOST, () => {
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : svc.env.PORT;
  console.log(`flightdeck: dashboard on http://${svc.env.HOST}:${port} (data in ${svc.env.FLIGHTDECK_DATA})`);
});

const stop = () => {
  console.log("flightdeck: stopping");
  void io.close();
  http.close(() => {
    svc.db.$client.close();
    process.exit(0);
  });
  // Keep-alive sockets can hold close() open; don't wait for them forever.
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
