/**
 * Sites and their revisions. Every save writes one new revision holding the full file list, atomically:
 * a failed save leaves nothing behind. Saves name the revision they were based on, so two editors can
 * never silently overwrite each other.
 */
import { createHash } from "node:crypto";
import { and, desc, eq, sql } from "drizzle-orm";
import { blobs, revisionFiles, revisions, sites } from "../../db/schema";
import type { Db } from "../db";
import { loadSite, SITE_FILE_RULE, siteFileKind, type SiteFile } from "../inventory";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";

export interface FileChange {
  path: string;
  /** New content, or null to delete the file. */
  content: string | null;
}

export interface SaveRequest {
  baseRevision: number;
  changes: FileChange[];
  author: string;
  message: string;
  /** The lint counts of the result, when the caller checked it already (off the event loop: server/workers). */
  lint?: LintCounts;
}

/** What a revision stores about its lint. */
export interface LintCounts {
  errors: number;
  warnings: number;
  hosts: number;
}

export type SiteSummary = Awaited<ReturnType<SiteStore["list"]>>[number];
export type RevisionSummary = Awaited<ReturnType<SiteStore["revisions"]>>[number];

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function validSlug(slug: string): boolean {
  return SLUG.test(slug);
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

export class SiteStore {
  constructor(private readonly db: Db) {}

  list() {
    return this.db
      .select({
        slug: sites.slug,
        name: sites.name,
        description: sites.description,
        createdAt: sites.createdAt,
        approvalsRequired: sites.approvalsRequired,
        localExecution: sites.localExecution,
        revision: revisions.number,
        updatedAt: revisions.createdAt,
        updatedBy: revisions.author,
        errors: revisions.errors,
        warnings: revisions.warnings,
        hosts: revisions.hosts,
        files: sql<number>`(select count(*) from ${revisionFiles} where ${revisionFiles.revisionId} = ${revisions.id})`,
      })
      .from(sites)
      .innerJoin(revisions, eq(revisions.siteId, sites.id))
      .where(eq(revisions.number, sql`(select max(r.number) from ${revisions} r where r.site_id = ${sites.id})`))
      .orderBy(sites.name)
      .all();
  }

  get(slug: string) {
    const site = this.list().find((s) => s.slug === slug);
    if (!site) throw new NotFoundError(`no site '${slug}'`);
    return site;
  }

  exists(slug: string): boolean {
    return this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug)).get() !== undefined;
  }

  /** A new site whose first revision holds `files`. */
  create(input: { slug: string; name: string; description?: string; files: SiteFile[]; author: string; message: string; lint?: LintCounts }) {
    if (!validSlug(input.slug)) throw new InvalidInputError(`'${input.slug}' is not a valid site id (lowercase letters, digits and '-', up to 63)`);
    const files = normalise(input.files);
    return this.db.transaction((tx) => {
      if (tx.select({ id: sites.id }).from(sites).where(eq(sites.slug, input.slug)).get()) {
        throw new ConflictError(`a site '${input.slug}' already exists`);
      }
      const site = tx.insert(sites).values({ slug: input.slug, name: input.name, description: input.description ?? "" }).returning().get();
      return writeRevision(tx, site.id, 1, files, input.author, input.message, input.lint);
    });
  }

  /** Apply changes on top of `baseRevision`, which must still be the newest one. */
  save(slug: string, request: SaveRequest) {
    if (!request.changes.length) throw new InvalidInputError("nothing to save: no file changed");
    const changes = request.changes.map((c) => ({ path: checkPath(c.path), content: c.content === null ? null : checkText(c.path, c.content) }));
    return this.db.transaction((tx) => {
      const { siteId, head } = headOf(tx, slug);
      if (head.number !== request.baseRevision) {
        throw new ConflictError(`revision ${head.number} was saved by ${head.author} since you started editing revision ${request.baseRevision}; reload to merge their changes`);
      }
      const files = new Map(readFiles(tx, head.id).map((f) => [f.path, f.content]));
      for (const c of changes) {
        if (c.content === null) {
          if (!files.delete(c.path)) throw new NotFoundError(`no file '${c.path}' to delete`);
        } else files.set(c.path, c.content);
      }
      const next = [...files].map(([path, content]) => ({ path, content }));
      return writeRevision(tx, siteId, head.number + 1, next, request.author, request.message, request.lint);
    });
  }

  /** Replace a site's files wholesale (a re-import), as one new revision. */
  replace(slug: string, input: { files: SiteFile[]; author: string; message: string; lint?: LintCounts }) {
    const files = normalise(input.files);
    return this.db.transaction((tx) => {
      const { siteId, head } = headOf(tx, slug);
      return writeRevision(tx, siteId, head.number + 1, files, input.author, input.message, input.lint);
    });
  }

  revisions(slug: string) {
    const siteId = this.siteId(slug);
    return this.db
      .select({
        number: revisions.number,
        author: revisions.author,
        message: revisions.message,
        createdAt: revisions.createdAt,
        errors: revisions.errors,
        warnings: revisions.warnings,
        hosts: revisions.hosts,
      })
      .from(revisions)
      .where(eq(revisions.siteId, siteId))
      .orderBy(desc(revisions.number))
      .all();
  }

  /** The files of a revision (the newest when `number` is omitted), in path order. */
  files(slug: string, number?: number): { revision: number; files: SiteFile[] } {
    const rev = this.revisionRow(slug, number);
    return { revision: rev.number, files: readFiles(this.db, rev.id) };
  }

  /**
   * A revision's file paths and content hashes (the newest revision when `number` is omitted), without reading
   * the contents: the same hashes mean the same files, so this is what a cache of loaded sites is keyed on.
   */
  manifest(slug: string, number?: number): { revision: number; files: { path: string; hash: string }[] } {
    const rev = this.revisionRow(slug, number);
    const files = this.db
      .select({ path: revisionFiles.path, hash: revisionFiles.blobHash })
      .from(revisionFiles)
      .where(eq(revisionFiles.revisionId, rev.id))
      .orderBy(revisionFiles.path)
      .all();
    return { revision: rev.number, files };
  }

  private revisionRow(slug: string, number: number | undefined): { id: number; number: number } {
    const siteId = this.siteId(slug);
    const rev = this.db
      .select({ id: revisions.id, number: revisions.number })
      .from(revisions)
      .where(number === undefined ? eq(revisions.siteId, siteId) : and(eq(revisions.siteId, siteId), eq(revisions.number, number)))
      .orderBy(desc(revisions.number))
      .limit(1)
      .get();
    if (!rev) throw new NotFoundError(`site '${slug}' has no revision ${number}`);
    return rev;
  }

  /** The newest revision's number: a run requested at an older one is stale. */
  head(slug: string): number {
    return headOf(this.db, slug).head.number;
  }

  setSettings(slug: string, settings: { approvalsRequired: number }) {
    this.db.update(sites).set(settings).where(eq(sites.id, this.siteId(slug))).run();
  }

  /** Whether the site may run `transport: local` steps (on the server, sandboxed): a server admin's decision. */
  setLocalExecution(slug: string, enabled: boolean) {
    this.db.update(sites).set({ localExecution: enabled }).where(eq(sites.id, this.siteId(slug))).run();
  }

  delete(slug: string) {
    const siteId = this.siteId(slug);
    this.db.delete(sites).where(eq(sites.id, siteId)).run();
  }

  private siteId(slug: string): number {
    const row = this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug)).get();
    if (!row) throw new NotFoundError(`no site '${slug}'`);
    return row.id;
  }
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0] | Db;

