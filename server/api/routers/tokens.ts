import { z } from "zod";
import { roleSchema } from "../../auth";
import { adminProcedure, createTRPCRouter, userProcedure, type Context } from "../trpc";
import { InvalidInputError } from "../../errors";
import { idCursor, pageInput, roleField, timestamp } from "./shapes";

const name = z.string().trim().min(1).max(100);
const scopeSlug = z.string().min(1).max(63);

const tokenSchema = z.object({
  id: z.number().int().describe("The token's id, as in DELETE /tokens/{id}"),
  kind: z.enum(["api", "kiosk"]).describe("`api`: acts for its owner on a site or a project; `kiosk`: reads one kiosk board"),
  name: z.string().describe("The token's name, given at creation"),
  prefix: z.string().describe("The token's first characters, to tell tokens apart (never the whole token)"),
  owner: z.string().nullable().describe("The owner's sign-in name"),
  userId: z.string().describe("The owner's user id"),
  site: z.string().nullable().describe("The site a site-scoped api token acts on (null otherwise)"),
  project: z.string().nullable().describe("The project a project-scoped api token acts on, on every site of it (null otherwise)"),
  role: roleField("The most the token may do there").nullable().describe("The most the token may do on its site or project, never more than its owner still has (null for kiosk tokens)"),
  board: z.string().nullable().describe("The kiosk board a kiosk token reads (null otherwise)"),
  createdAt: timestamp("When the token was created"),
  expiresAt: timestamp("When the token stops working").nullable().describe("When the token stops working (null: never)"),
  lastUsedAt: timestamp("When the token was last used (to the minute)").nullable().describe("When the token was last used, to the minute (null: never)"),
  revokedAt: timestamp("When the token was revoked").nullable().describe("When the token was revoked (null: it is not)"),
});

const createdSchema = z.object({
  id: z.number().int().describe("The new token's id"),
  token: z.string().describe("The token itself, shown this once: send it as `Authorization: Bearer <token>`"),
  prefix: z.string().describe("Its first characters, as lists show them"),
});

type StoredToken = Awaited<ReturnType<Context["auth"]["access"]["tokens"]>>[number];
const tokenRow = (t: StoredToken) => ({ ...t, kind: t.kind === "kiosk" ? ("kiosk" as const) : ("api" as const), role: t.role === null ? null : roleSchema.parse(t.role) });

export const tokensRouter = createTRPCRouter({
  /** The caller's tokens (every token for a server admin). Never a token's value or hash. */
  list: userProcedure
    .input(z.object({}).optional())
    .output(z.array(tokenSchema).describe("The tokens, newest first"))
    .query(async ({ ctx }) => (await ctx.auth.access.tokens(ctx.principal)).map(tokenRow)),

  /** `list` a page at a time, for REST (the dashboard keeps the array). Few tokens: paged here, newest (highest id) first. */
  page: userProcedure
    .meta({
      rest: {
        method: "GET",
        path: "/tokens",
        summary: "List your tokens",
        description: "A page of the signed-in user's tokens, newest first (a server admin sees every user's). Never a token's value or hash. Needs a signed-in user, not an API token.",
        tags: ["tokens"],
        paginated: true,
      },
    })
    .input(z.object({ ...pageInput }))
    .output(
      z
        .object({
          items: z.array(tokenSchema).describe("The page's tokens, newest first"),
          nextCursor: z.string().nullable().describe("The cursor of the next page (null on the last page)"),
        })
        .describe("A page of tokens"),
    )
    .query(async ({ ctx, input }) => {
      const before = idCursor.decode(input.cursor, () => new InvalidInputError("cursor: not a cursor of this list (use the nextCursor of the previous page)"));
      const rest = (await ctx.auth.access.tokens(ctx.principal)).filter((t) => before === undefined || t.id < before).sort((a, b) => b.id - a.id);
      const items = rest.slice(0, input.limit).map(tokenRow);
      return { items, nextCursor: rest.length > input.limit ? idCursor.encode(items.at(-1)!.id) : null };
    }),

  /** An API token with a role on one site or on every site of one project; its value is returned once and stored only as a hash. */
  create: userProcedure
    .meta({
      rest: {
        method: "POST",
        path: "/tokens",
        summary: "Create an API token",
        description:
          "A token acting for the caller with `role` on one `site`, or on every site of one `project` (give exactly one), never more than the caller holds there (on a project: their role on the project itself) nor more than they still hold when it is used. The value is returned once and stored as a hash. Needs a signed-in user.",
        tags: ["tokens"],
        status: 201,
      },
    })
    .input(
      z.object({
        name: name.describe("A name to tell the token apart, e.g. `ci`"),
        site: scopeSlug.optional().describe("The site it acts on (or give `project`)"),
        project: scopeSlug.optional().describe("The project on whose every site it acts (or give `site`)"),
        role: roleSchema.describe("The most it may do there"),
        expiresInDays: z.number().int().min(1).max(3650).optional().describe("Days until it stops working (omit: never)"),
      }),
    )
    .output(createdSchema)
    .mutation(async ({ ctx, input }) => {
      const created = await ctx.auth.access.createApiToken(ctx.principal, input);
      await ctx.audit({
        action: "token.created",
        site: input.site ?? null,
        target: input.name,
        detail: { kind: "api", ...(input.project !== undefined && { project: input.project }), role: input.role, prefix: created.prefix, expiresInDays: input.expiresInDays ?? null },
      });
      return created;
    }),

  createKiosk: adminProcedure.input(z.object({ name, board: z.string().min(1).max(63) })).mutation(async ({ ctx, input }) => {
    const created = await ctx.auth.access.createKioskToken(ctx.principal, input);
    await ctx.audit({ action: "token.created", target: input.name, detail: { kind: "kiosk", board: input.board, prefix: created.prefix } });
    return created;
  }),

  revoke: userProcedure
    .meta({
      rest: {
        method: "DELETE",
        path: "/tokens/{id}",
        summary: "Revoke a token",
        description: "The token stops working at once. Its owner or a server admin; anyone else's token is not found (404), an already revoked one is a conflict (409).",
        tags: ["tokens"],
        status: 204,
      },
    })
    .input(z.object({ id: z.number().int().positive().describe("The token's id") }))
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      const revoked = await ctx.auth.access.revokeToken(ctx.principal, input.id);
      await ctx.audit({ action: "token.revoked", target: revoked.name, detail: { kind: revoked.kind, prefix: revoked.prefix } });
    }),
});
