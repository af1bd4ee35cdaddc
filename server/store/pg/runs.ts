/**
 * Runs, their events and output in PostgreSQL. What the database guarantees here, for any number of processes:
 * - `append` numbers events from `runs.last_seq`, raised by the batch's size in the same statement as the
 *   inserts: the UPDATE locks the run's row, so concurrent appenders of one run take turns and every event gets
 *   a unique seq with no gap (a failed batch rolls the counter back with its rows).
 * - `claim` locks the site's row (SELECT ... FOR NO KEY UPDATE), so claims of one site are serialised: the
 *   per-site limit counts running runs under that lock, and an older queued run of the site goes first (FIFO).
 *   NO KEY UPDATE rather than UPDATE: inserts that reference the site (a new run) need not wait for it.
 * - `transition` is one conditional UPDATE (compare-and-set on the status); `finishInterrupted` is that UPDATE
 *   and the closing events' append in one transaction (the UPDATE's row lock also holds appenders off meanwhile).
 * - Lease times are the database's `now()`, never a process's clock: drift between machines cannot end a live
 *   worker's run early nor keep a dead one's alive.
 */
import { and, asc, desc, eq, gt, gte, inArray, isNotNull, isNull, lt, sql } from "drizzle-orm";
import type pg from "pg";
import { runApprovals, runEvents, runOutput, runs, sites } from "../../../db/pg/schema";
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
import type { PgDb } from "./db";

const IN_FLIGHT: RunStatus[] = ["running", "queued"];

/**
 * PostgreSQL's text cannot hold NUL (SQLite's can), and a command's output may contain it (binary on stdout):
 * stored as U+FFFD, the replacement character, rather than failing the whole batch. Event JSON escapes it.
 */
// eslint-disable-next-line no-control-regex -- NUL is exactly what is replaced
const NUL = /\u0000/g;
const text = (s: string) => (s.includes("\u0000") ? s.replace(NUL, "\uFFFD") : s);
const textOrNull = (s: string | null | undefined) => (s == null ? null : text(s));

// The append path is hot (a 10,000-host run stores tens of thousands of events a second), and a worker's event
// loop may be busy starting processes: each round trip waits for it. So a batch is one prepared statement (an
// implicit transaction): raise the run's counter, then insert the events numbered from it (arrays of columns,
// unnested; the seq goes into each event's JSON there) and the output, all or nothing.
const APPEND = {
  name: "fd_append",
  text:
    "with taken as (update runs set last_seq = last_seq + $2::int where id = $1::int returning last_seq - $2::int as base), " +
    "ev as (insert into run_events (run_id, seq, t, type, host, step, data) " +
    "select $1::int, taken.base + u.ord, u.t, u.type, u.host, u.step, '{\"seq\":' || (taken.base + u.ord) || ',' || substr(u.data, 2) " +
    "from taken, unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[]) with ordinality as u(t, type, host, step, data, ord)), " +
    "out as (insert into run_output (run_id, host, step, stream, t, data) " +
    "select $1::int, o.host, o.step, o.stream, o.t, o.data from taken, unnest($8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[]) as o(host, step, stream, t, data)) " +
    "select base from taken",
};
const INSERT_OUTPUT = {
  name: "fd_insert_output",
  text: "insert into run_output (run_id, host, step, stream, t, data) select $1, * from unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[])",
};

export class PgRunStore implements RunStore {
  constructor(
    private readonly db: PgDb,
    private readonly pool: pg.Pool,
  ) {}

