"use client";

import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "~/server/broadcaster";
import { goToLogin } from "./auth-redirect";

export type FdSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A socket to this server (the browser sends the session cookie with the handshake). */
export function connect(): FdSocket {
  return io({ path: "/socket.io", transports: ["websocket"] });
}

/**
 * Join a site's or a run's room. The server checks every join: a signed-out browser goes to the login form,
 * any other refusal is handed to `refused` in words for the user.
 */
export function watch(socket: FdSocket, room: { site: string } | { run: number }, refused?: (why: string) => void) {
  const ack = (r: { ok: boolean; error?: string }) => {
    if (r.ok) return;
    if (r.error === "sign in first") goToLogin();
    else refused?.(r.error ?? "the server refused live updates");
  };
  if ("site" in room) socket.emit("site.watch", room.site, ack);
  else socket.emit("run.watch", room.run, ack);
}
