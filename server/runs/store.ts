/** Runs, their events and their output in SQLite. Events go in batched transactions, in sequence order. */
import { and, asc, desc, eq, gt, inArray, isNotNull, lt } from "drizzle-orm";
import { runApprovals, runEvents, runOutput, runs, sites } from "../../db/schema";
// (run_events and run_output are written by prepared statements in `append`; their columns are in db/schema.ts.)
import type { Db } from "../db";
import type { OutputChunk, Plan, RunEvent, RunStatus } from "../engine";
import { NotFoundError } from "../store/errors";

export interface RunOptions {
  forks: number;
  limit?: string[];
  rerunOf?: number;
}

export type RunRow = ReturnType<RunStore["get"]>;

export class RunStore {
  private readonly appendBatch: (runId: number, events: readonly RunEvent[], output: readonly (OutputChunk & { t: number })[]) => void;

  constructor(private readonly db: Db) {
    const sqlite = db.$client;
    const insertEvent = sqlite.prepare("insert into run_events (run_id, seq, t, type, host, step, data) values (?, ?, ?, ?, ?, ?, ?)");
    const insertOutput = sqlite.prepare("insert into run_output (run_id, host, step, stream, t, data) values (?, ?, ?, ?, ?, ?)");
    this.appendBatch = sqlite.transaction((runId: number, events: readonly RunEvent[], output: readonly (OutputChunk & { t: number })[]) => {
      for (const e of events) {
        insertEvent.run(runId, e.seq, e.t, e.type, "host" in e ? (e.host ?? null) : null, "step" in e ? e.step : null, JSON.stringify(e));
      }
      for (const o of output) insertOutput.run(runId, o.host, o.step, o.stream, o.t, o.data);
    });
  }

  create(input: { site: string; revision: number; plan: Plan; requestedBy: string; requestedById?: string | null; reason: string; options: RunOptions; status: RunStatus }) {
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

  get(id: number) {
    const row = this.db
      .select({ run: runs, site: sites.slug })
      .from(runs)
      .innerJoin(sites, eq(sites.id, runs.siteId))
      .where(eq(runs.id, id))
      .get();
    if (!row) throw new NotFoundError(`no run ${id}`);
    const { plan, options, ...rest } = row.run;
    return { ...rest, site: row.site, status: rest.status as RunStatus, plan: JSON.parse(plan) as Plan, options: JSON.parse(options) as RunOptions };
  }

  list(site: string, limit = 50, status?: RunStatus) {
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
        startedAt: runs.startedAt,
        finishedAt: runs.finishedAt,
        message: runs.message,
      })
      .from(runs)
      .innerJoin(sites, eq(sites.id, runs.siteId))
      .where(and(eq(sites.slug, site), status ? eq(runs.status, status) : undefined))
      .orderBy(desc(runs.id))
      .limit(limit)
      .all()
      .map((r) => ({ ...r, status: r.status as RunStatus }));
  }

  /** Record a reviewer's decision; false when this reviewer already decided on this run. */
  addReview(runId: number, review: { userId: string; username: string; decision: "approve" | "reject"; comment: string }): boolean {
    const result = this.db.insert(runApprovals).values({ runId, ...review, createdAt: new Date() }).onConflictDoNothing().run();
    return result.changes > 0;
  }

  reviews(runId: number) {
    return this.db
      .select({ userId: runApprovals.userId, username: runApprovals.username, decision: runApprovals.decision, comment: runApprovals.comment, createdAt: runApprovals.createdAt })
      .from(runApprovals)
      .where(eq(runApprovals.runId, runId))
      .orderBy(asc(runApprovals.id))
      .all();
  }

  /** The newest run of the site that was approved (and so may have changed hosts): approvals diff against it. */
  lastApproved(site: string, before: number) {
    return this.db
      .select({ id: runs.id, revision: runs.revision, approvedAt: runs.approvedAt })
      .from(runs)
      .innerJoin(sites, eq(sites.id, runs.siteId))
      .where(and(eq(sites.slug, site), lt(runs.id, before), isNotNull(runs.approvedAt)))
      .orderBy(desc(runs.id))
      .limit(1)
      .get();
  }

  setStatus(id: number, status: RunStatus, extra: { startedAt?: Date; finishedAt?: Date; approvedAt?: Date; message?: string } = {}) {
    this.db.update(runs).set({ status, ...extra }).where(eq(runs.id, id)).run();
  }

  inFlight(): number[] {
    return this.db.select({ id: runs.id }).from(runs).where(inArray(runs.status, ["running", "approved"])).all().map((r) => r.id);
  }

  /**
   * One transaction for a batch of events (and output chunks): far fewer fsyncs than one per event. This is
   * the hot path of a large run, so it uses prepared statements directly rather than building queries per row.
   */
  append(runId: number, events: readonly RunEvent[], output: readonly (OutputChunk & { t: number })[]) {
    if (!events.length && !output.length) return;
    this.appendBatch(runId, events, output);
  }


  lastSeq(runId: number): number {
    const row = this.db.select({ seq: runEvents.seq }).from(runEvents).where(eq(runEvents.runId, runId)).orderBy(desc(runEvents.seq)).limit(1).get();
    return row?.seq ?? 0;
  }

  events(runId: number, after = 0): RunEvent[] {
    return this.db
      .select({ data: runEvents.data })
      .from(runEvents)
      .where(and(eq(runEvents.runId, runId), gt(runEvents.seq, after)))
      .orderBy(asc(runEvents.seq))
      .all()
      .map((r) => JSON.parse(r.data) as RunEvent);
  }

  output(runId: number, host: string, step?: string, afterId = 0) {
    return this.db
      .select({ id: runOutput.id, step: runOutput.step, stream: runOutput.stream, t: runOutput.t, data: runOutput.data })
      .from(runOutput)
      .where(and(eq(runOutput.runId, runId), eq(runOutput.host, host), step ? eq(runOutput.step, step) : undefined, gt(runOutput.id, afterId)))
      .orderBy(asc(runOutput.id))
      .all();
  }
}
