import { z } from "zod";
import { actorName } from "../../auth";
import { siteJsonSchema } from "../../inventory";
import { SITE_LIMITS } from "../../limits";
import { lintCounts, lintSite, savedFiles, withChanges } from "../../site-checks";
import { authedProcedure, createTRPCRouter, siteProcedure } from "../trpc";

// The request body is bounded (TRPC_BODY_BYTES); sizes per file and per site are checked on the files as they
// would be (SITE_LIMITS), by lintSite and lintCounts, with messages that name the file.
const change = z.object({ path: z.string().min(1).max(SITE_LIMITS.pathLength), content: z.string().nullable() });
const changes = z.array(change).max(SITE_LIMITS.files);

export const filesRouter = createTRPCRouter({
  /** The files of a revision (default: the newest). */
  list: siteProcedure("viewer")
    .input(z.object({ revision: z.number().int().positive().optional() }))
    .query(({ ctx, input }) => ctx.sites.files(input.slug, input.revision)),

  save: siteProcedure("operator")
    .input(z.object({ baseRevision: z.number().int().positive(), changes: changes.min(1), message: z.string().max(2000) }))
    .mutation(async ({ ctx, input }) => {
      const author = actorName(ctx.principal);
      // Checked off the event loop first; a stale base is left to the store to refuse (a conflict), unchecked.
      const stale = (await ctx.sites.head(input.slug)) !== input.baseRevision;
      const lint = stale ? undefined : await lintCounts(ctx.env, await savedFiles(ctx.sites, input.slug, input.baseRevision, input.changes), ctx.principal.userId, await ctx.runner.sitePolicy(input.slug));
      const saved = await ctx.sites.save(input.slug, { baseRevision: input.baseRevision, changes: input.changes, author, message: input.message, lint });
      await ctx.audit({ action: "document.saved", site: input.slug, target: `revision ${saved.number}`, detail: { message: input.message, files: input.changes.map((c) => ({ path: c.path, deleted: c.content === null })) } });
      ctx.broadcaster.siteRevision({ site: input.slug, revision: saved.number, author, message: input.message });
      return saved;
    }),

  /** Diagnostics of the whole site with unsaved buffers applied (and what this server refuses): the editor's live markers. */
  lint: siteProcedure("viewer")
    .input(z.object({ baseRevision: z.number().int().positive().optional(), changes }))
    .query(async ({ ctx, input }) => {
      const files = withChanges((await ctx.sites.files(input.slug, input.baseRevision)).files, input.changes);
      return lintSite(ctx.env, files, ctx.principal.userId, await ctx.runner.sitePolicy(input.slug));
    }),

  /** The JSON Schema the editor validates against, generated from the same zod schemas as lint. */
  schema: authedProcedure.query(() => siteJsonSchema()),
});
