/**
 * The PostgreSQL store: drizzle's node-postgres driver over one `pg` Pool (FLIGHTDECK_DATABASE_POOL connections,
 * default 10), migrated at open unless told not to. Connection failures are reported in one line that names the
 * server and never the password.
 */
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import type pg from "pg";
import { account, session, user, verification } from "../../../db/pg/schema";
import { UnavailableError } from "../../errors";
import type { Store } from "../types";
import { PgAccountStore } from "./accounts";
import { PgAuditStore } from "./audit";
import { PgEventStore } from "./events";
import { createPool, DEFAULT_POOL_SIZE, pgDrizzle, type PgDb } from "./db";
import { PgIntrospectionStore } from "./introspection";
import { PgNotificationStore } from "./notifications";
import { PgScheduleStore } from "./schedules";
import { PgArtifactStore } from "./artifacts";
import { migratePostgres } from "./migrate";
import { PgProjectStore } from "./projects";
import { PgRunStore } from "./runs";
import { PgSiteStore } from "./sites";
import { PgWorkerRegistry } from "./workers";

export interface PostgresStore extends Store {
  readonly dialect: "postgres";
  readonly db: PgDb;
  /** The pool, for what shares it (pg-boss, socket.io's adapter, LISTEN clients). */
  readonly pool: pg.Pool;
}

export interface PostgresOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Apply missing migrations (default); false refuses a database that lacks some (workers: the dashboard migrates). */
  migrate?: boolean;
  /** The migrations folder (tests). */
  migrationsFolder?: string;
}

export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
  const where = describeServer(url);
  const pool = createPool(url, options.poolSize ?? DEFAULT_POOL_SIZE);
  try {
    await pool.query("select 1").catch((e: Error) => {
      throw new UnavailableError(`cannot reach PostgreSQL at ${where}: ${reason(e)}`, { cause: e });
    });
    await migratePostgres(pool, { apply: options.migrate ?? true, folder: options.migrationsFolder });
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }
  return postgresStore(pool);
}

export function postgresStore(pool: pg.Pool): PostgresStore {
  const db = pgDrizzle(pool);
  let closed: Promise<void> | undefined;
  return {
    dialect: "postgres",
    db,
    pool,
    projects: new PgProjectStore(db),
    sites: new PgSiteStore(db),
    runs: new PgRunStore(db, pool),
    accounts: new PgAccountStore(db),
    audit: new PgAuditStore(db),
    introspection: new PgIntrospectionStore(db),
    schedules: new PgScheduleStore(db),
    artifacts: new PgArtifactStore(db),
    events: new PgEventStore(db),
    workers: new PgWorkerRegistry(db),
    notifications: new PgNotificationStore(db),
    betterAuthAdapter: () => drizzleAdapter(db, { provider: "pg", schema: { user, session, account, verification } }),
    close: () => {
      // Connections end after pool.end() resolves; a server that drops one meanwhile is no news any more.
      pool.removeAllListeners("error").on("error", () => {});
      return (closed ??= pool.end());
    },
  };
}

/** host:port/database of a postgres:// URL, without user or password. */
export function describeServer(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UnavailableError("FLIGHTDECK_DATABASE_URL is not a valid URL (expected postgres://user:password@host:port/database)");
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new UnavailableError(`FLIGHTDECK_DATABASE_URL must start with postgres:// (it starts with ${u.protocol}//)`);
  }
  return `${u.hostname || "localhost"}:${u.port || "5432"}${u.pathname.length > 1 ? u.pathname : ""}`;
}

/** Why a connection failed, in words (node's network errors carry only a code when they are aggregated). */
function reason(e: Error & { code?: string; errors?: Error[] }): string {
  const first = e.errors?.[0] ?? e;
  const message = first.message || (first as { code?: string }).code || String(first);
  return message.replace(/\s+/g, " ").trim();
}
