/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous: the methods are async to fit the Store interface, so that a throw arrives as a rejection like on PostgreSQL */
/** Live processes and their heartbeats in SQLite. */
import { asc, eq, gte } from "drizzle-orm";
import { workers } from "../../../db/schema";
import type { WorkerInfo, WorkerRegistry, WorkerRow } from "../types";
import type { Db } from "./db";

export class SqliteWorkerRegistry implements WorkerRegistry {
  constructor(private readonly db: Db) {}

  async register(info: WorkerInfo): Promise<void> {
    const now = new Date();
    this.db
      .insert(workers)
      .values({ ...info, startedAt: now, seenAt: now })
      .onConflictDoUpdate({ target: workers.id, set: { host: info.host, pid: info.pid, version: info.version, startedAt: now, seenAt: now } })
      .run();
  }

  async heartbeat(id: string): Promise<boolean> {
    return this.db.update(workers).set({ seenAt: new Date() }).where(eq(workers.id, id)).run().changes > 0;
  }

  async live(since: Date): Promise<WorkerRow[]> {
    return this.db.select().from(workers).where(gte(workers.seenAt, since)).orderBy(asc(workers.id)).all();
  }

  async remove(id: string): Promise<void> {
    this.db.delete(workers).where(eq(workers.id, id)).run();
  }
}
