/**
 * The embedded store: one SQLite file (better-sqlite3, WAL) under the data directory, migrated at open. The
 * driver is synchronous, so every async method has done its work when it returns its promise: the same speed
 * and the same ordering as the synchronous store it replaces.
 */
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { account, session, user, verification } from "../../../db/schema";
import type { Store } from "../types";
import { SqliteAccountStore } from "./accounts";
import { SqliteAuditStore } from "./audit";
import { SqliteEventStore } from "./events";
import { openDb, type Db } from "./db";
import { SqliteIntrospectionStore } from "./introspection";
import { SqliteNotificationStore } from "./notifications";
import { SqliteScheduleStore } from "./schedules";
import { SqliteArtifactStore } from "./artifacts";
import { SqliteProjectStore } from "./projects";
import { SqliteRunStore } from "./runs";
import { SqliteSiteStore } from "./sites";
import { SqliteWorkerRegistry } from "./workers";

export interface SqliteStore extends Store {
  readonly dialect: "sqlite";
  /** The drizzle database (tests and tools that inspect the file). */
  readonly db: Db;
}

export function openSqliteStore(dataDir: string): SqliteStore {
  return sqliteStore(openDb(dataDir));
}

export function sqliteStore(db: Db): SqliteStore {
  return {
    dialect: "sqlite",
    db,
    projects: new SqliteProjectStore(db),
    sites: new SqliteSiteStore(db),
    runs: new SqliteRunStore(db),
    accounts: new SqliteAccountStore(db),
    audit: new SqliteAuditStore(db),
    introspection: new SqliteIntrospectionStore(db),
    schedules: new SqliteScheduleStore(db),
    artifacts: new SqliteArtifactStore(db),
    events: new SqliteEventStore(db),
    workers: new SqliteWorkerRegistry(db),
    notifications: new SqliteNotificationStore(db),
    betterAuthAdapter: () => drizzleAdapter(db, { provider: "sqlite", schema: { user, session, account, verification } }),
    close: () => {
      if (db.$client.open) db.$client.close();
      return Promise.resolve();
    },
  };
}

export { openDb, type Db } from "./db";
