/**
 * socket.io rooms, each join checked like any request: the caller (session cookie, or a token in the
 * handshake's `auth.token`) is resolved again at every join, so a sign-out or a revoked role takes effect.
 */
import type { IncomingMessage } from "node:http";
import type { Server, Socket } from "socket.io";
import { CLIENT_IP_HEADER, type Principal } from "./auth";
import { boardRoom, runRoom, siteRoom, type ClientToServerEvents, type JoinAck, type ServerToClientEvents } from "./broadcaster";
import type { Services } from "./services";
import { validSlug } from "./store/sites";

type FdSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export function attachSocketHandlers(io: Server<ClientToServerEvents, ServerToClientEvents>, svc: Services) {
  const principal = (socket: FdSocket): Promise<Principal> => svc.auth.principal(headersOf(socket.request, socket.handshake.auth, svc.env.FLIGHTDECK_TRUST_PROXY));
  const join = (socket: FdSocket, room: string, allowed: (p: Principal) => boolean | Promise<boolean>, ack?: JoinAck) => {
    principal(socket)
      .then(async (p) => {
        if (!(await allowed(p))) return ack?.(p.kind === "anonymous" ? { ok: false, code: "UNAUTHORIZED", error: "sign in first" } : { ok: false, code: "FORBIDDEN", error: "you may not watch this" });
        await socket.join(room);
        ack?.({ ok: true });
      })
      .catch((e: unknown) => {
        console.error(`socket: could not resolve the caller: ${e instanceof Error ? e.message : String(e)}`);
        ack?.({ ok: false, code: "INTERNAL", error: "could not check who you are" });
      });
  };
  const readsSite = async (p: Principal, site: string) => (p.kind !== "user" || !p.mustChangePassword) && (await svc.auth.access.roleOn(p, site)) !== null;
  const runSite = (run: number): Promise<string | undefined> => svc.runs.get(run).then((r) => r.site, () => undefined);

  io.on("connection", (socket) => {
    socket.on("site.watch", (site, ack) => {
      if (typeof site === "string" && validSlug(site)) join(socket, siteRoom(site), (p) => readsSite(p, site), ack);
      else ack?.({ ok: false, code: "NOT_FOUND", error: "no such site" });
    });
    socket.on("site.unwatch", (site) => {
      if (typeof site === "string") void socket.leave(siteRoom(site));
    });
    socket.on("run.watch", (run, ack) => {
      void (Number.isSafeInteger(run) && run > 0 ? runSite(run) : Promise.resolve(undefined)).then((site) => {
        if (site === undefined) return ack?.({ ok: false, code: "NOT_FOUND", error: "no such run" });
        join(socket, runRoom(run), async (p) => (await readsSite(p, site)) || (await svc.auth.access.kioskSees(p, site)), ack);
      });
    });
    socket.on("run.unwatch", (run) => {
      if (Number.isSafeInteger(run)) void socket.leave(runRoom(run));
    });
    // A kiosk follows new runs of its board's sites through the board's room (run ids only).
    socket.on("board.watch", (board, ack) => {
      const boards = typeof board === "string" ? svc.auth.access.boards() : Promise.resolve([]);
      void boards.then(
        (all) => {
          const found = all.find((b) => b.slug === board);
          if (!found) return ack?.({ ok: false, code: "NOT_FOUND", error: "no such board" });
          join(socket, boardRoom(found.slug), (p) => (p.kind === "kiosk" && p.boardId === found.id) || (p.kind === "user" && p.isAdmin), ack);
        },
        (e: unknown) => {
          console.error(`socket: could not read the kiosk boards: ${e instanceof Error ? e.message : String(e)}`);
          ack?.({ ok: false, code: "INTERNAL", error: "could not read the boards" });
        },
      );
    });
  });
}

function headersOf(req: IncomingMessage, auth: Record<string, unknown>, trustProxy: boolean): Headers {
  const headers = new Headers();
  if (req.headers.cookie) headers.set("cookie", req.headers.cookie);
  // better-auth derives its base URL from the host when none is configured; the origin decides whether the
  // cookie counts (a page of another origin opening a socket here is anonymous).
  for (const name of trustProxy ? (["host", "origin", "x-forwarded-host"] as const) : (["host", "origin"] as const)) {
    const value = req.headers[name];
    if (typeof value === "string") headers.set(name, value);
  }
  if (typeof auth.token === "string" && auth.token) headers.set("authorization", `Bearer ${auth.token}`);
  headers.set(CLIENT_IP_HEADER, req.socket.remoteAddress ?? "");
  return headers;
}
