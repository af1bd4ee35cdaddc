import { z } from "zod";
import { actorName, type Principal } from "../../auth";
import { errorCode, InvalidInputError, PreconditionFailedError } from "../../errors";
import { siteJsonSchema } from "../../inventory";
import { SITE_LIMITS } from "../../limits";
import { lintCounts, lintSite, savedFiles, withChanges } from "../../site-checks";
import { NotFoundError } from "../../store/errors";
import type { FileChange } from "../../store/types";
import { authedProcedure, createTRPCRouter, siteProcedure, type Context } from "../trpc";
import { pageInput, savedRevisionSchema } from "./shapes";

// The request body is bounded (TRPC_BODY_BYTES); sizes per file and per site are checked on the files as they
// would be (SITE_LIMITS), by lintSite and lintCounts, with messages that name the file.
const filePath = z.string().min(1).max(SITE_LIMITS.pathLength).describe("The file's path in the site, e.g. inventory.yml or group_vars/all.yml");
const change = z.object({ path: filePath, content: z.string().nullable().describe("The file's new text (null: delete the file)") }).describe("One file written or deleted");
const changes = z.array(change).max(SITE_LIMITS.files);
const revisionNumber = z.number().int().positive();
const baseRevision = revisionNumber.describe("The revision the change was made on (the If-Match header): it must still be the newest, or nothing is saved (412)");
const message = z.string().max(2000).describe("The revision's message: what changed and why");

const siteFile = z.object({ path: filePath, content: z.string().describe("The file's text") }).describe("A file of the site");
/** What a save wrote; `revision` (the ETag) beside the dashboard's `number`. */
export const savedOutput = savedRevisionSchema.extend({ revision: z.number().int().describe("The new revision's number (also its ETag)") }).describe("The revision saved");

/** The store refuses a save on a base that is no longer the newest as a conflict: with If-Match it is a failed precondition. */
export function staleAsPrecondition(e: unknown): never {
  if (errorCode(e) === "CONFLICT") throw new PreconditionFailedError((e as Error).message);
  throw e;
}

/**
 * Saves `changes` on top of `baseRevision` as one revision by the caller: linted off the event loop, audited,
 * broadcast. A base that is no longer the newest is a failed precondition (412 with If-Match), not a conflict.
 */
async function saveChanges(ctx: Context & { principal: Extract<Principal, { userId: string }> }, slug: string, input: { baseRevision: number; changes: FileChange[]; message: string }) {
  const author = actorName(ctx.principal);
  // Checked off the event loop first; a stale base is left to the store to refuse, unchecked.
  const stale = (await ctx.sites.head(slug)) !== input.baseRevision;
  const lint = stale ? undefined : await lintCounts(ctx.env, await savedFiles(ctx.sites, slug, input.baseRevision, input.changes), ctx.principal.userId, await ctx.runner.sitePolicy(slug));
  const saved = await ctx.sites.save(slug, { baseRevision: input.baseRevision, changes: input.changes, author, message: input.message, lint }).catch(staleAsPrecondition);
  await ctx.audit({ action: "document.saved", site: slug, target: `revision ${saved.number}`, detail: { message: input.message, files: input.changes.map((c) => ({ path: c.path, deleted: c.content === null })) } });
  ctx.broadcaster.siteRevision({ site: slug, revision: saved.number, author, message: input.message });
  return { ...saved, revision: saved.number };
}

