import { createTRPCRouter, siteProcedure } from "../trpc";

export const revisionsRouter = createTRPCRouter({
  list: siteProcedure("viewer").query(({ ctx, input }) => ctx.sites.revisions(input.slug)),
});
