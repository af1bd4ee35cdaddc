import { z } from "zod";
import { planDeployment, PlanError } from "../../engine";
import { loadRevision } from "../../site-cache";
import { createTRPCRouter, publicProcedure } from "../trpc";

const slug = z.string().min(1).max(63);
const id = z.number().int().positive();

export const runsRouter = createTRPCRouter({
  /** The deployments of the newest revision, each with its plan (or why it cannot be planned). */
  deployments: publicProcedure.input(z.object({ slug })).query(({ ctx, input }) => {
    const { revision, site } = loadRevision(ctx.sites, input.slug);
    const errors = site.diagnostics.filter((d) => d.severity === "error").length;
    return {
      revision,
      errors,
      deployments: [...site.workflows.deployments.values()].map((d) => {
        try {
          return { name: d.name, title: d.title, plan: planDeployment(site, { deployment: d.name }), problem: null };
        } catch (e) {
          if (!(e instanceof PlanError)) throw e;
          return { name: d.name, title: d.title, plan: null, problem: e.message };
        }
      }),
    };
  }),

  launch: publicProcedure
    .input(z.object({ slug, deployment: z.string().min(1), author: z.string().max(100), reason: z.string().max(2000).default(""), forks: z.number().int().min(1).max(1000).optional() }))
    .mutation(({ ctx, input }) => ({ id: ctx.runner.launch({ site: input.slug, deployment: input.deployment, requestedBy: input.author, reason: input.reason, forks: input.forks }) })),

  list: publicProcedure.input(z.object({ slug })).query(({ ctx, input }) => ctx.runs.list(input.slug)),

  /** A run with its frozen plan and its state folded so far (up to `lastSeq`); the client then follows the socket. */
  get: publicProcedure.input(z.object({ id })).query(({ ctx, input }) => ({ run: ctx.runs.get(input.id), ...ctx.runner.snapshot(input.id) })),

  /** Events after `after`: what a reconnecting client missed. */
  events: publicProcedure.input(z.object({ id, after: z.number().int().min(0) })).query(({ ctx, input }) => ctx.runs.events(input.id, input.after)),

  output: publicProcedure
    .input(z.object({ id, host: z.string().min(1), step: z.string().optional(), after: z.number().int().min(0).default(0) }))
    .query(({ ctx, input }) => ctx.runs.output(input.id, input.host, input.step, input.after)),

  cancel: publicProcedure.input(z.object({ id })).mutation(({ ctx, input }) => ctx.runner.cancel(input.id)),

  rerunFailed: publicProcedure.input(z.object({ id, author: z.string().max(100) })).mutation(({ ctx, input }) => ({ id: ctx.runner.rerunFailed(input.id, input.author) })),
});
