/**
 * The embedded store: one SQLite file in WAL mode under the data directory, migrated at open.
 * Cached on globalThis so Next's module reloading never opens a second connection.
 */
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import * as schema from "../../../db/schema";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

// Resolved from the working directory: this module also runs inside Next's bundle, where import.meta.url moves.
const MIGRATIONS = join(process.cwd(), "db", "migrations");

export function openDb(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, "flightdeck.db");
  const sqlite = new Database(file);
  // It holds password hashes and session tokens: owner only (SQLite gives its -wal and -shm files the same mode).
  chmodSync(file, 0o600);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: process.env.FLIGHTDECK_MIGRATIONS ?? MIGRATIONS });
  return db;
}