function headOf(tx: Tx, slug: string) {
  const row = tx
    .select({ siteId: sites.id, id: revisions.id, number: revisions.number, author: revisions.author })
    .from(sites)
    .innerJoin(revisions, eq(revisions.siteId, sites.id))
    .where(eq(sites.slug, slug))
    .orderBy(desc(revisions.number))
    .limit(1)
    .get();
  if (!row) throw new NotFoundError(`no site '${slug}'`);
  return { siteId: row.siteId, head: row };
}

function readFiles(tx: Tx, revisionId: number): SiteFile[] {
  return tx
    .select({ path: revisionFiles.path, content: blobs.content })
    .from(revisionFiles)
    .innerJoin(blobs, eq(blobs.hash, revisionFiles.blobHash))
    .where(eq(revisionFiles.revisionId, revisionId))
    .orderBy(revisionFiles.path)
    .all();
}

function writeRevision(tx: Tx, siteId: number, number: number, files: SiteFile[], author: string, message: string, counts?: LintCounts) {
  const { errors, warnings, hosts } = counts ?? lintCounts(files);
  const rev = tx
    .insert(revisions)
    .values({
      siteId,
      number,
      author: author.trim() || "unknown",
      message: message.trim() || `revision ${number}`,
      createdAt: new Date(),
      errors,
      warnings,
      hosts,
    })
    .returning()
    .get();
  for (const f of files) {
    const hash = createHash("sha256").update(f.content).digest("hex");
    tx.insert(blobs).values({ hash, content: f.content }).onConflictDoNothing().run();
    tx.insert(revisionFiles).values({ revisionId: rev.id, path: f.path, blobHash: hash }).run();
  }
  return { number: rev.number, errors, warnings: rev.warnings, hosts: rev.hosts };
}

function lintCounts(files: SiteFile[]): LintCounts {
  const site = loadSite(files);
  const errors = site.diagnostics.filter((d) => d.severity === "error").length;
  return { errors, warnings: site.diagnostics.length - errors, hosts: site.model.hosts.size };
}

function normalise(files: SiteFile[]): SiteFile[] {
  const seen = new Set<string>();
  return files.map((f) => {
    const path = checkPath(f.path);
    if (seen.has(path)) throw new InvalidInputError(`'${path}' appears twice`);
    seen.add(path);
    return { path, content: checkText(path, f.content) };
  });
}

/**
 * A file's text must be what it will be stored and exported as: a lone UTF-16 surrogate (how invalid UTF-8 or a
 * bad `\\udc80` escape arrives) would be written as U+FFFD, silently changing the file. Archive import refuses
 * invalid UTF-8 the same way.
 */
function checkText(path: string, content: string): string {
  if (LONE_SURROGATE.test(content)) throw new InvalidInputError(`${path}: the content is not valid UTF-8 text`);
  return content;
}
