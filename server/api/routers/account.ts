import { z } from "zod";
import { createTRPCRouter, passwordChangeProcedure, publicProcedure } from "../trpc";

export const accountRouter = createTRPCRouter({
  /** Who is signed in (null: nobody), for the top bar and for hiding what the caller cannot do. */
  me: publicProcedure.query(({ ctx }) => {
    const p = ctx.principal;
    if (p.kind === "user") return { kind: p.kind, username: p.username, isAdmin: p.isAdmin, mustChangePassword: p.mustChangePassword };
    if (p.kind === "token") return { kind: p.kind, username: p.username, isAdmin: false, mustChangePassword: false };
    return null;
  }),

  changePassword: passwordChangeProcedure
    .input(z.object({ current: z.string().min(1).max(256), next: z.string().min(1).max(256) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.auth.users.changeOwnPassword(ctx.principal.userId, input.current, input.next);
      await ctx.audit({ action: "password.changed", target: ctx.principal.username });
    }),
});
