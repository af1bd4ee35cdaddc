/**
 * A whole server (test/api/http-server.ts) in a process of its own, for tests that need what only a real
 * process has: its own environment (FLIGHTDECK_ADMIN_PASSWORD there, as a new user would start it) and its own
 * user (run under setpriv). Prints `{"url","data","pid"}` on its first line, then serves until SIGTERM.
 */
import { startHttpServer } from "./http-server";

const server = await startHttpServer({
  FLIGHTDECK_ADMIN_PASSWORD: process.env.FLIGHTDECK_ADMIN_PASSWORD ?? "admin-password-1",
  FLIGHTDECK_ENV_ALLOW: process.env.FLIGHTDECK_ENV_ALLOW ?? "",
});
process.stdout.write(`${JSON.stringify({ url: server.url, data: server.services.env.FLIGHTDECK_DATA, pid: process.pid })}\n`);
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
