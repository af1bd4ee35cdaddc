/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous: the methods are async to fit the Store interface, so that a throw arrives as a rejection like on PostgreSQL */
/** Site events, their settings and the reactions' limiter state in SQLite (one process: immediate transactions suffice). */
import { and, asc, desc, eq, lt, lte, sql, type SQL } from "drizzle-orm";
import { reactionState, siteEvents, siteEventSettings, sites } from "../../../db/schema";
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
import type { Db } from "./db";

export class SqliteEventStore implements EventStore {
  constructor(private readonly db: Db) {}

  private siteId(slug: string, db: Pick<Db, "select"> = this.db): number {
    const row = db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug)).get();
    if (!row) throw new NotFoundError(`no site '${slug}'`);
    return row.id;
  }

  async insert(site: string, event: NewSiteEvent): Promise<StoredEvent> {
    const row = this.db
      .insert(siteEvents)
      .values({
        siteId: this.siteId(site),
        source: event.source,
        name: event.name,
        labels: JSON.stringify(event.labels),
        data: JSON.stringify(event.data),
        sender: event.sender,
        receivedAt: new Date(event.receivedAt),
        outcome: "[]",
      })
      .returning()
      .get();
    return toStoredEvent(site, row);
  }

  async get(site: string, id: number): Promise<StoredEvent> {
    const row = this.db
      .select({ e: siteEvents })
      .from(siteEvents)
      .innerJoin(sites, eq(sites.id, siteEvents.siteId))
      .where(and(eq(sites.slug, site), eq(siteEvents.id, id)))
      .get();
    if (!row) throw new NotFoundError(`site '${site}' has no event ${id}`);
    return toStoredEvent(site, row.e);
  }

  async page(site: string, query: EventPageQuery): Promise<StoredEvent[]> {
    const conditions: SQL[] = [eq(siteEvents.siteId, this.siteId(site))];
    if (query.before !== undefined) conditions.push(lt(siteEvents.id, query.before));
    if (query.name !== undefined) conditions.push(eq(siteEvents.name, query.name));
    if (query.label) conditions.push(sql`json_extract(${siteEvents.labels}, ${`$."${query.label.key.replaceAll('"', '""')}"`}) = ${query.label.value}`);
    const rows = this.db
      .select()
      .from(siteEvents)
      .where(and(...conditions))
      .orderBy(desc(siteEvents.id))
      .limit(query.limit)
      .all();
    return rows.map((row) => toStoredEvent(site, row));
  }

  async setOutcome(id: number, outcome: EventOutcome[]): Promise<void> {
    this.db.update(siteEvents).set({ outcome: JSON.stringify(outcome) }).where(eq(siteEvents.id, id)).run();
  }

  async settings(site: string): Promise<EventSettingsRow> {
    const row = this.db.select().from(siteEventSettings).where(eq(siteEventSettings.siteId, this.siteId(site))).get();
    return toEventSettings(row);
  }

  async setSettings(site: string, change: Partial<EventSettingsRow>): Promise<EventSettingsRow> {
    const siteId = this.siteId(site);
    const columns = eventSettingsColumns(change);
    const row =
      Object.keys(columns).length === 0
        ? this.db.select().from(siteEventSettings).where(eq(siteEventSettings.siteId, siteId)).get()
        : this.db
            .insert(siteEventSettings)
            .values({ siteId, ...columns })
            .onConflictDoUpdate({ target: siteEventSettings.siteId, set: columns })
            .returning()
            .get();
    return toEventSettings(row);
  }

  private stateWhere(siteId: number, at: ReactionKey) {
    return and(eq(reactionState.siteId, siteId), eq(reactionState.reaction, at.reaction), eq(reactionState.key, at.key));
  }

  async reactionState(at: ReactionKey): Promise<ReactionState | null> {
    const row = this.db.select().from(reactionState).where(this.stateWhere(this.siteId(at.site), at)).get();
    return row ? toReactionState(row) : null;
  }

  async updateReactionState<T>(at: ReactionKey, fn: (current: ReactionState | null) => ReactionUpdate<T>): Promise<T> {
    return this.db.transaction(
      (tx) => {
        const siteId = this.siteId(at.site, tx);
        const row = tx.select().from(reactionState).where(this.stateWhere(siteId, at)).get();
        const update = fn(row ? toReactionState(row) : null);
        if (update.state === null) tx.delete(reactionState).where(this.stateWhere(siteId, at)).run();
        else if (update.state !== undefined) {
          const columns = reactionStateColumns(update.state);
          tx.insert(reactionState)
            .values({ siteId, reaction: at.reaction, key: at.key, ...columns })
            .onConflictDoUpdate({ target: [reactionState.siteId, reactionState.reaction, reactionState.key], set: columns })
            .run();
        }
        return update.result;
      },
      { behavior: "immediate" },
    );
  }

  async dueWaits(now: number, limit = 100) {
    const rows = this.db
      .select({ site: sites.slug, reaction: reactionState.reaction, key: reactionState.key, waitUntil: reactionState.waitUntil, waitEventId: reactionState.waitEventId })
      .from(reactionState)
      .innerJoin(sites, eq(sites.id, reactionState.siteId))
      .where(lte(reactionState.waitUntil, new Date(now)))
      .orderBy(asc(reactionState.waitUntil))
      .limit(limit)
      .all();
    return rows.map((r) => ({ ...r, waitUntil: r.waitUntil!.getTime() }));
  }
}
