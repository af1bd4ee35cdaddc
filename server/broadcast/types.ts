/**
 * What server events reach browsers, and the rooms they go to. Every process that stores events broadcasts
 * them through a Broadcaster: a web process through its socket.io server (whose PostgreSQL adapter forwards
 * each emit to the other replicas), a worker without a socket.io server through the PostgreSQL emitter.
 * Room authorisation is not here: the replica that holds a socket checks each join (server/socket.ts).
 */
import type { OutputChunk, RunEvent } from "../engine";
import type { ErrorCode } from "../errors";

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
  /** An event of the site was received or its outcome changed (server/events/hub.ts): the Events page refreshes. */
  "site.event": (event: { site: string; id: number }) => void;
  "run.events": (event: { run: number; events: RunEvent[] }) => void;
  "run.output": (event: { run: number; chunks: (OutputChunk & { t: number })[] }) => void;
}

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

/**
 * Fire and forget: a broadcast never throws and is never awaited by the code that stored the event. Browsers
 * order run events by `seq` and fetch what they missed from the store, so a lost or late broadcast costs a
 * refetch, never a wrong page.
 */
export interface Broadcaster {
  siteRevision(event: SiteRevisionEvent): void;
  /** To the site's room and to the rooms of the kiosk boards that show the site. */
  siteRuns(site: string, run: number): void;
  /** To the site's room: its event `id` was stored or its outcome changed (optional: test recorders need not hear it). */
  siteEvent?(site: string, id: number): void;
  runEvents(run: number, events: RunEvent[]): void;
  runOutput(run: number, chunks: (OutputChunk & { t: number })[]): void;
  /** Which kiosk boards show a site (looked up per `siteRuns`: boards change rarely, run statuses rarely too). */
  boardsOf: (site: string) => Promise<string[]> | string[];
  /** Stops sending (pending PostgreSQL publishes are finished first) and releases connections. */
  close(): Promise<void>;
}

/** `boardsOf` over the store's kiosk boards. */
export function boardsShowing(accounts: { boards(): Promise<{ slug: string; sites: string[] }[]> }): (site: string) => Promise<string[]> {
  return async (site) => (await accounts.boards()).filter((b) => b.sites.includes(site)).map((b) => b.slug);
}
