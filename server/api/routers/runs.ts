import { z } from "zod";
import { actorName, atLeast } from "../../auth";
import { planDeployment, RUN_STATUSES, STEP_STATUSES } from "../../engine";
import { isNamed } from "../../errors";
import { loadRevision } from "../../site-cache";
import type { RunEvent } from "../../engine";
import { ForbiddenError, InvalidInputError } from "../../store/errors";
import { createTRPCRouter, runProcedure, siteProcedure } from "../trpc";
import { idCursor, pageInput, timestamp } from "./shapes";

const comment = z.string().trim().max(2000).default("").describe("Why, in a sentence (shown to the requester and in the audit log)");
const runId = z.number().int().positive().describe("The run's id");
const runStatus = z.enum(RUN_STATUSES).describe("The run's status");
const stepStatus = z.enum(STEP_STATUSES).describe("A host's or step's state");

const launched = z.object({
  id: runId,
  status: runStatus,
  revision: z.number().int().describe("The site revision the run executes (frozen when requested)"),
  deployment: z.string().describe("The deployment run"),
  url: z.string().describe("The run's page on the dashboard, relative to the server"),
});

/** A run as lists show it (no plan), with its place in the queue. */
const runListItem = z
  .object({
    id: runId,
    revision: z.number().int().describe("The site revision the run executes"),
    deployment: z.string().describe("The deployment run"),
    title: z.string().describe("The deployment's title"),
    status: runStatus,
    requestedBy: z.string().describe("Who requested it (a user, or 'user (token name)')"),
    requestedById: z.string().nullable().describe("The requesting user's id (null: not a user)"),
    reason: z.string().describe("Why it was requested (may be empty)"),
    createdAt: timestamp("When it was requested"),
    queuedAt: timestamp("When it entered the queue").nullable().describe("When it entered the queue (null: never)"),
    startedAt: timestamp("When it started").nullable().describe("When it started (null: not yet)"),
    finishedAt: timestamp("When it ended").nullable().describe("When it ended (null: not yet)"),
    message: z.string().nullable().describe("How it ended, or what it waits for"),
    scheduledFor: timestamp("When its maintenance window opens").nullable().describe("While scheduled (approved outside its maintenance window): when the window opens (null: not scheduled)"),
    position: z.number().int().nullable().describe("Its place in the queue across every site (1: next; null: not queued)"),
  })
  .describe("A run of the site");

/**
 * One event of a run, as the socket sends it: `type` says which (run.status, host.status, step.started...), the
 * other fields are that type's. Typed as the engine's union; described loosely (its members are many).
 */
const runEvent = z
  .looseObject({
    seq: z.number().int().describe("Its sequence number in the run (gap-free from 1)"),
    t: z.number().describe("When it happened (ms since the epoch)"),
    type: z.string().describe("What happened, e.g. run.status, host.status, step.finished"),
  })
  .describe("An event of the run") as unknown as z.ZodType<RunEvent>;

const outputChunk = z
  .object({
    id: z.number().int().describe("Its id: ask for what follows with after={id}"),
    step: z.string().describe("The step that wrote it"),
    stream: z.string().describe("stdout or stderr"),
    t: z.number().describe("When it was written (ms since the epoch)"),
    data: z.string().describe("The text written"),
  })
  .describe("A piece of a host's output");

/** A run's status and per-host outcome: what `flightdeck launch --wait` polls. */
const runStatusSchema = z.object({
  id: runId,
  site: z.string().describe("The site's slug"),
  deployment: z.string().describe("The deployment run"),
  revision: z.number().int().describe("The site revision the run executes"),
  status: runStatus,
  requestedBy: z.string().describe("Who requested the run"),
  reason: z.string().describe("Why it was requested (may be empty)"),
  message: z.string().nullable().describe("How it ended, or what it waits for (null: nothing to say)"),
  createdAt: timestamp("When it was requested"),
  startedAt: timestamp("When it started").nullable().describe("When it started (null: not yet)"),
  finishedAt: timestamp("When it ended").nullable().describe("When it ended (null: not yet)"),
  counts: z.record(z.enum(STEP_STATUSES), z.number().int().describe("How many host steps are in this state")).describe("Host steps per state"),
  lastSeq: z.number().int().describe("The sequence number of its newest event: GET /runs/{id}/events?after= goes on from here"),
  hosts: z
    .record(
      z.string(),
      z.object({ status: stepStatus, steps: z.record(z.string(), stepStatus).describe("Each step's state, by step name") }).describe("One host's state and its steps' states"),
    )
    .describe("Each host's outcome, by host name"),
});

