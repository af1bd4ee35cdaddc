/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous: the methods are async to fit the Store interface, so that a throw arrives as a rejection like on PostgreSQL */
/** Schedule fires and runs waiting for their maintenance window, in SQLite. */
import { and, asc, desc, eq, lte } from "drizzle-orm";
import { runs, scheduleFires, sites } from "../../../db/schema";
import type { RunStatus } from "../../engine";
import { NotFoundError } from "../errors";
import type { ScheduleFire, ScheduleStore } from "../types";
import type { Db } from "./db";

export class SqliteScheduleStore implements ScheduleStore {
  constructor(private readonly db: Db) {}

  private siteId(slug: string): number {
    const row = this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug)).get();
    if (!row) throw new NotFoundError(`no site '${slug}'`);
    return row.id;
  }

  async claimFire(site: string, schedule: string, slot: Date, firedAt: Date): Promise<boolean> {
    const siteId = this.siteId(site);
    return this.db.insert(scheduleFires).values({ siteId, schedule, slot, firedAt }).onConflictDoNothing().run().changes > 0;
  }

  async recordFire(site: string, schedule: string, slot: Date, outcome: { runId?: number; message?: string }): Promise<void> {
    const siteId = this.siteId(site);
    this.db
      .update(scheduleFires)
      .set({ runId: outcome.runId ?? null, message: outcome.message ?? null })
      .where(and(eq(scheduleFires.siteId, siteId), eq(scheduleFires.schedule, schedule), eq(scheduleFires.slot, slot)))
      .run();
  }

  async fires(site: string, limit: number, schedule?: string): Promise<ScheduleFire[]> {
    return this.db
      .select({ schedule: scheduleFires.schedule, slot: scheduleFires.slot, firedAt: scheduleFires.firedAt, runId: scheduleFires.runId, runStatus: runs.status, message: scheduleFires.message })
      .from(scheduleFires)
      .innerJoin(sites, eq(sites.id, scheduleFires.siteId))
      .leftJoin(runs, eq(runs.id, scheduleFires.runId))
      .where(and(eq(sites.slug, site), schedule === undefined ? undefined : eq(scheduleFires.schedule, schedule)))
      .orderBy(desc(scheduleFires.slot), asc(scheduleFires.schedule))
      .limit(limit)
      .all()
      .map((r) => ({ ...r, runStatus: r.runStatus as RunStatus | null }));
  }

  async dueScheduled(now: Date): Promise<{ id: number; site: string }[]> {
    return this.db
      .select({ id: runs.id, site: sites.slug })
      .from(runs)
      .innerJoin(sites, eq(sites.id, runs.siteId))
      .where(and(eq(runs.status, "scheduled"), lte(runs.scheduledFor, now)))
      .orderBy(asc(runs.scheduledFor), asc(runs.id))
      .all();
  }
}
