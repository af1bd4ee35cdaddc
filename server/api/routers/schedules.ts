/** The Schedules tab: the site's schedules and maintenance windows at its newest revision, recent fires, held runs. */
import { schedulesOverview } from "../../schedules/overview";
import { loadRevision } from "../../site-cache";
import { createTRPCRouter, siteProcedure } from "../trpc";

export const schedulesRouter = createTRPCRouter({
  overview: siteProcedure("viewer").query(async ({ ctx, input }) => {
    const { site, revision } = await loadRevision(ctx.sites, input.slug);
    const [fires, scheduled] = await Promise.all([ctx.store.schedules.fires(input.slug, 100), ctx.runs.list(input.slug, 50, "scheduled")]);
    return { revision, ...schedulesOverview(site, fires, scheduled, Date.now()) };
  }),
});