/**
 * Approving or rejecting is a person's decision: API tokens (automation) may request and cancel runs, never
 * review them, whatever their role. `review.canReview` says the same.
 */
const reviewProcedure = runProcedure("approver").use(({ ctx, next }) => {
  if (ctx.principal.kind !== "user") throw new ForbiddenError("runs are approved or rejected by a signed-in person, not with an API token");
  return next();
});

export const runsRouter = createTRPCRouter({
  /** The deployments of the newest revision, each with its plan (or why it cannot be planned, on this server). */
  deployments: siteProcedure("viewer").query(async ({ ctx, input }) => {
    const { revision, site } = await loadRevision(ctx.sites, input.slug, undefined, await ctx.runner.sitePolicy(input.slug));
    const errors = site.diagnostics.filter((d) => d.severity === "error").length;
    return {
      revision,
      errors,
      deployments: await Promise.all(
        [...site.workflows.deployments.values()].map(async (d) => {
          try {
            // With its playbooks' tasks when Ansible can list them (cached by the site's Ansible content).
            return { name: d.name, title: d.title, plan: await ctx.runner.withTasks(input.slug, site, planDeployment(site, { deployment: d.name })), problem: null };
          } catch (e) {
            if (!isNamed(e, "PlanError")) throw e;
            return { name: d.name, title: d.title, plan: null, problem: e.message };
          }
        }),
      ),
    };
  }),

  /** Request a run: it waits for approval (unless the site needs none) with its plan and revision frozen. */
  launch: siteProcedure("operator")
    .meta({
      rest: {
        method: "POST",
        path: "/sites/{slug}/runs",
        summary: "Request a run",
        description:
          "Requests a run of a deployment at the site's newest revision, with its plan frozen. It waits for approval (unless the site needs none), then in the queue. Operators and above on the site, signed in or with an API token.",
        tags: ["runs"],
        status: 201,
      },
    })
    .input(
      z.object({
        deployment: z.string().min(1).optional().describe("The deployment to run (default: the site's only or default one)"),
        reason: z.string().max(2000).default("").describe("Why, shown to reviewers"),
        forks: z.number().int().min(1).max(1000).optional().describe("Hosts worked on at once (default 50)"),
        limit: z.array(z.string().min(1).describe("A host name")).max(10000).optional().describe("Only these hosts of the deployment's targets"),
      }),
    )
    .output(launched.describe("The requested run"))
    .mutation(async ({ ctx, input }) => {
      const id = await ctx.runner.launch({ site: input.slug, deployment: input.deployment, requestedBy: actorName(ctx.principal), requestedById: ctx.principal.userId, reason: input.reason, forks: input.forks, limit: input.limit });
      await ctx.audit({ action: "run.requested", site: input.slug, target: `run ${id}`, detail: { deployment: input.deployment ?? null, reason: input.reason } });
      const run = await ctx.runs.get(id);
      return { id, status: run.status, revision: run.revision, deployment: run.deployment, url: `/sites/${input.slug}/runs/${id}` };
    }),

  /** The site's newest runs; a queued one with its place in line (1: next), across every site's queue. */
  list: siteProcedure("viewer")
    .input(z.object({ status: z.enum(RUN_STATUSES).optional() }))
    .query(async ({ ctx, input }) => withPositions(ctx.runner, await ctx.runs.list(input.slug, 50, input.status))),

  /** The site's runs page by page, newest first, filtered: the REST list (the dashboard shows the newest 50 with `list`). */
  page: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/runs",
        summary: "List a site's runs",
        description: "The site's runs, newest first, filtered by status, deployment, requester and time, a page at a time (follow `next`). Viewers and above on the site.",
        tags: ["runs"],
        paginated: true,
      },
    })
    .input(
      z.object({
        status: runStatus.optional().describe("Only runs in this status"),
        deployment: z.string().min(1).max(200).optional().describe("Only runs of this deployment"),
        requestedBy: z.string().min(1).max(200).optional().describe("Only runs requested by this name, exactly as runs show it"),
        since: z.iso.datetime({ offset: true }).optional().describe("Only runs requested at or after this moment (ISO 8601)"),
        ...pageInput,
      }),
    )
    .output(
      z
        .object({
          items: z.array(runListItem).describe("The page's runs, newest first"),
          nextCursor: z.string().nullable().describe("The cursor of the next page (null: this is the last page)"),
        })
        .describe("A page of runs"),
    )
    .query(async ({ ctx, input }) => {
      const before = idCursor.decode(input.cursor, () => new InvalidInputError("cursor: not a cursor of this list (use nextCursor as given)"));
      const filter = { deployment: input.deployment, requestedBy: input.requestedBy, since: input.since === undefined ? undefined : new Date(input.since), before };
      const rows = await ctx.runs.list(input.slug, input.limit + 1, input.status, filter);
      const page = rows.slice(0, input.limit);
      return { items: await withPositions(ctx.runner, page), nextCursor: rows.length > input.limit ? idCursor.encode(page.at(-1)!.id) : null };
    }),

  /** A run with its frozen plan and its state folded so far (up to `lastSeq`); the client then follows the socket. */
  get: runProcedure("viewer").query(async ({ ctx, input }) => ({ run: ctx.run, ...(await ctx.runner.snapshot(input.id)), role: ctx.role })),

  /** A run's status and each host's outcome, without the plan: what scripts and `flightdeck launch --wait` poll. */
  status: runProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/runs/{id}",
        summary: "Get a run's status",
        description: "A run's status, counts of host steps per state, each host's and step's state, and the sequence number of its newest event. Viewers and above on the run's site.",
        tags: ["runs"],
      },
    })
    .output(runStatusSchema.describe("The run's status and per-host outcome"))
    .query(async ({ ctx, input }) => {
      const run = ctx.run;
      const { snapshot, lastSeq } = await ctx.runner.snapshot(input.id);
      const hosts = Object.fromEntries(Object.entries(snapshot.hosts).map(([name, h]) => [name, { status: h.status, steps: Object.fromEntries(Object.entries(h.steps).map(([s, st]) => [s, st.status])) }]));
      const { site, deployment, revision, status, requestedBy, reason, message, createdAt, startedAt, finishedAt } = run;
      return { id: input.id, site, deployment, revision, status, requestedBy, reason, message, createdAt, startedAt, finishedAt, counts: snapshot.counts, lastSeq, hosts };
    }),

  /** What a reviewer needs: the decisions so far, the revision to diff against, and whether the request is stale. */
  review: runProcedure("viewer").query(async ({ ctx }) => {
    const run = ctx.run;
    const site = await ctx.sites.get(run.site);
    const principal = ctx.principal;
    const own = run.requestedById !== null && run.requestedById === principal.userId;
    return {
      reviews: await ctx.runs.reviews(run.id),
      required: site.approvalsRequired,
      head: site.revision,
      stale: run.status === "awaiting_approval" && site.revision !== run.revision,
      lastApproved: (await ctx.runs.lastApproved(run.site, run.id)) ?? null,
      own,
      canReview: run.status === "awaiting_approval" && !own && principal.kind === "user" && atLeast(ctx.role, "approver"),
      canCancel: canCancel(ctx.role, own),
    };
  }),

  approve: reviewProcedure
    .meta({
      rest: {
        method: "POST",
        path: "/runs/{id}/approve",
        summary: "Approve a run",
        description:
          "Adds the caller's approval; with enough approvals the run enters the queue. Approvers and above on the run's site, signed in (never an API token), never on their own run nor on a request the site has moved past (409).",
        tags: ["runs"],
      },
    })
    .input(z.object({ comment }))
    .output(
      z
        .object({
          approvals: z.number().int().describe("Approvals the run has now"),
          required: z.number().int().describe("Approvals it needs"),
          status: runStatus,
        })
        .describe("The run's approvals after this one"),
    )
    .mutation(async ({ ctx, input }) => {
      const reviewer = { userId: ctx.principal.userId, username: actorName(ctx.principal) };
      const result = await ctx.runner.approve(input.id, reviewer, input.comment);
      await ctx.audit({ action: "run.approved", site: ctx.run.site, target: `run ${input.id}`, detail: { comment: input.comment, approvals: result.approvals, required: result.required } });
      return result;
    }),

  reject: reviewProcedure
    .meta({
      rest: {
        method: "POST",
        path: "/runs/{id}/reject",
        summary: "Reject a run",
        description: "Rejects a run waiting for approval; it ends as rejected. Approvers and above on the run's site, signed in (never an API token), never on their own run.",
        tags: ["runs"],
        status: 204,
      },
    })
    .input(z.object({ comment }))
    .mutation(async ({ ctx, input }) => {
      await ctx.runner.reject(input.id, { userId: ctx.principal.userId, username: actorName(ctx.principal) }, input.comment);
      await ctx.audit({ action: "run.rejected", site: ctx.run.site, target: `run ${input.id}`, detail: { comment: input.comment } });
    }),

  /** Events after `after`: what a reconnecting client missed (the dashboard's feed; REST uses `eventsPage`). */
  events: runProcedure("viewer")
    .input(z.object({ after: z.number().int().min(0).describe("The last sequence number already seen (0: from the start)") }))
    .output(z.array(runEvent).describe("The events, in sequence order"))
    .query(({ ctx, input }) => ctx.runs.events(input.id, input.after)),

  /**
   * `events` a page at a time, for REST: one more than the page is read, to know whether another follows; the
   * cursor is the last sequence number of the page, so a page continues where `after` would.
   */
  eventsPage: runProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/runs/{id}/events",
        summary: "A run's events after a sequence number",
        description: "A page of the run's events with a sequence number above `after` (or above the cursor's), in order: what a client that follows the run missed. Viewers and above on the run's site.",
        tags: ["runs"],
        paginated: true,
      },
    })
    .input(
      z.object({
        after: z.number().int().min(0).default(0).describe("The last sequence number already seen (0: from the start); a cursor, when given, takes its place"),
        cursor: pageInput.cursor,
        limit: z.number().int().min(1).max(5000).default(1000).describe("Largest number of events in the page (1 to 5000, default 1000)"),
      }),
    )
    .output(
      z
        .object({
          items: z.array(runEvent).describe("The page's events, in sequence order"),
          nextCursor: z.string().nullable().describe("The cursor of the next page (null on the last page)"),
        })
        .describe("A page of events"),
    )
    .query(async ({ ctx, input }) => {
      const after = seqCursor.decode(input.cursor) ?? input.after;
      const events = await ctx.runs.events(input.id, after, input.limit + 1);
      const items = events.slice(0, input.limit);
      return { items, nextCursor: events.length > input.limit ? seqCursor.encode(items.at(-1)!.seq) : null };
    }),

  output: runProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/runs/{id}/hosts/{host}/output",
        summary: "A host's output",
        description: "What a host's steps wrote (of one step when given), in order, after the chunk `after`. Viewers and above on the run's site.",
        tags: ["runs"],
      },
    })
    .input(
      z.object({
        host: z.string().min(1).describe("The host's name"),
        step: z.string().optional().describe("Only this step's output (its name in the plan)"),
        after: z.number().int().min(0).default(0).describe("The id of the last chunk already seen (0: from the start)"),
      }),
    )
    .output(z.array(outputChunk).describe("The output, in the order written"))
    .query(({ ctx, input }) => ctx.runs.output(input.id, input.host, input.step, input.after)),

  /** Operators cancel their own runs; approvers and admins any run. */
  cancel: runProcedure("operator")
    .meta({
      rest: {
        method: "POST",
        path: "/runs/{id}/cancel",
        summary: "Cancel a run",
        description: "Cancels a run that has not ended: at once if it has not started, else its worker stops it. Operators cancel their own runs; approvers and admins on the run's site any run.",
        tags: ["runs"],
        status: 204,
      },
    })
    .mutation(async ({ ctx, input }) => {
    const own = ctx.run.requestedById !== null && ctx.run.requestedById === ctx.principal.userId;
    if (!canCancel(ctx.role, own)) throw new ForbiddenError(`run ${input.id} was requested by ${ctx.run.requestedBy}: operators cancel only their own runs`);
    await ctx.runner.cancel(input.id, actorName(ctx.principal));
    await ctx.audit({ action: "run.cancelled", site: ctx.run.site, target: `run ${input.id}`, detail: { status: ctx.run.status } });
  }),

  /** Ask again at the newest revision (a stale request cannot be approved). */
  rerequest: runProcedure("operator")
    .meta({
      rest: {
        method: "POST",
        path: "/runs/{id}/rerequest",
        summary: "Request a run again at the newest revision",
        description:
          "A request the site has moved past cannot be approved (409): this cancels it and requests the same deployment at the newest revision. Operators re-request their own runs; approvers and admins on the run's site any run.",
        tags: ["runs"],
        status: 201,
      },
    })
    .output(z.object({ id: runId.describe("The new run's id") }).describe("The new request"))
    .mutation(async ({ ctx, input }) => {
      const own = ctx.run.requestedById !== null && ctx.run.requestedById === ctx.principal.userId;
      if (!canCancel(ctx.role, own)) throw new ForbiddenError(`run ${input.id} was requested by ${ctx.run.requestedBy}: operators re-request only their own runs`);
      const id = await ctx.runner.rerequest(input.id, actorName(ctx.principal), ctx.principal.userId);
      await ctx.audit({ action: "run.requested", site: ctx.run.site, target: `run ${id}`, detail: { deployment: ctx.run.deployment, supersedes: input.id } });
      return { id };
    }),

  rerunFailed: runProcedure("operator")
    .meta({
      rest: {
        method: "POST",
        path: "/runs/{id}/rerun-failed",
        summary: "Re-run a run's failed hosts",
        description: "Requests a new run of the same deployment and revision limited to the hosts that failed or were unreachable; it waits for approval like any request. Operators and above on the run's site.",
        tags: ["runs"],
        status: 201,
      },
    })
    .output(z.object({ id: runId.describe("The new run's id") }).describe("The new run"))
    .mutation(async ({ ctx, input }) => {
    const id = await ctx.runner.rerunFailed(input.id, actorName(ctx.principal), ctx.principal.userId);
    await ctx.audit({ action: "run.requested", site: ctx.run.site, target: `run ${id}`, detail: { deployment: ctx.run.deployment, rerunOf: input.id } });
    return { id };
  }),
});

/** Each run with its place in the queue (queued ones only; one read of the queue for the page). */
async function withPositions<T extends { id: number; status: string }>(runner: { queuePositions(): Promise<Map<number, number>> }, rows: T[]) {
  const positions = rows.some((r) => r.status === "queued") ? await runner.queuePositions() : new Map<number, number>();
  return rows.map((r) => ({ ...r, position: positions.get(r.id) ?? null }));
}

function canCancel(role: Parameters<typeof atLeast>[0], own: boolean) {
  return atLeast(role, "approver") || (own && atLeast(role, "operator"));
}

/** An opaque cursor over a run's events: the last sequence number of the previous page. */
const seqCursor = {
  encode: (seq: number): string => Buffer.from(`seq:${seq}`).toString("base64url"),
  decode(cursor: string | undefined): number | undefined {
    if (cursor === undefined) return undefined;
    const m = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString());
    if (!m) throw new InvalidInputError("cursor: not a cursor of this list (use the nextCursor of the previous page)");
    return Number(m[1]);
  },
};
