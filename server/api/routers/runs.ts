import { z } from "zod";
import { actorName, atLeast } from "../../auth";
import { planDeployment, RUN_STATUSES } from "../../engine";
import { isNamed } from "../../errors";
import { loadRevision } from "../../site-cache";
import { ForbiddenError } from "../../store/errors";
import { createTRPCRouter, runProcedure, siteProcedure } from "../trpc";

const comment = z.string().trim().max(2000).default("");

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
    .input(z.object({ deployment: z.string().min(1), reason: z.string().max(2000).default(""), forks: z.number().int().min(1).max(1000).optional() }))
    .mutation(async ({ ctx, input }) => {
      const id = await ctx.runner.launch({ site: input.slug, deployment: input.deployment, requestedBy: actorName(ctx.principal), requestedById: ctx.principal.userId, reason: input.reason, forks: input.forks });
      await ctx.audit({ action: "run.requested", site: input.slug, target: `run ${id}`, detail: { deployment: input.deployment, reason: input.reason } });
      return { id };
    }),

  /** The site's newest runs; a queued one with its place in line (1: next), across every site's queue. */
  list: siteProcedure("viewer")
    .input(z.object({ status: z.enum(RUN_STATUSES).optional() }))
    .query(async ({ ctx, input }) => {
      const rows = await ctx.runs.list(input.slug, 50, input.status);
      const positions = rows.some((r) => r.status === "queued") ? await ctx.runner.queuePositions() : new Map<number, number>();
      return rows.map((r) => ({ ...r, position: positions.get(r.id) ?? null }));
    }),

  /** A run with its frozen plan and its state folded so far (up to `lastSeq`); the client then follows the socket. */
  get: runProcedure("viewer").query(async ({ ctx, input }) => ({ run: ctx.run, ...(await ctx.runner.snapshot(input.id)), role: ctx.role })),

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
    .input(z.object({ comment }))
    .mutation(async ({ ctx, input }) => {
      const reviewer = { userId: ctx.principal.userId, username: actorName(ctx.principal) };
      const result = await ctx.runner.approve(input.id, reviewer, input.comment);
      await ctx.audit({ action: "run.approved", site: ctx.run.site, target: `run ${input.id}`, detail: { comment: input.comment, approvals: result.approvals, required: result.required } });
      return result;
    }),

  reject: reviewProcedure
    .input(z.object({ comment }))
    .mutation(async ({ ctx, input }) => {
      await ctx.runner.reject(input.id, { userId: ctx.principal.userId, username: actorName(ctx.principal) }, input.comment);
      await ctx.audit({ action: "run.rejected", site: ctx.run.site, target: `run ${input.id}`, detail: { comment: input.comment } });
    }),

  /** Events after `after`: what a reconnecting client missed. */
  events: runProcedure("viewer")
    .input(z.object({ after: z.number().int().min(0) }))
    .query(({ ctx, input }) => ctx.runs.events(input.id, input.after)),

  output: runProcedure("viewer")
    .input(z.object({ host: z.string().min(1), step: z.string().optional(), after: z.number().int().min(0).default(0) }))
    .query(({ ctx, input }) => ctx.runs.output(input.id, input.host, input.step, input.after)),

  /** Operators cancel their own runs; approvers and admins any run. */
  cancel: runProcedure("operator").mutation(async ({ ctx, input }) => {
    const own = ctx.run.requestedById !== null && ctx.run.requestedById === ctx.principal.userId;
    if (!canCancel(ctx.role, own)) throw new ForbiddenError(`run ${input.id} was requested by ${ctx.run.requestedBy}: operators cancel only their own runs`);
    await ctx.runner.cancel(input.id, actorName(ctx.principal));
    await ctx.audit({ action: "run.cancelled", site: ctx.run.site, target: `run ${input.id}`, detail: { status: ctx.run.status } });
  }),

  /** Ask again at the newest revision (a stale request cannot be approved). */
  rerequest: runProcedure("operator").mutation(async ({ ctx, input }) => {
    const own = ctx.run.requestedById !== null && ctx.run.requestedById === ctx.principal.userId;
    if (!canCancel(ctx.role, own)) throw new ForbiddenError(`run ${input.id} was requested by ${ctx.run.requestedBy}: operators re-request only their own runs`);
    const id = await ctx.runner.rerequest(input.id, actorName(ctx.principal), ctx.principal.userId);
    await ctx.audit({ action: "run.requested", site: ctx.run.site, target: `run ${id}`, detail: { deployment: ctx.run.deployment, supersedes: input.id } });
    return { id };
  }),

  rerunFailed: runProcedure("operator").mutation(async ({ ctx, input }) => {
    const id = await ctx.runner.rerunFailed(input.id, actorName(ctx.principal), ctx.principal.userId);
    await ctx.audit({ action: "run.requested", site: ctx.run.site, target: `run ${id}`, detail: { deployment: ctx.run.deployment, rerunOf: input.id } });
    return { id };
  }),
});

function canCancel(role: Parameters<typeof atLeast>[0], own: boolean) {
  return atLeast(role, "approver") || (own && atLeast(role, "operator"));
}
