"use client";

import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "~/server/broadcaster";
import { goToLogin } from "./auth-redirect";

export type FdSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * A socket to this server. The browser sends the session cookie with the handshake; a kiosk passes its `token`
 * (it goes in the handshake, never in a URL). socket.io reconnects by itself after network trouble, but not
 * when the server closed the socket on purpose (shutting down: a new process is likely coming); while `alive()`
 * says it is still wanted, this socket then tries again too.
 */
export function connect({ token, alive }: { token?: string | null; alive?: () => boolean } = {}): FdSocket {
  const socket: FdSocket = io({
    path: "/socket.io",
    transports: ["websocket"],
    auth: token ? { token } : {},
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    // A handshake that hangs (half-open network) is given up sooner than socket.io's 20 s, then retried.
    timeout: 6000,
  });
  if (alive) {
    socket.on("disconnect", (reason) => {
      if (reason === "io server disconnect") setTimeout(() => alive() && socket.connect(), 1000);
    });
  }
  return socket;
}

/**
 * Join a site's or a run's room. The server checks every join: a signed-out browser goes to the login form
 * (except on public pages: a kiosk says so itself); `done` hears the answer, null when joined, else why not.
 */
export function watch(socket: FdSocket, room: { site: string } | { run: number }, done?: (refused: string | null) => void) {
  const ack = (r: { ok: boolean; error?: string }) => {
    if (!r.ok && r.error === "sign in first") goToLogin();
    done?.(r.ok ? null : (r.error ?? "the server refused live updates"));
  };
  if ("site" in room) socket.emit("site.watch", room.site, ack);
  else socket.emit("run.watch", room.run, ack);
}
