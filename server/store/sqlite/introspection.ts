/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous: the methods are async to fit the Store interface, so that a throw arrives as a rejection like on PostgreSQL */
/** Introspection grants in SQLite, by token hash. */
import { eq } from "drizzle-orm";
import { introspectionTokens } from "../../../db/schema";
import type { IntrospectionGrant, IntrospectionStore } from "../types";
import type { Db } from "./db";

export class SqliteIntrospectionStore implements IntrospectionStore {
  constructor(private readonly db: Db) {}

  async issue(hash: string, grant: IntrospectionGrant): Promise<void> {
    this.db.insert(introspectionTokens).values({ hash, runId: grant.run, site: grant.site, revision: grant.revision, host: grant.host, createdAt: new Date() }).run();
  }

  async lookup(hash: string): Promise<IntrospectionGrant | undefined> {
    const row = this.db.select().from(introspectionTokens).where(eq(introspectionTokens.hash, hash)).get();
    return row && { run: row.runId, site: row.site, revision: row.revision, host: row.host };
  }

  async endRun(run: number): Promise<void> {
    this.db.delete(introspectionTokens).where(eq(introspectionTokens.runId, run)).run();
  }
}
