import { z } from "zod";
import { AUDIT_ACTIONS, auditQuerySchema, type Access, type Principal } from "../../auth";
import { InvalidInputError } from "../../store/errors";
import { authedProcedure, createTRPCRouter, userProcedure } from "../trpc";
import { idCursor, pageInput, timestamp } from "./shapes";

const auditEntry = z
  .object({
    id: z.number().int().describe("The entry's id (ascending with time)"),
    at: timestamp("When it happened"),
    actor: z.string().describe("Who did it (a user, 'user (token name)', or the system)"),
    actorId: z.string().nullable().describe("The acting user's id (null: not a user)"),
    action: z.string().describe("What was done, e.g. run.requested, secret.revealed"),
    site: z.string().nullable().describe("The site it was done on (null: server-wide)"),
    target: z.string().describe("What it was done to, e.g. 'run 12' or a key path"),
    detail: z.record(z.string(), z.unknown().describe("A detail's value")).describe("More about it: names and counts, never a secret value"),
    ip: z.string().nullable().describe("The address it came from (null: unknown)"),
  })
  .describe("An audit log entry");

export const auditRouter = createTRPCRouter({
  /** Server admins read everything; site admins read the entries of their sites. */
  query: userProcedure.input(auditQuerySchema).query(async ({ ctx, input }) => {
    const p = ctx.principal;
    const sites = p.isAdmin ? undefined : await adminSites(ctx.auth.access, p);
    return { ...(await ctx.auth.audit.query(input, sites)), actions: AUDIT_ACTIONS, scope: sites ?? null };
  }),

  /** The same entries page by page: the REST list (an admin API token reads its site's entries). */
  list: authedProcedure
    .meta({
      rest: {
        method: "GET",
        path: "/audit",
        summary: "Read the audit log",
        description:
          "Audit entries, newest first, filtered, a page at a time (follow `next`). Server admins read every entry; site admins (and API tokens with the admin role) the entries of their sites; others get an empty list.",
        tags: ["audit"],
        paginated: true,
      },
    })
    .input(
      z.object({
        site: z.string().max(63).optional().describe("Only entries of this site"),
        action: z.string().max(40).optional().describe("Only this action, or with a trailing dot every action of a kind (e.g. 'run.')"),
        actor: z.string().max(100).optional().describe("Only entries whose actor contains this text"),
        text: z.string().max(200).optional().describe("Only entries whose target or detail contains this text"),
        from: z.iso.datetime({ offset: true }).optional().describe("Only entries at or after this moment (ISO 8601)"),
        to: z.iso.datetime({ offset: true }).optional().describe("Only entries at or before this moment (ISO 8601)"),
        ...pageInput,
      }),
    )
    .output(
      z
        .object({
          items: z.array(auditEntry).describe("The page's entries, newest first"),
          nextCursor: z.string().nullable().describe("The cursor of the next page (null: this is the last page)"),
        })
        .describe("A page of the audit log"),
    )
    .query(async ({ ctx, input }) => {
      const p = ctx.principal;
      const before = idCursor.decode(input.cursor, () => new InvalidInputError("cursor: not a cursor of this list (use nextCursor as given)"));
      const sites = p.kind === "user" && p.isAdmin ? undefined : await adminSites(ctx.auth.access, p);
      const time = (t: string | undefined) => (t === undefined ? undefined : Date.parse(t));
      const { entries, more } = await ctx.auth.audit.query({ ...input, from: time(input.from), to: time(input.to), before, limit: input.limit }, sites);
      return { items: entries, nextCursor: more ? idCursor.encode(entries.at(-1)!.id) : null };
    }),
});

/** The sites where the caller is an admin: site admins read the audit entries of those. */
async function adminSites(access: Access, p: Principal): Promise<string[]> {
  const readable = await access.readableSites(p);
  const roles = await Promise.all(readable.map((s) => access.roleOn(p, s)));
  return readable.filter((_, i) => roles[i] === "admin");
}
