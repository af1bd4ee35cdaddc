/**
 * The Broadcaster's rooms and payloads, once for every way of sending them: an implementation only says how
 * an event reaches a set of rooms.
 */
import type { OutputChunk, RunEvent } from "../engine";
import { boardRoom, runRoom, siteRoom, type Broadcaster, type ServerToClientEvents, type SiteRevisionEvent } from "./types";

export type Payload<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

export abstract class RoomBroadcaster implements Broadcaster {
  /** Set once the store exists (kiosk boards are accounts' data). */
  boardsOf: (site: string) => Promise<string[]> | string[] = () => [];
  private boardsFailed = false;

  /** Sends one event to the sockets in any of `rooms` (a socket in several of them gets it once). Never throws. */
  protected abstract send<E extends keyof ServerToClientEvents>(rooms: string[], event: E, payload: Payload<E>): void;
  abstract close(): Promise<void>;

  siteRevision(event: SiteRevisionEvent) {
    this.send([siteRoom(event.site)], "site.revision", event);
  }

  siteRuns(site: string, run: number) {
    const send = (boards: string[]) => this.send([siteRoom(site), ...boards.map(boardRoom)], "site.runs", { site, run });
    const failed = (err: unknown) => {
      // The site's own room still hears of it; kiosks refresh on their own timer meanwhile.
      if (!this.boardsFailed) console.error(`flightdeck: broadcast: could not look up the kiosk boards showing ${site}: ${err instanceof Error ? err.message : String(err)}`);
      this.boardsFailed = true;
      send([]);
    };
    let boards: Promise<string[]> | string[];
    try {
      boards = this.boardsOf(site);
    } catch (err) {
      return failed(err);
    }
    if (Array.isArray(boards)) return send(boards);
    boards.then((b) => {
      this.boardsFailed = false;
      send(b);
    }, failed);
  }

  siteEvent(site: string, id: number) {
    this.send([siteRoom(site)], "site.event", { site, id });
  }

  runEvents(run: number, events: RunEvent[]) {
    this.send([runRoom(run)], "run.events", { run, events });
  }

  runOutput(run: number, chunks: (OutputChunk & { t: number })[]) {
    this.send([runRoom(run)], "run.output", { run, chunks });
  }
}
