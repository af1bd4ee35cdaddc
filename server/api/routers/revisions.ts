import { z } from "zod";
import { NotFoundError } from "../../store/errors";
import { createTRPCRouter, siteProcedure } from "../trpc";
import { timestamp } from "./shapes";

const revisionSummary = z
  .object({
    number: z.number().int().describe("The revision's number (1: the site's first)"),
    author: z.string().describe("Who saved it"),
    message: z.string().describe("What changed and why, as its author said"),
    createdAt: timestamp("When it was saved"),
    errors: z.number().int().describe("Lint errors in it"),
    warnings: z.number().int().describe("Lint warnings in it"),
    hosts: z.number().int().describe("Hosts in its inventory"),
  })
  .describe("A revision of the site");

export const revisionsRouter = createTRPCRouter({
  list: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/revisions",
        summary: "List a site's revisions",
        description: "Every revision of the site, newest first, with its author, message and lint counts. Viewers and above on the site.",
        tags: ["revisions"],
      },
    })
    .output(z.array(revisionSummary).describe("The revisions, newest first"))
    .query(({ ctx, input }) => ctx.sites.revisions(input.slug)),

  get: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/revisions/{revision}",
        summary: "Get one revision",
        description: "One revision's author, message and lint counts; its files are at GET /sites/{slug}/files?revision=. Viewers and above on the site.",
        tags: ["revisions"],
        etag: "number",
      },
    })
    .input(z.object({ revision: z.number().int().positive().describe("The revision's number") }))
    .output(revisionSummary)
    .query(async ({ ctx, input }) => {
      const found = (await ctx.sites.revisions(input.slug)).find((r) => r.number === input.revision);
      if (!found) throw new NotFoundError(`site '${input.slug}' has no revision ${input.revision}`);
      return found;
    }),
});
