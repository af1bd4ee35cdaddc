import { z } from "zod";
import { roleSchema } from "../../auth";
import { adminProcedure, createTRPCRouter, userProcedure } from "../trpc";

const name = z.string().trim().min(1).max(100);

export const tokensRouter = createTRPCRouter({
  /** The caller's tokens (every token for a server admin). Never a token's value or hash. */
  list: userProcedure.query(({ ctx }) => ctx.auth.access.tokens(ctx.principal)),

  /** An API token with a role on one site; its value is returned once and stored only as a hash. */
  create: userProcedure
    .input(z.object({ name, site: z.string().min(1).max(63), role: roleSchema, expiresInDays: z.number().int().min(1).max(3650).optional() }))
    .mutation(async ({ ctx, input }) => {
      const created = await ctx.auth.access.createApiToken(ctx.principal, input);
      await ctx.audit({ action: "token.created", site: input.site, target: input.name, detail: { kind: "api", role: input.role, prefix: created.prefix, expiresInDays: input.expiresInDays ?? null } });
      return created;
    }),

  createKiosk: adminProcedure.input(z.object({ name, board: z.string().min(1).max(63) })).mutation(async ({ ctx, input }) => {
    const created = await ctx.auth.access.createKioskToken(ctx.principal, input);
    await ctx.audit({ action: "token.created", target: input.name, detail: { kind: "kiosk", board: input.board, prefix: created.prefix } });
    return created;
  }),

  revoke: userProcedure.input(z.object({ id: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    const revoked = await ctx.auth.access.revokeToken(ctx.principal, input.id);
    await ctx.audit({ action: "token.revoked", target: revoked.name, detail: { kind: revoked.kind, prefix: revoked.prefix } });
  }),
});
