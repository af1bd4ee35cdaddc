/**
 * Broadcasting from a process without a socket.io server (a run worker) to the sockets of every web replica,
 * over PostgreSQL in the wire format of the replicas' adapter (see pg-common.ts).
 *
 * Why not `@socket.io/postgres-emitter` 0.1.1 (the npm package of this job): its messages carry no `nsp`, and
 * the ClusterAdapter of socket.io-adapter 2.5 under @socket.io/postgres-adapter 0.5 ignores every message whose
 * `nsp` is not its namespace's, so nothing it sends arrives (tried: a socket in the room hears nothing, small or
 * large payload). And when a publish fails it emits an "error" event to every socket through itself, which fails
 * again while the database is away: a loop. This is the same ~30 lines with `nsp` and with those fixed.
 *
 * Publishes go out one at a time in the order they were asked for, so a replica hears a run's batches in order
 * (a replica that hears them out of order costs its browsers a refetch, nothing more: they order by seq).
 */
import { encode } from "@msgpack/msgpack";
import type pg from "pg";
import { ATTACHMENTS_TABLE, broadcastPool, CHANNEL, CLEANUP_MS, ensureAttachmentsTable, PAYLOAD_THRESHOLD } from "./pg-common";
import { OutageLog, redact } from "./outage";
import { RoomBroadcaster, type Payload } from "./rooms";
import type { ServerToClientEvents } from "./types";

/** socket.io-adapter's MessageType.BROADCAST, socket.io-parser's PacketType.EVENT, the adapter's emitter uid. */
const BROADCAST = 3;
const EVENT = 2;
const EMITTER_UID = "emitter";

/**
 * Broadcasts waiting for the database beyond this are dropped (and the outage logged): while PostgreSQL is away
 * memory must not grow without bound, and everything dropped is in the store for the browsers to fetch.
 */
const MAX_PENDING = 5_000;

export class PostgresEmitterBroadcaster extends RoomBroadcaster {
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private closed = false;
  private readonly cleanup: NodeJS.Timeout;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly outage: OutageLog,
  ) {
    super();
    // The replicas' adapters delete old attachments; with no replica up (workers go on without dashboards) the
    // workers' own would pile up at megabytes a second, so the emitter deletes them too, as the adapter does.
    this.cleanup = setInterval(() => {
      this.pool.query(`delete from ${ATTACHMENTS_TABLE} where created_at < now() - interval '${CLEANUP_MS} milliseconds'`).then(
        () => this.outage.ok(),
        (err: unknown) => this.outage.fail(err),
      );
    }, CLEANUP_MS);
    this.cleanup.unref();
  }

  /** Connects (two connections at most: publishes go one at a time) and makes sure the attachments table exists. */
  static async open(url: string, options: { log?: (line: string) => void } = {}): Promise<PostgresEmitterBroadcaster> {
    const outage = new OutageLog("live updates to the dashboards (PostgreSQL emitter)", url, options.log);
    const pool = broadcastPool(url, 2, "flightdeck-emitter", outage);
    try {
      await ensureAttachmentsTable(pool);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new Error(`broadcast: could not prepare ${ATTACHMENTS_TABLE} in the database: ${redact(err instanceof Error ? err.message : String(err), url)}`);
    }
    return new PostgresEmitterBroadcaster(pool, outage);
  }

  protected send<E extends keyof ServerToClientEvents>(rooms: string[], event: E, payload: Payload<E>) {
    if (this.closed) return;
    if (this.pending >= MAX_PENDING) {
      this.outage.fail(new Error(`${MAX_PENDING} broadcasts are waiting for the database; dropping the newest`));
      return;
    }
    this.pending++;
    const message = { uid: EMITTER_UID, nsp: "/", type: BROADCAST, data: { packet: { type: EVENT, data: [event, payload], nsp: "/" }, opts: { rooms, except: [], flags: {} } } };
    this.chain = this.chain
      .then(() => this.publish(message))
      .then(
        () => this.outage.ok(),
        (err: unknown) => this.outage.fail(err),
      )
      .finally(() => this.pending--);
  }

  private async publish(message: object) {
    const json = JSON.stringify(message);
    if (Buffer.byteLength(json) <= PAYLOAD_THRESHOLD) {
      await this.pool.query("select pg_notify($1, $2)", [CHANNEL, json]);
      return;
    }
    // As the adapter does: msgpack in the table, the row's id notified. Undefined fields are left out, as JSON
    // leaves them out, so browsers see the same payload whichever way it travelled.
    const { rows } = await this.pool.query<{ id: string }>(`insert into ${ATTACHMENTS_TABLE} (payload) values ($1) returning id`, [
      Buffer.from(encode(message, { ignoreUndefined: true })),
    ]);
    await this.pool.query("select pg_notify($1, $2)", [CHANNEL, JSON.stringify({ uid: EMITTER_UID, type: BROADCAST, attachmentId: rows[0]!.id })]);
  }

  /** Sends what is waiting, then closes the connections. */
  async close() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.cleanup);
    await this.chain;
    await this.pool.end();
  }
}
