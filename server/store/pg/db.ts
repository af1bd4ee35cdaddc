/**
 * The PostgreSQL connection: one `pg` Pool per process (pg-boss, better-auth and socket.io's adapter take the
 * same kind of pool), with drizzle's node-postgres driver over it.
 */
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "../../../db/pg/schema";

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };
/** A transaction or the database itself: query helpers accept either. */
export type PgTx = Parameters<Parameters<PgDb["transaction"]>[0]>[0] | PgDb;

/** Connections per process unless FLIGHTDECK_DATABASE_POOL says otherwise. */
export const DEFAULT_POOL_SIZE = 10;

export function createPool(url: string, size = DEFAULT_POOL_SIZE): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: size, application_name: "flightdeck" });
  // An idle connection that the server drops (a restart, a network cut) emits here; without a listener the
  // process would crash. The next query takes a fresh connection, and its own error reaches its caller.
  pool.on("error", (err) => console.warn(`flightdeck: an idle PostgreSQL connection failed (${err.message}); the next query opens another`));
  // A connection lost while checked out (inside a transaction: drizzle's and append's) also emits 'error' on
  // its client, which nobody else listens to then: unheard, it would end the process. The query under way
  // rejects with the same error and reaches its caller; the pool discards the broken client on release.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

export function pgDrizzle(pool: pg.Pool): PgDb {
  return drizzle(pool, { schema });
}
