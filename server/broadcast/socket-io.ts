/**
 * Broadcasting through this process's socket.io server: to its own sockets and, once `usePostgresAdapter` has
 * installed the PostgreSQL adapter on it, to the sockets of every other web replica too (the adapter forwards
 * each emit). On SQLite it is socket.io's in-memory adapter, as it always was.
 */
import type { Server } from "socket.io";
import { RoomBroadcaster, type Payload } from "./rooms";
import type { ClientToServerEvents, ServerToClientEvents } from "./types";

export class SocketIoBroadcaster extends RoomBroadcaster {
  private io: Server<ClientToServerEvents, ServerToClientEvents> | undefined;

  /** Until attached (the server is created after the services), events have no socket to reach. */
  attach(io: Server<ClientToServerEvents, ServerToClientEvents>) {
    this.io = io;
  }

  protected send<E extends keyof ServerToClientEvents>(rooms: string[], event: E, payload: Payload<E>) {
    // socket.io's typed emit cannot relate a generic event name to its parameters; the base class did.
    (this.io?.to(rooms) as { emit(event: string, payload: unknown): boolean } | undefined)?.emit(event, payload);
  }

  /** The socket.io server is its owner's to close. */
  close(): Promise<void> {
    this.io = undefined;
    return Promise.resolve();
  }
}
