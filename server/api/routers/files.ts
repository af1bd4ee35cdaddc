import { z } from "zod";
import { actorName } from "../../auth";
import { siteJsonSchema } from "../../inventory";
import { loadWithOverrides } from "../../site-cache";
import { authedProcedure, createTRPCRouter, siteProcedure } from "../trpc";

const change = z.object({ path: z.string().min(1).max(500), content: z.string().max(8 << 20).nullable() });

export const filesRouter = createTRPCRouter({
  /** The files of a revision (default: the newest). */
  list: siteProcedure("viewer")
    .input(z.object({ revision: z.number().int().positive().optional() }))
    .query(({ ctx, input }) => ctx.sites.files(input.slug, input.revision)),

  save: siteProcedure("operator")
    .input(z.object({ baseRevision: z.number().int().positive(), changes: z.array(change).min(1).max(1000), message: z.string().max(2000) }))
    .mutation(({ ctx, input }) => {
      const author = actorName(ctx.principal);
      const saved = ctx.sites.save(input.slug, { baseRevision: input.baseRevision, changes: input.changes, author, message: input.message });
      ctx.audit({ action: "document.saved", site: input.slug, target: `revision ${saved.number}`, detail: { message: input.message, files: input.changes.map((c) => ({ path: c.path, deleted: c.content === null })) } });
      ctx.broadcaster.siteRevision({ site: input.slug, revision: saved.number, author, message: input.message });
      return saved;
    }),

  /** Diagnostics of the whole site with unsaved buffers applied (and what this server refuses): the editor's live markers. */
  lint: siteProcedure("viewer")
    .input(z.object({ baseRevision: z.number().int().positive().optional(), changes: z.array(change).max(1000) }))
    .query(({ ctx, input }) => loadWithOverrides(ctx.sites, input.slug, input.changes, input.baseRevision, ctx.runner.sitePolicy(input.slug)).diagnostics),

  /** The JSON Schema the editor validates against, generated from the same zod schemas as lint. */
  schema: authedProcedure.query(() => siteJsonSchema()),
});
