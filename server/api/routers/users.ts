import { z } from "zod";
import { ConflictError } from "../../store/errors";
import { adminProcedure, createTRPCRouter } from "../trpc";

const id = z.string().min(1).max(64);

export const usersRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => ctx.auth.users.list()),

  /** Without a password, the new user gets a one-time password, returned once, to change at first sign-in. */
  create: adminProcedure
    .input(z.object({ username: z.string().trim().min(1).max(32), name: z.string().trim().max(100).default(""), isAdmin: z.boolean().default(false), password: z.string().max(256).optional() }))
    .mutation(async ({ ctx, input }) => {
      const created = await ctx.auth.users.create(input);
      await ctx.audit({ action: "user.created", target: created.username, detail: { isAdmin: input.isAdmin } });
      return created;
    }),

  update: adminProcedure
    .input(z.object({ id, isAdmin: z.boolean().optional(), disabled: z.boolean().optional(), name: z.string().trim().min(1).max(100).optional() }))
    .mutation(async ({ ctx, input }) => {
      const { id: userId, ...change } = input;
      if (userId === ctx.principal.userId && (change.disabled === true || change.isAdmin === false)) throw new ConflictError("you cannot disable yourself or drop your own admin rights; ask another admin");
      const result = await ctx.auth.users.update(userId, change);
      await ctx.audit({ action: "user.updated", target: result.username, detail: { from: result.before, to: change } });
    }),

  /** A new one-time password (returned once); the user's sessions end. */
  resetPassword: adminProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
    const password = await ctx.auth.users.resetPassword(input.id);
    const username = (await ctx.auth.access.user(input.id))?.username ?? input.id;
    await ctx.audit({ action: "user.updated", target: username, detail: { passwordReset: true } });
    return { oneTimePassword: password };
  }),
});
