import { z } from "zod";
import { NAME_PATTERN } from "../../inventory/schemas";
import { adminProcedure, createTRPCRouter } from "../trpc";

const slug = z.string().min(1).max(63).regex(NAME_PATTERN, "letters, digits, '.', '_' or '-'");

export const boardsRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => ctx.auth.access.boards()),

  save: adminProcedure
    .input(z.object({ slug, title: z.string().trim().min(1).max(200), sites: z.array(z.string().min(1).max(63)).min(1).max(100) }))
    .mutation(async ({ ctx, input }) => {
      const board = await ctx.auth.access.saveBoard(input);
      await ctx.audit({ action: "board.created", target: input.slug, detail: { title: input.title, sites: input.sites } });
      return board;
    }),

  delete: adminProcedure.input(z.object({ slug })).mutation(async ({ ctx, input }) => {
    await ctx.auth.access.deleteBoard(input.slug);
    await ctx.audit({ action: "board.deleted", target: input.slug });
  }),
});
