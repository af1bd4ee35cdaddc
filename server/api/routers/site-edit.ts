/**
 * What the routers that edit the site's YAML (hosts, groups, vars) share: their common fields and output, and
 * `saveEdit`, which lints, saves, audits and broadcasts one edit.
 */
import { z } from "zod";
import { actorName, type AuditAction, type Principal } from "../../auth";
import { errorCode, InvalidInputError, PreconditionFailedError } from "../../errors";
import type { Diagnostic, Site } from "../../inventory";
import type { SiteEdit } from "../../inventory/edit";
import { lintCounts, lintSite, withChanges } from "../../site-checks";
import { loadRevision } from "../../site-cache";
import type { Context } from "../trpc";

export const slugField = z.string().min(1).max(63).describe("The site's slug");
export const revisionField = z.number().int().positive().optional().describe("A revision number (default: the newest)");
export const baseRevisionField = z
  .number()
  .int()
  .positive()
  .optional()
  .describe("The revision the change is made on (the If-Match header; default: the newest). A revision that is no longer the newest is refused (412) and nothing is saved");

export const editOutput = z
  .object({
    revision: z.number().int().describe("The new revision's number (also its ETag); the unchanged head when the change changed nothing"),
    changed: z.boolean().describe("Whether a revision was saved (false when the files already said so)"),
    message: z.string().describe("The revision's message, naming the change"),
    files: z.array(z.string().describe("A site file path")).describe("The files the change edited"),
    errors: z.number().int().describe("Lint errors in the new revision (never more than before the change)"),
    warnings: z.number().int().describe("Lint warnings in the new revision"),
  })
  .describe("The revision the change saved");

type Writer = Context & { principal: Extract<Principal, { userId: string }> };

const errorKey = (d: Diagnostic) => `${d.file}\0${d.message}`;

/** Errors in `after` that `before` did not have (positions move with an edit: compared by file and message). */
function newErrors(before: readonly Diagnostic[], after: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Map<string, number>();
  for (const d of before) if (d.severity === "error") seen.set(errorKey(d), (seen.get(errorKey(d)) ?? 0) + 1);
  return after.filter((d) => {
    if (d.severity !== "error") return false;
    const left = seen.get(errorKey(d)) ?? 0;
    seen.set(errorKey(d), left - 1);
    return left <= 0;
  });
}

/**
 * One edit of the site's YAML saved as a revision by the caller, as files.save does: on the base revision
 * (If-Match; stale: 412), refused with nothing saved when it adds a lint error, audited and broadcast.
 */
export async function saveEdit(ctx: Writer, slug: string, baseRevision: number | undefined, audit: { action: AuditAction; target: string }, make: (site: Site) => SiteEdit) {
  const head = await ctx.sites.head(slug);
  const base = baseRevision ?? head;
  if (base !== head) throw new PreconditionFailedError(`revision ${base} is not the newest of site '${slug}' (${head} is): read it again and retry`);
  const { site } = await loadRevision(ctx.sites, slug, base);
  const edit = make(site);
  if (!edit.changes.length) return { revision: head, changed: false, message: edit.message, files: [], errors: errorCount(site, "error"), warnings: errorCount(site, "warning") };
  const files = withChanges(site.files, edit.changes);
  // Linted as the editor lints (off the event loop, with what this server refuses: a host made `transport: local`
  // where local steps may not run is an error), before and after, so only what the edit adds counts.
  const policy = await ctx.runner.sitePolicy(slug);
  const [before, after, lint] = await Promise.all([
    lintSite(ctx.env, [...site.files], ctx.principal.userId, policy),
    lintSite(ctx.env, files, ctx.principal.userId, policy),
    lintCounts(ctx.env, files, ctx.principal.userId, policy),
  ]);
  const added = newErrors(before, after);
  if (added.length) {
    const listed = added.slice(0, 5).map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`).join("; ");
    throw new InvalidInputError(`${edit.message} would add ${added.length} lint error${added.length === 1 ? "" : "s"}, nothing saved: ${listed}${added.length > 5 ? "; …" : ""}`);
  }
  const author = actorName(ctx.principal);
  const saved = await ctx.sites.save(slug, { baseRevision: base, changes: edit.changes, author, message: edit.message, lint }).catch((e: unknown) => {
    // Another writer saved between our check and the store's: the same failed precondition.
    throw errorCode(e) === "CONFLICT" ? new PreconditionFailedError((e as Error).message) : e;
  });
  const paths = edit.changes.map((c) => c.path);
  await ctx.audit({ action: audit.action, site: slug, target: audit.target, detail: { revision: saved.number, message: edit.message, files: paths } });
  ctx.broadcaster.siteRevision({ site: slug, revision: saved.number, author, message: edit.message });
  return { revision: saved.number, changed: true, message: edit.message, files: paths, errors: saved.errors, warnings: saved.warnings };
}

function errorCount(site: Site, severity: Diagnostic["severity"]): number {
  return site.diagnostics.filter((d) => d.severity === severity).length;
}

