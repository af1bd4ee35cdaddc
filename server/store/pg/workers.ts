/** The registry of live processes (workers and web replicas) in PostgreSQL, with their heartbeat. */
import { eq, gte, sql } from "drizzle-orm";
import { workers } from "../../../db/pg/schema";
import type { WorkerInfo, WorkerRegistry, WorkerRow } from "../types";
import type { PgDb } from "./db";

export class PgWorkerRegistry implements WorkerRegistry {
  constructor(private readonly db: PgDb) {}

  async register(info: WorkerInfo): Promise<void> {
    const now = new Date();
    await this.db
      .insert(workers)
      .values({ ...info, startedAt: now, seenAt: now })
      .onConflictDoUpdate({ target: workers.id, set: { host: info.host, pid: info.pid, version: info.version, startedAt: now, seenAt: now } });
  }

  async heartbeat(id: string): Promise<boolean> {
    const rows = await this.db.update(workers).set({ seenAt: new Date() }).where(eq(workers.id, id)).returning({ id: workers.id });
    return rows.length > 0;
  }

  live(since: Date): Promise<WorkerRow[]> {
    return this.db.select().from(workers).where(gte(workers.seenAt, since)).orderBy(sql`${workers.id} collate "C"`);
  }

  async remove(id: string): Promise<void> {
    await this.db.delete(workers).where(eq(workers.id, id));
  }
}
