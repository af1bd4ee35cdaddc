/** Introspection grants in PostgreSQL, by token hash: any process answers a machine, whichever runs the run. */
import { and, eq } from "drizzle-orm";
import { introspectionTokens, runs } from "../../../db/pg/schema";
import type { IntrospectionGrant, IntrospectionStore } from "../types";
import type { PgDb } from "./db";

export class PgIntrospectionStore implements IntrospectionStore {
  constructor(private readonly db: PgDb) {}

  async issue(hash: string, grant: IntrospectionGrant): Promise<void> {
    await this.db.insert(introspectionTokens).values({ hash, runId: grant.run, site: grant.site, revision: grant.revision, host: grant.host, createdAt: new Date() });
  }

  async lookup(hash: string): Promise<IntrospectionGrant | undefined> {
    const [row] = await this.db
      .select({ run: introspectionTokens.runId, site: introspectionTokens.site, revision: introspectionTokens.revision, host: introspectionTokens.host })
      .from(introspectionTokens)
      .innerJoin(runs, eq(runs.id, introspectionTokens.runId))
      .where(and(eq(introspectionTokens.hash, hash), eq(runs.status, "running")));
    return row;
  }

  async endRun(run: number): Promise<void> {
    await this.db.delete(introspectionTokens).where(eq(introspectionTokens.runId, run));
  }
}
