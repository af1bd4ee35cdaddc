/**
 * What the PostgreSQL adapter (web replicas) and the emitter (workers) share: the channel, the attachments
 * table, the payload threshold, and a small pool that never crashes the process when the database goes away.
 *
 * The wire format is @socket.io/postgres-adapter 0.5's: NOTIFY on `<prefix>#<namespace>` with the JSON message,
 * or, for payloads of 8000 bytes and more (NOTIFY's limit; every run.events batch of a big run), the message
 * msgpack-encoded in the attachments table and only its id notified. Receivers read attachments right away;
 * rows older than CLEANUP_MS are deleted every CLEANUP_MS by every web replica (the adapter) and every worker
 * (the emitter).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { OutageLog } from "./outage";

/** Our own prefix, so that another socket.io application on the same database never hears our rooms. */
export const CHANNEL_PREFIX = "flightdeck";
/** Only the default namespace is used. */
export const CHANNEL = `${CHANNEL_PREFIX}#/`;
export const ATTACHMENTS_TABLE = "socket_io_attachments";
/**
 * NOTIFY payloads must be shorter than 8000 bytes. Adapter 0.5.0 sends a payload whose size is not `>` the
 * threshold as a NOTIFY, so its default of 8000 lets a payload of exactly 8000 bytes fail (fixed upstream after
 * 0.5.0 with `>=`): 7999 sends it as an attachment instead.
 */
export const PAYLOAD_THRESHOLD = 7999;
/**
 * Attachments live 10 to 20 s: receivers read them within milliseconds, and a receiver slower than that loses a
 * broadcast that its browsers then fetch from the store. Short, because a 10,000-host run stores megabytes of
 * event batches a second there.
 */
export const CLEANUP_MS = 10_000;

/**
 * The adapter's table, as its README creates it. It is created here, at start, by whichever process comes first
 * (web replica or worker), rather than by a drizzle migration: its shape belongs to the adapter, it holds no
 * state of ours (every row is gone within seconds), and the store's migrations stay the store's. The advisory
 * lock keeps two processes starting at once from racing on `create table if not exists` (which can fail with
 * a duplicate pg_type row).
 */
export const ATTACHMENTS_SQL = `create table if not exists ${ATTACHMENTS_TABLE} (
  id bigserial unique,
  created_at timestamptz default now(),
  payload bytea
)`;
const LOCK_KEY = 0x666c6462; // "fldb"

export async function ensureAttachmentsTable(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("select pg_advisory_xact_lock($1)", [LOCK_KEY]);
    await client.query(ATTACHMENTS_SQL);
    await client.query("commit");
  } catch (err) {
    await client.query("rollback").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * A pool for the broadcast alone (a few connections, apart from the store's, so that a burst of event batches
 * never waits behind queries and the LISTEN connection the adapter holds takes none of the store's).
 * Every client gets an error listener: pg emits `error` on a checked-out client whose connection ends, and the
 * adapter's LISTEN client has none, so without this a restart of PostgreSQL would crash the process.
 */
export function broadcastPool(url: string, max: number, name: string, outage: OutageLog): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    application_name: name,
    connectionTimeoutMillis: 10_000,
    // A LISTEN connection is idle for long stretches: keepalives let a dead peer be noticed.
    keepAlive: true,
  });
  pool.on("connect", (client) => client.on("error", (err) => outage.fail(err)));
  pool.on("error", (err) => outage.fail(err));
  return pool;
}

/** A probe notification that the adapter ignores (no namespace of that name) but that proves LISTEN works. */
export function probeMessage(): { id: string; payload: string } {
  const id = randomBytes(8).toString("hex");
  return { id, payload: JSON.stringify({ uid: `probe-${id}`, nsp: "/flightdeck-probe", type: 2 }) };
}
