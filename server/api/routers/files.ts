import { z } from "zod";
import { siteJsonSchema } from "../../inventory";
import { loadWithOverrides } from "../../site-cache";
import { createTRPCRouter, publicProcedure } from "../trpc";

const slug = z.string().min(1).max(63);
const change = z.object({ path: z.string().min(1).max(500), content: z.string().max(8 << 20).nullable() });

export const filesRouter = createTRPCRouter({
  /** The files of a revision (default: the newest). */
  list: publicProcedure
    .input(z.object({ slug, revision: z.number().int().positive().optional() }))
    .query(({ ctx, input }) => ctx.sites.files(input.slug, input.revision)),

  save: publicProcedure
    .input(
      z.object({
        slug,
        baseRevision: z.number().int().positive(),
        changes: z.array(change).min(1).max(1000),
        author: z.string().max(100),
        message: z.string().max(2000),
      }),
    )
    .mutation(({ ctx, input }) => {
      const { slug: site, ...request } = input;
      const saved = ctx.sites.save(site, request);
      ctx.broadcaster.siteRevision({ site, revision: saved.number, author: request.author, message: request.message });
      return saved;
    }),

  /** Diagnostics of the whole site with unsaved buffers applied: the editor's live markers. */
  lint: publicProcedure
    .input(z.object({ slug, baseRevision: z.number().int().positive().optional(), changes: z.array(change).max(1000) }))
    .query(({ ctx, input }) => loadWithOverrides(ctx.sites, input.slug, input.changes, input.baseRevision).diagnostics),

  /** The JSON Schema the editor validates against, generated from the same zod schemas as lint. */
  schema: publicProcedure.query(() => siteJsonSchema()),
});
