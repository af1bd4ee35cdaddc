import { z } from "zod";
import { InvalidInputError, NotFoundError } from "../../store/errors";
import { createTRPCRouter, siteProcedure } from "../trpc";
import { idCursor, pageInput, timestamp } from "./shapes";

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
    .output(z.array(revisionSummary).describe("The revisions, newest first"))
    .query(({ ctx, input }) => ctx.sites.revisions(input.slug)),

  /** `list` a page at a time, for REST (the dashboard's history keeps the array). The store has no cursor query: paged here. */
  page: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/revisions",
        summary: "List a site's revisions",
        description: "A page of the site's revisions, newest first, with its author, message and lint counts. Viewers and above on the site.",
        tags: ["revisions"],
        paginated: true,
      },
    })
    .input(z.object({ ...pageInput }))
    .output(
      z
        .object({
          items: z.array(revisionSummary).describe("The page's revisions, newest first"),
          nextCursor: z.string().nullable().describe("The cursor of the next page (null on the last page)"),
        })
        .describe("A page of revisions"),
    )
    .query(async ({ ctx, input }) => {
      const before = idCursor.decode(input.cursor, () => new InvalidInputError("cursor: not a cursor of this list (use the nextCursor of the previous page)"));
      const rest = (await ctx.sites.revisions(input.slug)).filter((r) => before === undefined || r.number < before).sort((a, b) => b.number - a.number);
      const items = rest.slice(0, input.limit);
      return { items, nextCursor: rest.length > input.limit ? idCursor.encode(items.at(-1)!.number) : null };
    }),

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
