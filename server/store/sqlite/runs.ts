/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous: the methods are async to fit the Store interface, so that a throw arrives as a rejection like on PostgreSQL */
/**
 * Runs, their events and their output in SQLite. Events go in batched transactions, numbered from the run's
 * last_seq inside the same transaction; the hot path (append) uses prepared statements, not per-row queries.
 */
import { and, asc, desc, eq, gt, gte, inArray, isNotNull, isNull, lt } from "drizzle-orm";
import { runApprovals, runEvents, runOutput, runs, sites } from "../../../db/schema";
import type { Plan, RunEvent, RunStatus } from "../../engine";
import { NotFoundError } from "../errors";
import type {
  ClaimResult,
  CreateRunRequest,
  RunListFilter,
  RunListItem,
  RunOptions,
  RunOutputRow,
  RunReview,
  RunRow,
  RunStatusExtra,
  RunStore,
  StoredOutputChunk,
  UnnumberedEvent,
} from "../types";
import type { Db } from "./db";

export class SqliteRunStore implements RunStore {
  private readonly appendBatch: (runId: number, events: readonly UnnumberedEvent[], output: readonly StoredOutputChunk[]) => RunEvent[];
  private readonly claimNow: (runId: number, workerId: string, leaseMs: number) => ClaimResult;
  private readonly finishNow: (
    id: number,
    from: readonly RunStatus[],
    closing: (stored: readonly RunEvent[]) => UnnumberedEvent[],
    extra: RunStatusExtra,
  ) => RunEvent[] | null;

  constructor(private readonly db: Db) {
    const sqlite = db.$client;
    const insertEvent = sqlite.prepare("insert into run_events (run_id, seq, t, type, host, step, data) values (?, ?, ?, ?, ?, ?, ?)");
    const insertOutput = sqlite.prepare("insert into run_output (run_id, host, step, stream, t, data) values (?, ?, ?, ?, ?, ?)");
    const reserve = sqlite.prepare<[number, number], { last_seq: number }>("update runs set last_seq = last_seq + ? where id = ? returning last_seq");
    this.appendBatch = sqlite.transaction((runId: number, events: readonly UnnumberedEvent[], output: readonly StoredOutputChunk[]) => {
      const stored: RunEvent[] = [];
      if (events.length) {
        const row = reserve.get(events.length, runId);
        if (!row) throw new NotFoundError(`no run ${runId}`);
        let seq = row.last_seq - events.length;
        for (const e of events) {
          const numbered: RunEvent = { ...e, seq: ++seq };
          insertEvent.run(runId, seq, e.t, e.type, "host" in e ? (e.host ?? null) : null, "step" in e ? e.step : null, JSON.stringify(numbered));
          stored.push(numbered);
        }
      }
      for (const o of output) insertOutput.run(runId, o.host, o.step, o.stream, o.t, o.data);
      return stored;
    });

    const runOf = sqlite.prepare<[number], { status: string; site_id: number; queued_at: number | null }>("select status, site_id, queued_at from runs where id = ?");
    const olderQueued = sqlite.prepare<[number, number, number, number, number], { id: number }>(
      "select id from runs where site_id = ? and status = 'queued' and (coalesce(queued_at, 0) < ? or (coalesce(queued_at, 0) = ? and id < ?)) and id <> ? limit 1",
    );
    const slots = sqlite.prepare<[number], { running: number; parallel: number }>(
      "select (select count(*) from runs where site_id = sites.id and status = 'running') as running, parallel_runs as parallel from sites where id = ?",
    );
    const start = sqlite.prepare<[number, string, number, number]>(
      "update runs set status = 'running', started_at = ?, worker = ?, lease_expires_at = ? where id = ? and status = 'queued'",
    );
    // IMMEDIATE: the write lock is taken before the checks, so a second process on the same file cannot interleave.
    const claim = sqlite.transaction((runId: number, workerId: string, leaseMs: number): ClaimResult => {
      const run = runOf.get(runId);
      if (!run || run.status !== "queued") return "gone";
      const queuedAt = run.queued_at ?? 0;
      if (olderQueued.get(run.site_id, queuedAt, queuedAt, runId, runId)) return "busy";
      const slot = slots.get(run.site_id);
      if (!slot || slot.running >= slot.parallel) return "busy";
      const now = Date.now();
      start.run(now, workerId, now + leaseMs, runId);
      return "claimed";
    });
    this.claimNow = (runId, workerId, leaseMs) => claim.immediate(runId, workerId, leaseMs);

    // The status change first (it decides who ends the run), then the closing events, appended by appendBatch
    // (nested: a savepoint) in the same transaction: both are stored or neither.
    const finish = sqlite.transaction(
      (id: number, from: readonly RunStatus[], closing: (stored: readonly RunEvent[]) => UnnumberedEvent[], extra: RunStatusExtra): RunEvent[] | null => {
        const won = this.db.update(runs).set({ status: "interrupted", ...extra }).where(and(eq(runs.id, id), inArray(runs.status, [...from]))).run().changes > 0;
        if (!won) return null;
        const stored = this.db
          .select({ data: runEvents.data })
          .from(runEvents)
          .where(eq(runEvents.runId, id))
          .orderBy(asc(runEvents.seq))
          .all()
          .map((r) => JSON.parse(r.data) as RunEvent);
        return this.appendBatch(id, closing(stored), []);
      },
    );
    this.finishNow = (id, from, closing, extra) => finish.immediate(id, from, closing, extra);
  }

