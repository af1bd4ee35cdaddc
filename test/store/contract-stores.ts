/**
 * The two stores the contract suite runs on, each fresh per test: SQLite in a temporary directory, PostgreSQL
 * in a new database of the test cluster (FLIGHTDECK_TEST_PG_URL, or one this process starts). `raw` runs one
 * SQL statement directly on the database, for what the interface never does (the audit log's guarantees).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../server/store/open";
import type { PostgresStore } from "../../server/store/pg";
import type { SqliteStore } from "../../server/store/sqlite";
import type { Dialect, Store } from "../../server/store/types";
import { createTestDatabase } from "../support/postgres";

export interface StoreUnderTest {
  store: Store;
  /** One SQL statement on the database itself. */
  raw(statement: string): Promise<void>;
  dispose(): Promise<void>;
}

export const DIALECTS: Dialect[] = ["sqlite", "postgres"];

export async function freshStore(dialect: Dialect): Promise<StoreUnderTest> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "fd-contract-"));
    const store = (await openStore({ FLIGHTDECK_DATA: dir })) as SqliteStore;
    return {
      store,
      // A promise that rejects (rather than a synchronous throw) when SQLite refuses the statement.
      raw: (statement) => new Promise<void>((resolve) => resolve(void store.db.$client.prepare(statement).run())),
      dispose: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const database = await createTestDatabase();
  const store = (await openStore({ FLIGHTDECK_DATABASE_URL: database.url })) as PostgresStore;
  return {
    store,
    raw: async (statement) => void (await store.pool.query(statement)),
    dispose: async () => {
      await store.close();
      await database.drop();
    },
  };
}
