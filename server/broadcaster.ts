/**
 * How server events reach browsers. In one process this is socket.io's rooms; a multi-replica deployment
 * swaps in socket.io's Redis or PostgreSQL adapter without touching callers.
 */
import type { Server } from "socket.io";
import type { OutputChunk, RunEvent } from "./engine";
import type { ErrorCode } from "./errors";

export interface SiteRevisionEvent {
  site: string;
  revision: number;
  author: string;
  message: string;
}

export interface ServerToClientEvents {
  "site.revision": (event: SiteRevisionEvent) => void;
  /** A run of the site was created or changed status: lists refresh. */
  "site.runs": (event: { site: string; run: number }) => void;
  "run.events": (event: { run: number; events: RunEvent[] }) => void;
  "run.output": (event: { run: number; chunks: (OutputChunk & { t: number })[] }) => void;
}

/** Every join is answered: refused joins say why (and the socket is not in the room). */
/** A refused join says why, with the code the same refusal has over REST and tRPC. */
export type JoinAck = (result: { ok: true } | { ok: false; code: ErrorCode | "INTERNAL"; error: string }) => void;

export interface ClientToServerEvents {
  "site.watch": (site: string, ack?: JoinAck) => void;
  "site.unwatch": (site: string) => void;
  "run.watch": (run: number, ack?: JoinAck) => void;
  "run.unwatch": (run: number) => void;
  "board.watch": (board: string, ack?: JoinAck) => void;
}

export const siteRoom = (site: string) => `site:${site}`;
export const runRoom = (run: number) => `run:${run}`;
export const boardRoom = (board: string) => `board:${board}`;

export class Broadcaster {
  private io: Server<ClientToServerEvents, ServerToClientEvents> | undefined;

  attach(io: Server<ClientToServerEvents, ServerToClientEvents>) {
    this.io = io;
  }

  siteRevision(event: SiteRevisionEvent) {
    this.io?.to(siteRoom(event.site)).emit("site.revision", event);
  }

  /** Kiosk boards showing the site hear of it too (the board rooms are looked up per event: boards change rarely). */
  siteRuns(site: string, run: number) {
    this.io?.to(siteRoom(site)).emit("site.runs", { site, run });
    // The boards come from the (async) store; a failed lookup only costs the kiosk boards this notification.
    void Promise.resolve(this.boardsOf(site)).then(
      (boards) => {
        for (const board of boards) this.io?.to(boardRoom(board)).emit("site.runs", { site, run });
      },
      () => undefined,
    );
  }

  /** Set by the server once the access store exists. */
  boardsOf: (site: string) => Promise<string[]> | string[] = () => [];

  runEvents(run: number, events: RunEvent[]) {
    this.io?.to(runRoom(run)).emit("run.events", { run, events });
  }

  runOutput(run: number, chunks: (OutputChunk & { t: number })[]) {
    this.io?.to(runRoom(run)).emit("run.output", { run, chunks });
  }
}
