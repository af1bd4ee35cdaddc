import { z } from "zod";
import { NAME_PATTERN } from "../../inventory/schemas";
import { adminProcedure, createTRPCRouter } from "../trpc";

const slug = z.string().min(1).max(63).regex(NAME_PATTERN, "letters, digits, '.', '_' or '-'");

export const boardsRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => ctx.auth.access.boards()),

  save: adminProcedure
    .input(z.object({ slug, title: z.string().trim().min(1).max(200), sites: z.array(z.string().min(1).max(63)).min(1).max(100) }))
    .mutation(({ ctx, input }) => {
      const board = ctx.auth.access.saveBoard(input);
      ctx.audit({ action: "board.created", target: input.slug, detail: { title: input.title, sites: input.sites } });
      return board;
    }),

  delete: adminProcedure.input(z.object({ slug })).mutation(({ ctx, input }) => {
    ctx.auth.access.deleteBoard(input.slug);
    ctx.audit({ action: "board.deleted", target: input.slug });
  }),
});
