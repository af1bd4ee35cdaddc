import { z } from "zod";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const revisionsRouter = createTRPCRouter({
  list: publicProcedure.input(z.object({ slug: z.string().min(1).max(63) })).query(({ ctx, input }) => ctx.sites.revisions(input.slug)),
});
