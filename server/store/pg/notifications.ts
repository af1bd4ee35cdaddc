/**
 * The notification outbox in PostgreSQL. A claim is one UPDATE over the due rows selected FOR UPDATE SKIP
 * LOCKED, its WHERE rechecked on the locked rows: however many processes claim at once, each row goes to one.
 */
import { and, asc, desc, eq, inArray, lt, lte, sql, type SQL } from "drizzle-orm";
import { notifications, siteEventSettings, sites } from "../../../db/pg/schema";
import { parseRules, toDelivery } from "../../notify/rows";
import type { AttemptResult, Delivery, NewNotification, NotificationStore, StoredRule } from "../../notify/types";
import { NotFoundError } from "../errors";
import type { PgDb } from "./db";

export class PgNotificationStore implements NotificationStore {
  constructor(private readonly db: PgDb) {}

  private async siteId(slug: string): Promise<number> {
    const [row] = await this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug));
    if (!row) throw new NotFoundError(`no site '${slug}'`);
    return row.id;
  }

  async rules(site: string): Promise<StoredRule[]> {
    const [row] = await this.db.select({ notify: siteEventSettings.notify }).from(siteEventSettings).where(eq(siteEventSettings.siteId, await this.siteId(site)));
    return parseRules(row?.notify);
  }

  async setRules(site: string, rules: StoredRule[]): Promise<void> {
    const notify = JSON.stringify(rules);
    await this.db.insert(siteEventSettings).values({ siteId: await this.siteId(site), notify }).onConflictDoUpdate({ target: siteEventSettings.siteId, set: { notify } });
  }

  async enqueue(site: string, items: NewNotification[], now: Date): Promise<void> {
    if (!items.length) return;
    const siteId = await this.siteId(site);
    await this.db
      .insert(notifications)
      .values(items.map((n) => ({ siteId, kind: n.kind, channel: n.channel, target: n.target, payload: JSON.stringify(n.payload), status: "pending", nextAttemptAt: now, createdAt: now })));
  }

  async claim(now: Date, leaseMs: number, limit: number): Promise<Delivery[]> {
    const isDue = and(inArray(notifications.status, ["pending", "sending"]), lte(notifications.nextAttemptAt, now));
    const due = this.db
      .select({ id: notifications.id })
      .from(notifications)
      .where(isDue)
      .orderBy(asc(notifications.nextAttemptAt), asc(notifications.id))
      .limit(limit)
      .for("update", { skipLocked: true });
    const rows = await this.db
      .update(notifications)
      .set({ status: "sending", attempts: sql`${notifications.attempts} + 1`, nextAttemptAt: new Date(now.getTime() + leaseMs) })
      .where(and(inArray(notifications.id, due), isDue))
      .returning();
    if (!rows.length) return [];
    const slugs = new Map(
      (await this.db.select({ id: sites.id, slug: sites.slug }).from(sites).where(inArray(sites.id, [...new Set(rows.map((r) => r.siteId))]))).map((s) => [s.id, s.slug]),
    );
    return rows.sort((a, b) => a.id - b.id).map((r) => toDelivery(slugs.get(r.siteId) ?? "", r));
  }

  async finish(id: number, attempts: number, result: AttemptResult): Promise<boolean> {
    const set =
      result.status === "sent"
        ? { status: "sent", sentAt: result.at, lastError: null }
        : result.status === "pending"
          ? { status: "pending", nextAttemptAt: result.retryAt, lastError: result.error }
          : { status: "failed", lastError: result.error };
    const done = await this.db
      .update(notifications)
      .set(set)
      .where(and(eq(notifications.id, id), eq(notifications.status, "sending"), eq(notifications.attempts, attempts)))
      .returning({ id: notifications.id });
    return done.length > 0;
  }

  async page(site: string, query: { before?: number; limit: number }): Promise<Delivery[]> {
    const conditions: SQL[] = [eq(notifications.siteId, await this.siteId(site))];
    if (query.before !== undefined) conditions.push(lt(notifications.id, query.before));
    const rows = await this.db.select().from(notifications).where(and(...conditions)).orderBy(desc(notifications.id)).limit(query.limit);
    return rows.map((r) => toDelivery(site, r));
  }
}