  async create(input: CreateRunRequest): Promise<number> {
    const [site] = await this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, input.site));
    if (!site) throw new NotFoundError(`no site '${input.site}'`);
    const [row] = await this.db
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
      .returning({ id: runs.id });
    return row!.id;
  }

  async get(id: number): Promise<RunRow> {
    const [row] = await this.db.select({ run: runs, site: sites.slug }).from(runs).innerJoin(sites, eq(sites.id, runs.siteId)).where(eq(runs.id, id));
    if (!row) throw new NotFoundError(`no run ${id}`);
    const { plan, options, ...rest } = row.run;
    return { ...rest, site: row.site, status: rest.status as RunStatus, plan: JSON.parse(plan) as Plan, options: JSON.parse(options) as RunOptions };
  }

  async list(site: string, limit = 50, status?: RunStatus, filter: RunListFilter = {}): Promise<RunListItem[]> {
    const rows = await this.db
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
      .limit(limit);
    return rows.map((r) => ({ ...r, status: r.status as RunStatus }));
  }

  async addReview(runId: number, review: { userId: string; username: string; decision: "approve" | "reject"; comment: string }): Promise<boolean> {
    const rows = await this.db
      .insert(runApprovals)
      .values({ runId, ...review, createdAt: new Date() })
      .onConflictDoNothing()
      .returning({ id: runApprovals.id });
    return rows.length > 0;
  }

  reviews(runId: number): Promise<RunReview[]> {
    return this.db
      .select({ userId: runApprovals.userId, username: runApprovals.username, decision: runApprovals.decision, comment: runApprovals.comment, createdAt: runApprovals.createdAt })
      .from(runApprovals)
      .where(eq(runApprovals.runId, runId))
      .orderBy(asc(runApprovals.id));
  }

  async lastApproved(site: string, before: number) {
    const [row] = await this.db
      .select({ id: runs.id, revision: runs.revision, approvedAt: runs.approvedAt })
      .from(runs)
      .innerJoin(sites, eq(sites.id, runs.siteId))
      .where(and(eq(sites.slug, site), lt(runs.id, before), isNotNull(runs.approvedAt)))
      .orderBy(desc(runs.id))
      .limit(1);
    return row;
  }

  async setStatus(id: number, status: RunStatus, extra: RunStatusExtra = {}): Promise<void> {
    await this.db.update(runs).set({ status, ...defined(extra) }).where(eq(runs.id, id));
  }

  async transition(id: number, from: readonly RunStatus[], to: RunStatus, extra: RunStatusExtra = {}): Promise<boolean> {
    if (!from.length) return false;
    const rows = await this.db
      .update(runs)
      .set({ status: to, ...defined(extra) })
      .where(and(eq(runs.id, id), inArray(runs.status, [...from])))
      .returning({ id: runs.id });
    return rows.length > 0;
  }

  async finishInterrupted(
    id: number,
    from: readonly RunStatus[],
    closing: (stored: readonly RunEvent[]) => UnnumberedEvent[],
    extra: RunStatusExtra = {},
  ): Promise<RunEvent[] | null> {
    if (!from.length) return null;
    return this.db.transaction(async (tx) => {
      // Compare-and-set on the status; its row lock makes a concurrent caller wait, then see the new status
      // (READ COMMITTED re-checks the condition) and get null. Appends wait too, so `stored` is complete.
      const [won] = await tx
        .update(runs)
        .set({ status: "interrupted", ...defined(extra) })
        .where(and(eq(runs.id, id), inArray(runs.status, [...from])))
        .returning({ lastSeq: runs.lastSeq });
      if (!won) return null;
      const stored = (await tx.select({ data: runEvents.data }).from(runEvents).where(eq(runEvents.runId, id)).orderBy(asc(runEvents.seq))).map(
        (r) => JSON.parse(r.data) as RunEvent,
      );
      const numbered: RunEvent[] = closing(stored).map((e, i) => ({ ...e, seq: won.lastSeq + 1 + i }));
      if (!numbered.length) return [];
      await tx
        .update(runs)
        .set({ lastSeq: won.lastSeq + numbered.length })
        .where(eq(runs.id, id));
      await tx.insert(runEvents).values(
        numbered.map((e) => ({
          runId: id,
          seq: e.seq,
          t: e.t,
          type: e.type,
          host: "host" in e ? textOrNull(e.host) : null,
          step: "step" in e ? textOrNull(e.step) : null,
          data: JSON.stringify(e),
        })),
      );
      return numbered;
    });
  }

  async inFlight(): Promise<number[]> {
    const rows = await this.db.select({ id: runs.id }).from(runs).where(inArray(runs.status, IN_FLIGHT)).orderBy(asc(runs.id));
    return rows.map((r) => r.id);
  }

  async append(runId: number, events: readonly UnnumberedEvent[], output: readonly StoredOutputChunk[]): Promise<RunEvent[]> {
    if (!events.length && !output.length) return [];
    const out = [output.map((o) => text(o.host)), output.map((o) => text(o.step)), output.map((o) => o.stream), output.map((o) => o.t), output.map((o) => text(o.data))];
    try {
      if (!events.length) {
        await this.pool.query({ ...INSERT_OUTPUT, values: [runId, ...out] });
        return [];
      }
      const t: number[] = [];
      const type: string[] = [];
      const host: (string | null)[] = [];
      const step: (string | null)[] = [];
      const data: string[] = [];
      for (const e of events) {
        t.push(e.t);
        type.push(e.type);
        host.push("host" in e ? textOrNull(e.host) : null);
        step.push("step" in e ? textOrNull(e.step) : null);
        data.push(JSON.stringify(e));
      }
      const taken = await this.pool.query<{ base: number }>({ ...APPEND, values: [runId, events.length, t, type, host, step, data, ...out] });
      if (!taken.rows[0]) throw new NotFoundError(`no run ${runId}`);
      const first = taken.rows[0].base + 1;
      return events.map((e, i) => ({ ...e, seq: first + i }));
    } catch (e) {
      if ((e as { code?: string }).code === "23503") throw new NotFoundError(`no run ${runId}`);
      throw e;
    }
  }

  async lastSeq(runId: number): Promise<number> {
    const [row] = await this.db.select({ seq: runs.lastSeq }).from(runs).where(eq(runs.id, runId));
    return row?.seq ?? 0;
  }

  async events(runId: number, after = 0, limit?: number): Promise<RunEvent[]> {
    const query = this.db
      .select({ data: runEvents.data })
      .from(runEvents)
      .where(and(eq(runEvents.runId, runId), gt(runEvents.seq, after)))
      .orderBy(asc(runEvents.seq));
    const rows = await (limit === undefined ? query : query.limit(limit));
    return rows.map((r) => JSON.parse(r.data) as RunEvent);
  }

  output(runId: number, host: string, step?: string, afterId = 0): Promise<RunOutputRow[]> {
    return this.db
      .select({ id: runOutput.id, step: runOutput.step, stream: runOutput.stream, t: runOutput.t, data: runOutput.data })
      .from(runOutput)
      .where(and(eq(runOutput.runId, runId), eq(runOutput.host, host), step ? eq(runOutput.step, step) : undefined, gt(runOutput.id, afterId)))
      .orderBy(asc(runOutput.id));
  }

  async claim(runId: number, workerId: string, leaseMs: number): Promise<ClaimResult> {
    return this.db.transaction(async (tx) => {
      const [run] = await tx.select({ siteId: runs.siteId }).from(runs).where(eq(runs.id, runId));
      if (!run) return "gone";
      // The site's row lock serialises every claim of the site: the count and the FIFO check below cannot race.
      const [site] = await tx.select({ parallelRuns: sites.parallelRuns }).from(sites).where(eq(sites.id, run.siteId)).for("no key update");
      if (!site) return "gone";
      // Read after the lock (READ COMMITTED: each statement sees what committed before it), so a run another
      // process claimed while we waited is seen as taken.
      const [current] = await tx.select({ status: runs.status, queuedAt: runs.queuedAt }).from(runs).where(eq(runs.id, runId));
      if (!current || current.status !== "queued") return "gone";
      const [{ running, older }] = (await tx.execute<{ running: number; older: boolean }>(sql`
        select
          (select count(*)::int from runs where site_id = ${run.siteId} and status = 'running') as running,
          exists (
            select 1 from runs
            where site_id = ${run.siteId} and status = 'queued' and id <> ${runId}
              and (coalesce(queued_at, '-infinity'::timestamptz), id) < (coalesce(${current.queuedAt}::timestamptz, '-infinity'::timestamptz), ${runId})
          ) as older`)).rows as [{ running: number; older: boolean }];
      if (running >= site.parallelRuns || older) return "busy";
      const started = await tx
        .update(runs)
        // The claim's statement, not its transaction's start: a claim that waited began before the run it follows ended.
        .set({ status: "running", startedAt: sql`statement_timestamp()`, worker: workerId, leaseExpiresAt: leaseFromNow(leaseMs) })
        .where(and(eq(runs.id, runId), eq(runs.status, "queued")))
        .returning({ id: runs.id });
      return started.length ? "claimed" : "gone";
    });
  }

  async renewLeases(workerId: string, runIds: readonly number[], leaseMs: number): Promise<{ id: number; cancelRequestedBy: string | null }[]> {
    if (!runIds.length) return [];
    return this.db
      .update(runs)
      .set({ leaseExpiresAt: leaseFromNow(leaseMs) })
      .where(and(inArray(runs.id, [...runIds]), eq(runs.worker, workerId), eq(runs.status, "running")))
      .returning({ id: runs.id, cancelRequestedBy: runs.cancelRequestedBy });
  }

  async expiredLeases(): Promise<number[]> {
    const rows = await this.db
      .select({ id: runs.id })
      .from(runs)
      .where(and(eq(runs.status, "running"), lt(runs.leaseExpiresAt, sql`now()`)))
      .orderBy(asc(runs.id));
    return rows.map((r) => r.id);
  }

  async queued(): Promise<{ id: number; site: string; queuedAt: Date }[]> {
    const rows = await this.db
      .select({ id: runs.id, site: sites.slug, queuedAt: runs.queuedAt, createdAt: runs.createdAt })
      .from(runs)
      .innerJoin(sites, eq(sites.id, runs.siteId))
      .where(eq(runs.status, "queued"))
      // NULLS FIRST as SQLite sorts them (a run queued before queued_at existed has none, and goes first).
      .orderBy(sql`${runs.queuedAt} asc nulls first`, asc(runs.id));
    return rows.map((r) => ({ id: r.id, site: r.site, queuedAt: r.queuedAt ?? r.createdAt }));
  }

  async requestCancel(id: number, by: string): Promise<void> {
    await this.db.update(runs).set({ cancelRequestedBy: by }).where(and(eq(runs.id, id), isNull(runs.cancelRequestedBy)));
  }
}

/** The extra columns that were given (undefined means "leave as is"; null clears). */
function defined(extra: RunStatusExtra): RunStatusExtra {
  return Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined));
}

/**
 * The database's clock + `ms` (lease times are the database's clock: see the header): the statement's start,
 * not its transaction's, as the claim's start time is.
 */
function leaseFromNow(ms: number) {
  return sql`statement_timestamp() + ${ms}::double precision * interval '1 millisecond'`;
}