export const filesRouter = createTRPCRouter({
  /** The files of a revision (default: the newest). */
  list: siteProcedure("viewer")
    .input(z.object({ revision: revisionNumber.optional().describe("The revision (default: the newest)") }))
    .output(z.object({ revision: z.number().int().describe("The revision's number"), files: z.array(siteFile).describe("The files, in path order") }).describe("A revision's files"))
    .query(({ ctx, input }) => ctx.sites.files(input.slug, input.revision)),

  /**
   * `list` a page at a time, for REST (the editor keeps the whole revision). Contents stay in; pages go by path.
   * The cursor pins the revision of the first page, so a save meanwhile does not mix two revisions.
   */
  page: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/files",
        summary: "List a revision's files with their text",
        description: "A page of the files of a revision (default: the newest), in path order, with their text; every page of one listing is of the same revision. The ETag is the revision's number. Viewers and above on the site.",
        tags: ["files"],
        etag: "revision",
        paginated: true,
      },
    })
    .input(
      z.object({
        revision: revisionNumber.optional().describe("The revision (default: the newest)"),
        ...pageInput,
        // Longer than other lists' cursors: it carries a path (up to SITE_LIMITS.pathLength characters).
        cursor: z.string().max(2 * SITE_LIMITS.pathLength).optional().describe("Where the page starts: the nextCursor of the previous page (omit for the first page)"),
      }),
    )
    .output(
      z
        .object({
          revision: z.number().int().describe("The revision's number (also the ETag)"),
          items: z.array(siteFile).describe("The page's files, in path order"),
          nextCursor: z.string().nullable().describe("The cursor of the next page (null on the last page)"),
        })
        .describe("A page of a revision's files"),
    )
    .query(async ({ ctx, input }) => {
      const at = fileCursor.decode(input.cursor);
      const { revision, files } = await ctx.sites.files(input.slug, at?.revision ?? input.revision);
      const rest = files.filter((f) => at === undefined || f.path > at.path).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const items = rest.slice(0, input.limit);
      return { revision, items, nextCursor: rest.length > input.limit ? fileCursor.encode(revision, items.at(-1)!.path) : null };
    }),

  /** One file of a revision (default: the newest). */
  get: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/files/{path}",
        summary: "Read one file",
        description:
          "One file's text at a revision (default: the newest); a path with folders has its slashes encoded (%2F). The ETag is the revision's number: send it back as If-Match to write the file. Viewers and above on the site.",
        tags: ["files"],
        etag: "revision",
      },
    })
    .input(z.object({ path: filePath, revision: revisionNumber.optional().describe("The revision (default: the newest)") }))
    .output(siteFile.extend({ revision: z.number().int().describe("The revision the text is from") }).describe("One file at a revision"))
    .query(async ({ ctx, input }) => {
      const { revision, files } = await ctx.sites.files(input.slug, input.revision);
      const file = files.find((f) => f.path === input.path);
      if (!file) throw new NotFoundError(`site '${input.slug}' has no file '${input.path}' at revision ${revision}`);
      return { ...file, revision };
    }),

  /** Writes one file as a new revision, on top of the revision given as If-Match. */
  put: siteProcedure("operator")
    .meta({
      rest: {
        method: "PUT",
        path: "/sites/{slug}/files/{path}",
        summary: "Write one file",
        description:
          "Creates or replaces one file as a new revision by the caller. If-Match must name the newest revision (the ETag of what was read): otherwise nothing is saved and the answer is 412. Operators and above on the site.",
        tags: ["files"],
        ifMatch: "baseRevision",
        etag: "revision",
      },
    })
    .input(z.object({ path: filePath, baseRevision, content: z.string().describe("The file's new text"), message: message.default("") }))
    .output(savedOutput)
    .mutation(({ ctx, input }) => saveChanges(ctx, input.slug, { baseRevision: input.baseRevision, changes: [{ path: input.path, content: input.content }], message: input.message || `Wrote ${input.path}` })),

  /** Deletes one file as a new revision, on top of the revision given as If-Match. */
  delete: siteProcedure("operator")
    .meta({
      rest: {
        method: "DELETE",
        path: "/sites/{slug}/files/{path}",
        summary: "Delete one file",
        description: "Deletes one file as a new revision by the caller. If-Match must name the newest revision, or nothing is saved (412); a file that is not there is not found (404). Operators and above on the site.",
        tags: ["files"],
        ifMatch: "baseRevision",
        etag: "revision",
      },
    })
    .input(z.object({ path: filePath, baseRevision, message: message.default("") }))
    .output(savedOutput)
    .mutation(({ ctx, input }) => saveChanges(ctx, input.slug, { baseRevision: input.baseRevision, changes: [{ path: input.path, content: null }], message: input.message || `Deleted ${input.path}` })),

  save: siteProcedure("operator")
    .meta({
      rest: {
        method: "POST",
        path: "/sites/{slug}/revisions",
        summary: "Save a revision (several files at once)",
        description:
          "Writes and deletes files as one new revision by the caller, atomically. If-Match must name the newest revision: otherwise nothing is saved and the answer is 412. Operators and above on the site.",
        tags: ["revisions"],
        status: 201,
        ifMatch: "baseRevision",
        etag: "revision",
      },
    })
    .input(z.object({ baseRevision, changes: changes.min(1).describe("The files written or deleted (at least one)"), message }))
    .output(savedOutput)
    .mutation(({ ctx, input }) => saveChanges(ctx, input.slug, input)),

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

/** An opaque cursor over a revision's files: the revision and the last path of the previous page. */
const fileCursor = {
  encode: (revision: number, path: string): string => Buffer.from(`file:${revision}:${path}`).toString("base64url"),
  decode(cursor: string | undefined): { revision: number; path: string } | undefined {
    if (cursor === undefined) return undefined;
    const m = /^file:(\d{1,15}):(.+)$/s.exec(Buffer.from(cursor, "base64url").toString());
    if (!m) throw new InvalidInputError("cursor: not a cursor of this list (use the nextCursor of the previous page)");
    return { revision: Number(m[1]), path: m[2]! };
  },
};
