import { z } from "zod";
import { ROLE_DESCRIPTIONS, ROLES, roleSchema } from "../../auth";
import { authedProcedure, createTRPCRouter, siteProcedure } from "../trpc";

export const membersRouter = createTRPCRouter({
  /** The roles, lowest first, each with what it allows (for role pickers). */
  roles: authedProcedure.query(() => ROLES.map((role) => ({ role, description: ROLE_DESCRIPTIONS[role] }))),

  list: siteProcedure("admin").query(async ({ ctx, input }) => ({
    members: await ctx.auth.access.members(input.slug),
    // Everyone a site admin could add: names only.
    users: (await ctx.auth.users.list()).filter((u) => !u.disabled).map((u) => ({ id: u.id, username: u.username, name: u.name, isAdmin: u.isAdmin })),
  })),

  /** Give a user a role on the site, or with `role: null` take it away. */
  set: siteProcedure("admin")
    .input(z.object({ userId: z.string().min(1).max(64), role: roleSchema.nullable() }))
    .mutation(async ({ ctx, input }) => {
      const previous = await ctx.auth.access.setRole(input.slug, input.userId, input.role);
      const username = (await ctx.auth.access.user(input.userId))?.username ?? input.userId;
      await ctx.audit({ action: "role.changed", site: input.slug, target: username, detail: { from: previous, to: input.role } });
    }),
});
