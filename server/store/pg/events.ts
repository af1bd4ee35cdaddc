/**
 * Site events, their settings and the reactions' limiter state in PostgreSQL. Several processes handle events
 * at once: a limiter update holds a transaction-scoped advisory lock on its (site, reaction, key), taken before
 * the row is read, so it serialises updates of a key whether or not its row exists yet.
 */
import { and, asc, desc, eq, lt, lte, sql, type SQL } from "drizzle-orm";
import { reactionState, siteEvents, siteEventSettings, sites } from "../../../db/pg/schema";
import { eventSettingsColumns, reactionStateColumns, toEventSettings, toReactionState, toStoredEvent } from "../../events/rows";
import type {
  EventOutcome,
  EventPageQuery,
  EventSettingsRow,
  EventStore,
  NewSiteEvent,
  ReactionKey,
  ReactionState,
  ReactionUpdate,
  StoredEvent,
} from "../../events/types";
import { NotFoundError } from "../errors";
import type { PgDb, PgTx } from "./db";

export class PgEventStore implements EventStore {
  constructor(private readonly db: PgDb) {}

  private async siteId(slug: string, db: PgTx = this.db): Promise<number> {
    const [row] = await db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug));
    if (!row) throw new NotFoundError(`no site '${slug}'`);
    return row.id;
  }

  async insert(site: string, event: NewSiteEvent): Promise<StoredEvent> {
    const [row] = await this.db
      .insert(siteEvents)
      .values({
        siteId: await this.siteId(site),
        source: event.source,
        name: event.name,
        labels: JSON.stringify(event.labels),
        data: JSON.stringify(event.data),
        sender: event.sender,
        receivedAt: new Date(event.receivedAt),
        outcome: "[]",
      })
      .returning();
    return toStoredEvent(site, row!);
  }

  async get(site: string, id: number): Promise<StoredEvent> {
    const [row] = await this.db
      .select({ e: siteEvents })
      .from(siteEvents)
      .innerJoin(sites, eq(sites.id, siteEvents.siteId))
      .where(and(eq(sites.slug, site), eq(siteEvents.id, id)));
    if (!row) throw new NotFoundError(`site '${site}' has no event ${id}`);
    return toStoredEvent(site, row.e);
  }

  async page(site: string, query: EventPageQuery): Promise<StoredEvent[]> {
    const conditions: SQL[] = [eq(siteEvents.siteId, await this.siteId(site))];
    if (query.before !== undefined) conditions.push(lt(siteEvents.id, query.before));
    if (query.name !== undefined) conditions.push(eq(siteEvents.name, query.name));
    if (query.label) conditions.push(sql`(${siteEvents.labels}::jsonb ->> ${query.label.key}) = ${query.label.value}`);
    const rows = await this.db
      .select()
      .from(siteEvents)
      .where(and(...conditions))
      .orderBy(desc(siteEvents.id))
      .limit(query.limit);
    return rows.map((row) => toStoredEvent(site, row));
  }

  async setOutcome(id: number, outcome: EventOutcome[]): Promise<void> {
    await this.db.update(siteEvents).set({ outcome: JSON.stringify(outcome) }).where(eq(siteEvents.id, id));
  }

  async settings(site: string): Promise<EventSettingsRow> {
    const [row] = await this.db.select().from(siteEventSettings).where(eq(siteEventSettings.siteId, await this.siteId(site)));
    return toEventSettings(row);
  }

  async setSettings(site: string, change: Partial<EventSettingsRow>): Promise<EventSettingsRow> {
    const siteId = await this.siteId(site);
    const columns = eventSettingsColumns(change);
    if (Object.keys(columns).length === 0) return this.settings(site);
    const [row] = await this.db
      .insert(siteEventSettings)
      .values({ siteId, ...columns })
      .onConflictDoUpdate({ target: siteEventSettings.siteId, set: columns })
      .returning();
    return toEventSettings(row);
  }

  private stateWhere(siteId: number, at: ReactionKey) {
    return and(eq(reactionState.siteId, siteId), eq(reactionState.reaction, at.reaction), eq(reactionState.key, at.key));
  }

  async reactionState(at: ReactionKey): Promise<ReactionState | null> {
    const [row] = await this.db.select().from(reactionState).where(this.stateWhere(await this.siteId(at.site), at));
    return row ? toReactionState(row) : null;
  }

  async updateReactionState<T>(at: ReactionKey, fn: (current: ReactionState | null) => ReactionUpdate<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      const siteId = await this.siteId(at.site, tx);
      await tx.execute(sql`select pg_advisory_xact_lock(${siteId}::int, hashtext(${`reaction\u001f${at.reaction}\u001f${at.key}`}))`);
      const [row] = await tx.select().from(reactionState).where(this.stateWhere(siteId, at)).for("update");
      const update = fn(row ? toReactionState(row) : null);
      if (update.state === null) await tx.delete(reactionState).where(this.stateWhere(siteId, at));
      else if (update.state !== undefined) {
        const columns = reactionStateColumns(update.state);
        await tx
          .insert(reactionState)
          .values({ siteId, reaction: at.reaction, key: at.key, ...columns })
          .onConflictDoUpdate({ target: [reactionState.siteId, reactionState.reaction, reactionState.key], set: columns });
      }
      return update.result;
    });
  }

  async dueWaits(now: number, limit = 100) {
    const rows = await this.db
      .select({ site: sites.slug, reaction: reactionState.reaction, key: reactionState.key, waitUntil: reactionState.waitUntil, waitEventId: reactionState.waitEventId })
      .from(reactionState)
      .innerJoin(sites, eq(sites.id, reactionState.siteId))
      .where(lte(reactionState.waitUntil, new Date(now)))
      .orderBy(asc(reactionState.waitUntil))
      .limit(limit);
    return rows.map((r) => ({ ...r, waitUntil: r.waitUntil!.getTime() }));
  }
}
