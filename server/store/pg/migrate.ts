/**
 * Bringing a PostgreSQL database to this build's schema, at start. Every process that may migrate takes one
 * advisory lock first, so two replicas starting at once apply the migrations once, one after the other. A
 * database that applied migrations this build does not know (a newer Flightdeck migrated it) is refused; so is,
 * for a process told not to migrate (a worker), a database that lacks some of this build's migrations.
 */
import { readMigrationFiles } from "drizzle-orm/migrator";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { join } from "node:path";
import type pg from "pg";
import { UnavailableError } from "../../errors";

// Resolved from the working directory, like the SQLite migrations: Next's bundle moves import.meta.url.
export const PG_MIGRATIONS = join(process.cwd(), "db", "pg", "migrations");

/** pg_advisory_lock's key for migrations: any fixed number, the same in every process ("fdmg"). */
const MIGRATION_LOCK = 0x66646d67;

export interface SchemaState {
  /** Migrations applied to the database. */
  applied: number;
  /** Migrations this build has. */
  known: number;
}

/**
 * Checks the database's schema against this build's migrations and applies the missing ones when `apply`;
 * returns the state found before applying.
 */
export async function migratePostgres(pool: pg.Pool, options: { apply: boolean; folder?: string }): Promise<SchemaState> {
  const folder = options.folder ?? PG_MIGRATIONS;
  const known = readMigrationFiles({ migrationsFolder: folder });
  const client = await pool.connect();
  try {
    if (options.apply) await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      const applied = await appliedMigrations(client);
      const newest = known.at(-1)?.folderMillis ?? 0;
      const unknown = applied.filter((at) => at > newest).length;
      if (unknown > 0) {
        throw new UnavailableError(`the database is at schema ${applied.length}, this Flightdeck knows ${known.length}: upgrade Flightdeck`);
      }
      const last = applied.at(-1) ?? 0;
      const missing = known.filter((m) => m.folderMillis > last).length;
      if (missing > 0 && !options.apply) {
        throw new UnavailableError(
          `the database is at schema ${applied.length}, this Flightdeck needs ${known.length}: run \`flightdeck serve\` (or \`flightdeck migrate\`) first`,
        );
      }
      if (missing > 0) await migrate(drizzle(client), { migrationsFolder: folder });
      return { applied: applied.length, known: known.length };
    } finally {
      if (options.apply) await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** The creation times (drizzle's folderMillis) of the applied migrations, oldest first; none on a new database. */
async function appliedMigrations(client: pg.PoolClient): Promise<number[]> {
  const exists = await client.query<{ t: string | null }>("select to_regclass('drizzle.__drizzle_migrations')::text as t");
  if (!exists.rows[0]?.t) return [];
  const rows = await client.query<{ created_at: string }>("select created_at from drizzle.__drizzle_migrations order by created_at");
  return rows.rows.map((r) => Number(r.created_at));
}
