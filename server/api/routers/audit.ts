import { AUDIT_ACTIONS, auditQuerySchema, type Access, type Principal } from "../../auth";
import { createTRPCRouter, userProcedure } from "../trpc";

export const auditRouter = createTRPCRouter({
  /** Server admins read everything; site admins read the entries of their sites. */
  query: userProcedure.input(auditQuerySchema).query(async ({ ctx, input }) => {
    const p = ctx.principal;
    const sites = p.isAdmin ? undefined : await adminSites(ctx.auth.access, p);
    return { ...(await ctx.auth.audit.query(input, sites)), actions: AUDIT_ACTIONS, scope: sites ?? null };
  }),
});

/** The sites where the caller is an admin: site admins read the audit entries of those. */
async function adminSites(access: Access, p: Principal): Promise<string[]> {
  const readable = await access.readableSites(p);
  const roles = await Promise.all(readable.map((s) => access.roleOn(p, s)));
  return readable.filter((_, i) => roles[i] === "admin");
}
