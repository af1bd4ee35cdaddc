/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous: the methods are async to fit the Store interface, so that a throw arrives as a rejection like on PostgreSQL */
/** Introspection grants in SQLite, by token hash. */
import { and, eq } from "drizzle-orm";
import { introspectionTokens, runs } from "../../../db/schema";
import type { IntrospectionGrant, IntrospectionStore } from "../types";
import type { Db } from "./db";

export class SqliteIntrospectionStore implements IntrospectionStore {
  constructor(private readonly db: Db) {}

  async issue(hash: string, grant: IntrospectionGrant): Promise<void> {
    this.db.insert(introspectionTokens).values({ hash, runId: grant.run, site: grant.site, revision: grant.revision, host: grant.host, createdAt: new Date() }).run();
  }

  async lookup(hash: string): Promise<IntrospectionGrant | undefined> {
    return this.db
      .select({ run: introspectionTokens.runId, site: introspectionTokens.site, revision: introspectionTokens.revision, host: introspectionTokens.host })
      .from(introspectionTokens)
      .innerJoin(runs, eq(runs.id, introspectionTokens.runId))
      .where(and(eq(introspectionTokens.hash, hash), eq(runs.status, "running")))
      .get();
  }

  async endRun(run: number): Promise<void> {
    this.db.delete(introspectionTokens).where(eq(introspectionTokens.runId, run)).run();
  }
}
