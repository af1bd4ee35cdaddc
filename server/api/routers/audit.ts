import { AUDIT_ACTIONS, auditQuerySchema } from "../../auth";
import { createTRPCRouter, userProcedure } from "../trpc";

export const auditRouter = createTRPCRouter({
  /** Server admins read everything; site admins read the entries of their sites. */
  query: userProcedure.input(auditQuerySchema).query(({ ctx, input }) => {
    const p = ctx.principal;
    const sites = p.isAdmin ? undefined : ctx.auth.access.readableSites(p).filter((s) => ctx.auth.access.roleOn(p, s) === "admin");
    return { ...ctx.auth.audit.query(input, sites), actions: AUDIT_ACTIONS, scope: sites ?? null };
  }),
});
