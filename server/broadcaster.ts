/**
 * How server events reach browsers. In one process this is socket.io's rooms; a multi-replica deployment
 * swaps in socket.io's Redis or PostgreSQL adapter without touching callers.
 */
import type { Server } from "socket.io";

export interface SiteRevisionEvent {
  site: string;
  revision: number;
  author: string;
  message: string;
}

export interface ServerToClientEvents {
  "site.revision": (event: SiteRevisionEvent) => void;
}

export interface ClientToServerEvents {
  "site.watch": (site: string) => void;
  "site.unwatch": (site: string) => void;
}

export const siteRoom = (site: string) => `site:${site}`;

export class Broadcaster {
  private io: Server<ClientToServerEvents, ServerToClientEvents> | undefined;

  attach(io: Server<ClientToServerEvents, ServerToClientEvents>) {
    this.io = io;
  }

  siteRevision(event: SiteRevisionEvent) {
    this.io?.to(siteRoom(event.site)).emit("site.revision", event);
  }
}
