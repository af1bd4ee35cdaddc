/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous: the methods are async to fit the Store interface, so that a throw arrives as a rejection like on PostgreSQL */
/**
 * The notification outbox in SQLite. A claim is one immediate transaction (select the due rows, mark them
 * sending): two processes on the same file take the write lock in turn, so each row is claimed once.
 */
import { and, asc, desc, eq, inArray, lt, lte, sql, type SQL } from "drizzle-orm";
import { notifications, siteEventSettings, sites } from "../../../db/schema";
import { parseRules, toDelivery } from "../../notify/rows";
import type { AttemptResult, Delivery, NewNotification, NotificationStore, StoredRule } from "../../notify/types";
import { NotFoundError } from "../errors";
import type { Db } from "./db";

export class SqliteNotificationStore implements NotificationStore {
  constructor(private readonly db: Db) {}

  private siteId(slug: string): number {
    const row = this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug)).get();
    if (!row) throw new NotFoundError(`no site '${slug}'`);
    return row.id;
  }

  async rules(site: string): Promise<StoredRule[]> {
    const row = this.db.select({ notify: siteEventSettings.notify }).from(siteEventSettings).where(eq(siteEventSettings.siteId, this.siteId(site))).get();
    return parseRules(row?.notify);
  }

  async setRules(site: string, rules: StoredRule[]): Promise<void> {
    const notify = JSON.stringify(rules);
    this.db.insert(siteEventSettings).values({ siteId: this.siteId(site), notify }).onConflictDoUpdate({ target: siteEventSettings.siteId, set: { notify } }).run();
  }

  async enqueue(site: string, items: NewNotification[], now: Date): Promise<void> {
    if (!items.length) return;
    const siteId = this.siteId(site);
    this.db
      .insert(notifications)
      .values(items.map((n) => ({ siteId, kind: n.kind, channel: n.channel, target: n.target, payload: JSON.stringify(n.payload), status: "pending", nextAttemptAt: now, createdAt: now })))
      .run();
  }

  async claim(now: Date, leaseMs: number, limit: number): Promise<Delivery[]> {
    return this.db.transaction(
      (tx) => {
        const due = tx
          .select({ id: notifications.id })
          .from(notifications)
          .where(and(inArray(notifications.status, ["pending", "sending"]), lte(notifications.nextAttemptAt, now)))
          .orderBy(asc(notifications.nextAttemptAt), asc(notifications.id))
          .limit(limit)
          .all();
        if (!due.length) return [];
        const rows = tx
          .update(notifications)
          .set({ status: "sending", attempts: sql`${notifications.attempts} + 1`, nextAttemptAt: new Date(now.getTime() + leaseMs) })
          .where(inArray(notifications.id, due.map((d) => d.id)))
          .returning()
          .all();
        const slugs = new Map(tx.select({ id: sites.id, slug: sites.slug }).from(sites).where(inArray(sites.id, [...new Set(rows.map((r) => r.siteId))])).all().map((s) => [s.id, s.slug]));
        return rows.sort((a, b) => a.id - b.id).map((r) => toDelivery(slugs.get(r.siteId) ?? "", r));
      },
      { behavior: "immediate" },
    );
  }

  async finish(id: number, attempts: number, result: AttemptResult): Promise<boolean> {
    const set =
      result.status === "sent"
        ? { status: "sent", sentAt: result.at, lastError: null }
        : result.status === "pending"
          ? { status: "pending", nextAttemptAt: result.retryAt, lastError: result.error }
          : { status: "failed", lastError: result.error };
    const done = this.db
      .update(notifications)
      .set(set)
      .where(and(eq(notifications.id, id), eq(notifications.status, "sending"), eq(notifications.attempts, attempts)))
      .run();
    return done.changes > 0;
  }

  async page(site: string, query: { before?: number; limit: number }): Promise<Delivery[]> {
    const conditions: SQL[] = [eq(notifications.siteId, this.siteId(site))];
    if (query.before !== undefined) conditions.push(lt(notifications.id, query.before));
    const rows = this.db.select().from(notifications).where(and(...conditions)).orderBy(desc(notifications.id)).limit(query.limit).all();
    return rows.map((r) => toDelivery(site, r));
  }
}
