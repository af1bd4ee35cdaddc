/**
 * Broadcasting through this process's socket.io server: to its own sockets and, once `usePostgresAdapter` has
 * installed the PostgreSQL adapter on it, to the sockets of every other web replica too (the adapter forwards
 * each emit). On SQLite it is socket.io's in-memory adapter, as it always was.
 */
import type { Server } from "socket.io";
import { RoomBroadcaster, type Payload } from "./rooms";
import type { ClientToServerEvents, ServerToClientEvents } from "./types";

/** socket.io-parser's PacketType.EVENT. */
const EVENT = 2;
/** Broadcasts waiting for the adapter beyond this are dropped: browsers fetch what they miss from the store. */
const MAX_PENDING = 5_000;

export class SocketIoBroadcaster extends RoomBroadcaster {
  private io: Server<ClientToServerEvents, ServerToClientEvents> | undefined;
  /** The last broadcast still being published to the other replicas, if any. */
  private pending: Promise<void> | undefined;
  private waiting = 0;
  private dropped = false;

  /** Until attached (the server is created after the services), events have no socket to reach. */
  attach(io: Server<ClientToServerEvents, ServerToClientEvents>) {
    this.io = io;
  }

  /**
   * What `io.to(rooms).emit(event, payload)` does, but through the adapter's `broadcast` directly, because that
   * returns when the PostgreSQL adapter has published the packet: the next broadcast waits for it, so the other
   * replicas are sent this process's broadcasts in the order they were made (otherwise a small batch, notified
   * at once, overtakes a large one whose attachment is still being written). The in-memory adapter delivers at
   * once and returns nothing: nothing waits then.
   */
  protected send<E extends keyof ServerToClientEvents>(rooms: string[], event: E, payload: Payload<E>) {
    const adapter = this.io?.of("/").adapter;
    if (!adapter) return;
    const go = () => adapter.broadcast({ type: EVENT, data: [event, payload] }, { rooms: new Set(rooms), except: new Set(), flags: {} }) as unknown as Promise<void> | undefined;
    if (!this.pending) {
      const published = go();
      if (published) this.track(published);
      return;
    }
    if (this.waiting >= MAX_PENDING) {
      if (!this.dropped) console.error(`flightdeck: broadcast: ${MAX_PENDING} broadcasts are waiting for PostgreSQL; dropping the newest (browsers catch up from the store)`);
      this.dropped = true;
      return;
    }
    this.waiting++;
    this.track(
      this.pending.then(() => {
        this.waiting--;
        return go();
      }),
    );
  }

  private track(published: Promise<void>) {
    const settled: Promise<void> = published.then(
      () => {
        if (this.pending === settled) this.pending = undefined;
        if (!this.waiting) this.dropped = false;
      },
      // The adapter reports its own failures (errorHandler); the chain must go on.
      () => {
        if (this.pending === settled) this.pending = undefined;
      },
    );
    this.pending = settled;
  }

  /** Waits for what is being published; the socket.io server itself is its owner's to close. */
  async close() {
    await this.pending;
    this.io = undefined;
  }
}
