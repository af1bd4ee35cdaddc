/**
 * Which store this process uses: PostgreSQL when FLIGHTDECK_DATABASE_URL is a postgres:// URL, else the embedded
 * SQLite file in FLIGHTDECK_DATA. Both are migrated at open (PostgreSQL under an advisory lock, so replicas
 * starting together do not race), and both refuse a database migrated by a newer Flightdeck. A process told not
 * to migrate (a worker) refuses a database that lacks this build's migrations: the dashboard migrates it.
 * Every refusal is an UnavailableError with a one-line message (no stack trace, never a password).
 */
import Database from "better-sqlite3";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { UnavailableError } from "../errors";
import { openPostgresStore } from "./pg";
import { DEFAULT_POOL_SIZE } from "./pg/db";
import { openSqliteStore } from "./sqlite";
import type { Store } from "./types";

export interface StoreEnv {
  /** postgres://user:password@host:port/database, or unset/empty for SQLite. */
  FLIGHTDECK_DATABASE_URL?: string;
  /** PostgreSQL connections per process (default 10). */
  FLIGHTDECK_DATABASE_POOL?: string;
  /** The data directory (SQLite's file lives there); default ./data. */
  FLIGHTDECK_DATA?: string;
}

export interface OpenStoreOptions {
  /** Apply missing migrations (default true); false refuses a database that lacks some. */
  migrate?: boolean;
  /** The PostgreSQL migrations folder (tests). */
  pgMigrationsFolder?: string;
}

export async function openStore(env: StoreEnv | NodeJS.ProcessEnv = process.env, options: OpenStoreOptions = {}): Promise<Store> {
  const url = env.FLIGHTDECK_DATABASE_URL?.trim();
  const migrate = options.migrate ?? true;
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new UnavailableError("FLIGHTDECK_DATABASE_URL must be a postgres:// URL (unset it to use the embedded SQLite file)");
    }
    return openPostgresStore(url, { poolSize: poolSize(env.FLIGHTDECK_DATABASE_POOL), migrate, migrationsFolder: options.pgMigrationsFolder });
  }
  const dataDir = resolve(env.FLIGHTDECK_DATA || "./data");
  checkSqliteSchema(join(dataDir, "flightdeck.db"), migrate);
  return openSqliteStore(dataDir);
}

function poolSize(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_POOL_SIZE;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UnavailableError(`FLIGHTDECK_DATABASE_POOL must be a whole number from 1 to 1000 (it is '${value}')`);
  return n;
}

/**
 * The SQLite file's applied migrations against this build's, before opening it (which migrates): the same
 * refusals as on PostgreSQL. A file that does not exist yet is new, and simply created.
 */
function checkSqliteSchema(file: string, migrate: boolean): void {
  if (!existsSync(file)) {
    if (!migrate) throw new UnavailableError(`there is no database at ${file}: run \`flightdeck serve\` (or \`flightdeck migrate\`) first`);
    return;
  }
  const folder = process.env.FLIGHTDECK_MIGRATIONS ?? join(process.cwd(), "db", "migrations");
  const known = readMigrationFiles({ migrationsFolder: folder });
  let applied: number[];
  const sqlite = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const table = sqlite.prepare("select name from sqlite_master where type = 'table' and name = '__drizzle_migrations'").get();
    applied = table
      ? sqlite
          .prepare<[], { created_at: number }>("select created_at from __drizzle_migrations order by created_at")
          .all()
          .map((r) => Number(r.created_at))
      : [];
  } catch (e) {
    throw new UnavailableError(`cannot read the database at ${file}: ${(e as Error).message}`, { cause: e });
  } finally {
    sqlite.close();
  }
  const newest = known.at(-1)?.folderMillis ?? 0;
  if (applied.some((at) => at > newest)) {
    throw new UnavailableError(`the database is at schema ${applied.length}, this Flightdeck knows ${known.length}: upgrade Flightdeck`);
  }
  const last = applied.at(-1) ?? 0;
  if (!migrate && known.some((m) => m.folderMillis > last)) {
    throw new UnavailableError(`the database is at schema ${applied.length}, this Flightdeck needs ${known.length}: run \`flightdeck serve\` (or \`flightdeck migrate\`) first`);
  }
}
