/**
 * Sites and their revisions: the rules every store implementation shares (what a slug and a path may be, how
 * files are normalised, how a save applies its changes, the lint counts a revision keeps). Every save writes one
 * new revision holding the full file list, atomically: a failed save leaves nothing behind. Saves name the
 * revision they were based on, so two editors can never silently overwrite each other. The queries are in
 * store/sqlite/sites.ts and store/pg/sites.ts.
 */
import { createHash } from "node:crypto";
import { loadSite, SITE_FILE_RULE, siteFileKind, type SiteFile } from "../inventory";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";
import type { CreateSiteRequest, FileChange, LintCounts } from "./types";

export type { FileChange, LintCounts, RevisionSummary, SaveRequest, SavedRevision, SiteStore, SiteSummary } from "./types";

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function validSlug(slug: string): boolean {
  return SLUG.test(slug);
}

/** A new site's slug, checked (InvalidInputError names the rule). */
export function checkSlug(slug: string): string {
  if (!validSlug(slug)) throw new InvalidInputError(`'${slug}' is not a valid site id (lowercase letters, digits and '-', up to 63)`);
  return slug;
}

// In a `u` regex a surrogate pair is one code point, so this matches only a half pair: text that no UTF-8 encodes.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Normalised, relative, forward-slash paths of site files (documents and Ansible content: site-files.ts); nothing
 * that could escape the site directory, and nothing an archive or a file system would write differently (control
 * characters such as NUL, broken UTF-16).
 */
export function checkPath(path: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(path) || LONE_SURROGATE.test(path)) {
    throw new InvalidInputError(`${JSON.stringify(path)} is not a valid site file path: it holds a control character or is not valid Unicode`);
  }
  const p = path.replace(/\\/g, "/").replace(/^\.\//, "");
  if (!p || p.startsWith("/") || p.split("/").some((s) => s === ".." || s === "." || s === "") || siteFileKind(p) === null) {
    throw new InvalidInputError(`'${path}' is not a valid site file path (${SITE_FILE_RULE})`);
  }
  return p;
}

/** A site's files checked and normalised for storing (InvalidInputError for a bad path, a path twice or invalid text). */
export function normalise(files: SiteFile[]): SiteFile[] {
  const seen = new Set<string>();
  return files.map((f) => {
    const path = checkPath(f.path);
    if (seen.has(path)) throw new InvalidInputError(`'${path}' appears twice`);
    seen.add(path);
    return { path, content: checkText(path, f.content) };
  });
}

/** A save's changes checked (before any transaction): paths normalised, texts valid, at least one. */
export function checkChanges(changes: FileChange[]): FileChange[] {
  if (!changes.length) throw new InvalidInputError("nothing to save: no file changed");
  return changes.map((c) => ({ path: checkPath(c.path), content: c.content === null ? null : checkText(c.path, c.content) }));
}

/** The conflict of a save based on an older revision than the head. */
export function checkBase(head: { number: number; author: string }, baseRevision: number) {
  if (head.number !== baseRevision) {
    throw new ConflictError(`revision ${head.number} was saved by ${head.author} since you started editing revision ${baseRevision}; reload to merge their changes`);
  }
}

/** The files of the next revision: the head's with `changes` applied (NotFoundError deleting a file that is not there). */
export function applyChanges(head: readonly SiteFile[], changes: readonly FileChange[]): SiteFile[] {
  const files = new Map(head.map((f) => [f.path, f.content]));
  for (const c of changes) {
    if (c.content === null) {
      if (!files.delete(c.path)) throw new NotFoundError(`no file '${c.path}' to delete`);
    } else files.set(c.path, c.content);
  }
  return [...files].map(([path, content]) => ({ path, content }));
}

export function siteExists(slug: string): ConflictError {
  return new ConflictError(`a site '${slug}' already exists`);
}

export function noSite(slug: string): NotFoundError {
  return new NotFoundError(`no site '${slug}'`);
}

export function noRevision(slug: string, number: number | undefined): NotFoundError {
  return new NotFoundError(`site '${slug}' has no revision ${number}`);
}

/** A new site's input checked before any transaction. */
export function checkCreate(input: CreateSiteRequest): SiteFile[] {
  checkSlug(input.slug);
  return normalise(input.files);
}

/** What a new revision row holds besides its site and files: the author and message defaulted, the lint counted. */
export function revisionRow(number: number, files: SiteFile[], author: string, message: string, counts?: LintCounts) {
  const { errors, warnings, hosts } = counts ?? lintCounts(files);
  return { number, author: author.trim() || "unknown", message: message.trim() || `revision ${number}`, createdAt: new Date(), errors, warnings, hosts };
}

/** The content address of a file: sha256 hex. */
export function blobHash(content: string): string {
  return createHash("sha256").update(content).digest("hex");
}

export function lintCounts(files: SiteFile[]): LintCounts {
  const site = loadSite(files);
  const errors = site.diagnostics.filter((d) => d.severity === "error").length;
  return { errors, warnings: site.diagnostics.length - errors, hosts: site.model.hosts.size };
}

/**
 * A file's text must be what it will be stored and exported as: a lone UTF-16 surrogate (how invalid UTF-8 or a
 * bad `\\udc80` escape arrives) would be written as U+FFFD, silently changing the file. Archive import refuses
 * invalid UTF-8 the same way.
 */
function checkText(path: string, content: string): string {
  if (LONE_SURROGATE.test(content)) throw new InvalidInputError(`${path}: the content is not valid UTF-8 text`);
  // Site files are text (archive import leaves binary files out), and PostgreSQL's text cannot hold NUL: refused
  // on both databases alike rather than accepted by one.
  if (content.includes("\u0000")) throw new InvalidInputError(`${path}: the content holds a NUL character; site files are text`);
  return content;
}