  async create(input: CreateRunRequest): Promise<number> {
    const site = this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, input.site)).get();
    if (!site) throw new NotFoundError(`no site '${input.site}'`);
    return this.db
      .insert(runs)
      .values({
        siteId: site.id,
        revision: input.revision,
        deployment: input.plan.deployment,
        title: input.plan.title,
        status: input.status,
        requestedBy: input.requestedBy || "unknown",
        requestedById: input.requestedById ?? null,
        reason: input.reason,
        plan: JSON.stringify(input.plan),
        options: JSON.stringify(input.options),
        createdAt: new Date(),
      })
      .returning({ id: runs.id })
      .get().id;
  }

  async get(id: number): Promise<RunRow> {
    const row = this.db.select({ run: runs, site: sites.slug }).from(runs).innerJoin(sites, eq(sites.id, runs.siteId)).where(eq(runs.id, id)).get();
    if (!row) throw new NotFoundError(`no run ${id}`);
    const { plan, options, ...rest } = row.run;
    return { ...rest, site: row.site, status: rest.status as RunStatus, plan: JSON.parse(plan) as Plan, options: JSON.parse(options) as RunOptions };
  }

  async list(site: string, limit = 50, status?: RunStatus, filter: RunListFilter = {}): Promise<RunListItem[]> {
    return this.db
      .select({
        id: runs.id,
        revision: runs.revision,
        deployment: runs.deployment,
        title: runs.title,
        status: runs.status,
        requestedBy: runs.requestedBy,
        requestedById: runs.requestedById,
        reason: runs.reason,
        createdAt: runs.createdAt,
        queuedAt: runs.queuedAt,
        startedAt: runs.startedAt,
        finishedAt: runs.finishedAt,
        message: runs.message,
        scheduledFor: runs.scheduledFor,
      })
      .from(runs)
      .innerJoin(sites, eq(sites.id, runs.siteId))
      .where(
        and(
          eq(sites.slug, site),
          status ? eq(runs.status, status) : undefined,
          filter.deployment === undefined ? undefined : eq(runs.deployment, filter.deployment),
          filter.requestedBy === undefined ? undefined : eq(runs.requestedBy, filter.requestedBy),
          filter.since === undefined ? undefined : gte(runs.createdAt, filter.since),
          filter.before === undefined ? undefined : lt(runs.id, filter.before),
        ),
      )
      .orderBy(desc(runs.id))
      .limit(limit)
      .all()
      .map((r) => ({ ...r, status: r.status as RunStatus }));
  }

  async addReview(runId: number, review: { userId: string; username: string; decision: "approve" | "reject"; comment: string }): Promise<boolean> {
    const result = this.db.insert(runApprovals).values({ runId, ...review, createdAt: new Date() }).onConflictDoNothing().run();
    return result.changes > 0;
  }

  async reviews(runId: number): Promise<RunReview[]> {
    return this.db
      .select({ userId: runApprovals.userId, username: runApprovals.username, decision: runApprovals.decision, comment: runApprovals.comment, createdAt: runApprovals.createdAt })
      .from(runApprovals)
      .where(eq(runApprovals.runId, runId))
      .orderBy(asc(runApprovals.id))
      .all();
  }

  async lastApproved(site: string, before: number) {
    return this.db
      .select({ id: runs.id, revision: runs.revision, approvedAt: runs.approvedAt })
      .from(runs)
      .innerJoin(sites, eq(sites.id, runs.siteId))
      .where(and(eq(sites.slug, site), lt(runs.id, before), isNotNull(runs.approvedAt)))
      .orderBy(desc(runs.id))
      .limit(1)
      .get();
  }

  async setStatus(id: number, status: RunStatus, extra: RunStatusExtra = {}): Promise<void> {
    this.db.update(runs).set({ status, ...extra }).where(eq(runs.id, id)).run();
  }

  async transition(id: number, from: readonly RunStatus[], to: RunStatus, extra: RunStatusExtra = {}): Promise<boolean> {
    if (!from.length) return false;
    return this.db.update(runs).set({ status: to, ...extra }).where(and(eq(runs.id, id), inArray(runs.status, [...from]))).run().changes > 0;
  }

  async finishInterrupted(
    id: number,
    from: readonly RunStatus[],
    closing: (stored: readonly RunEvent[]) => UnnumberedEvent[],
    extra: RunStatusExtra = {},
  ): Promise<RunEvent[] | null> {
    if (!from.length) return null;
    return this.finishNow(id, from, closing, extra);
  }

  async inFlight(): Promise<number[]> {
    return this.db.select({ id: runs.id }).from(runs).where(inArray(runs.status, ["running", "approved", "queued"])).all().map((r) => r.id);
  }

  async append(runId: number, events: readonly UnnumberedEvent[], output: readonly StoredOutputChunk[]): Promise<RunEvent[]> {
    if (!events.length && !output.length) return [];
    return this.appendBatch(runId, events, output);
  }

  async lastSeq(runId: number): Promise<number> {
    return this.db.select({ seq: runs.lastSeq }).from(runs).where(eq(runs.id, runId)).get()?.seq ?? 0;
  }

  async events(runId: number, after = 0, limit = -1): Promise<RunEvent[]> {
    return this.db
      .select({ data: runEvents.data })
      .from(runEvents)
      .where(and(eq(runEvents.runId, runId), gt(runEvents.seq, after)))
      .orderBy(asc(runEvents.seq))
      .limit(limit)
      .all()
      .map((r) => JSON.parse(r.data) as RunEvent);
  }

  async output(runId: number, host: string, step?: string, afterId = 0): Promise<RunOutputRow[]> {
    return this.db
      .select({ id: runOutput.id, step: runOutput.step, stream: runOutput.stream, t: runOutput.t, data: runOutput.data })
      .from(runOutput)
      .where(and(eq(runOutput.runId, runId), eq(runOutput.host, host), step ? eq(runOutput.step, step) : undefined, gt(runOutput.id, afterId)))
      .orderBy(asc(runOutput.id))
      .all();
  }

  async claim(runId: number, workerId: string, leaseMs: number): Promise<ClaimResult> {
    return this.claimNow(runId, workerId, leaseMs);
  }

  async renewLeases(workerId: string, runIds: readonly number[], leaseMs: number) {
    if (!runIds.length) return [];
    return this.db
      .update(runs)
      .set({ leaseExpiresAt: new Date(Date.now() + leaseMs) })
      .where(and(eq(runs.worker, workerId), eq(runs.status, "running"), inArray(runs.id, [...runIds])))
      .returning({ id: runs.id, cancelRequestedBy: runs.cancelRequestedBy })
      .all();
  }

  // One process on SQLite: its clock is the clock of record (see RunStore.claim).
  async expiredLeases(): Promise<number[]> {
    return this.db
      .select({ id: runs.id })
      .from(runs)
      .where(and(eq(runs.status, "running"), isNotNull(runs.leaseExpiresAt), lt(runs.leaseExpiresAt, new Date())))
      .orderBy(asc(runs.id))
      .all()
      .map((r) => r.id);
  }

  async queued(): Promise<{ id: number; site: string; queuedAt: Date }[]> {
    return this.db
      .select({ id: runs.id, site: sites.slug, queuedAt: runs.queuedAt, createdAt: runs.createdAt })
      .from(runs)
      .innerJoin(sites, eq(sites.id, runs.siteId))
      .where(eq(runs.status, "queued"))
      .orderBy(asc(runs.queuedAt), asc(runs.id))
      .all()
      .map((r) => ({ id: r.id, site: r.site, queuedAt: r.queuedAt ?? r.createdAt }));
  }

  async requestCancel(id: number, by: string): Promise<void> {
    // The first request is the one recorded: a second click changes nothing.
    this.db.update(runs).set({ cancelRequestedBy: by }).where(and(eq(runs.id, id), isNull(runs.cancelRequestedBy))).run();
  }
}
