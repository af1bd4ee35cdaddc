/**
 * Sites and their revisions. Every save writes one new revision holding the full file list, atomically:
 * a failed save leaves nothing behind. Saves name the revision they were based on, so two editors can
 * never silently overwrite each other.
 */
import { createHash } from "node:crypto";
import { and, desc, eq, sql } from "drizzle-orm";
import { blobs, revisionFiles, revisions, sites } from "../../db/schema";
import type { Db } from "../db";
import { isSiteYaml, loadSite, type SiteFile } from "../inventory";
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
}

export type SiteSummary = Awaited<ReturnType<SiteStore["list"]>>[number];
export type RevisionSummary = Awaited<ReturnType<SiteStore["revisions"]>>[number];

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function validSlug(slug: string): boolean {
  return SLUG.test(slug);
}

/** Normalised, relative, forward-slash paths of YAML files; nothing that could escape the site directory. */
export function checkPath(path: string): string {
  const p = path.replace(/\\/g, "/").replace(/^\.\//, "");
  if (!p || p.startsWith("/") || p.split("/").some((s) => s === ".." || s === "." || s === "") || !isSiteYaml(p)) {
    throw new InvalidInputError(`'${path}' is not a valid site file path (a relative path ending in .yml or .yaml)`);
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
  create(input: { slug: string; name: string; description?: string; files: SiteFile[]; author: string; message: string }) {
    if (!validSlug(input.slug)) throw new InvalidInputError(`'${input.slug}' is not a valid site id (lowercase letters, digits and '-', up to 63)`);
    const files = normalise(input.files);
    return this.db.transaction((tx) => {
      if (tx.select({ id: sites.id }).from(sites).where(eq(sites.slug, input.slug)).get()) {
        throw new ConflictError(`a site '${input.slug}' already exists`);
      }
      const site = tx.insert(sites).values({ slug: input.slug, name: input.name, description: input.description ?? "" }).returning().get();
      return writeRevision(tx, site.id, 1, files, input.author, input.message);
    });
  }

  /** Apply changes on top of `baseRevision`, which must still be the newest one. */
  save(slug: string, request: SaveRequest) {
    if (!request.changes.length) throw new InvalidInputError("nothing to save: no file changed");
    const changes = request.changes.map((c) => ({ path: checkPath(c.path), content: c.content }));
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
      return writeRevision(tx, siteId, head.number + 1, next, request.author, request.message);
    });
  }

  /** Replace a site's files wholesale (a re-import), as one new revision. */
  replace(slug: string, input: { files: SiteFile[]; author: string; message: string }) {
    const files = normalise(input.files);
    return this.db.transaction((tx) => {
      const { siteId, head } = headOf(tx, slug);
      return writeRevision(tx, siteId, head.number + 1, files, input.author, input.message);
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

function writeRevision(tx: Tx, siteId: number, number: number, files: SiteFile[], author: string, message: string) {
  const lint = loadSite(files);
  const errors = lint.diagnostics.filter((d) => d.severity === "error").length;
  const rev = tx
    .insert(revisions)
    .values({
      siteId,
      number,
      author: author.trim() || "unknown",
      message: message.trim() || `revision ${number}`,
      createdAt: new Date(),
      errors,
      warnings: lint.diagnostics.length - errors,
      hosts: lint.model.hosts.size,
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

function normalise(files: SiteFile[]): SiteFile[] {
  const seen = new Set<string>();
  return files.map((f) => {
    const path = checkPath(f.path);
    if (seen.has(path)) throw new InvalidInputError(`'${path}' appears twice`);
    seen.add(path);
    return { path, content: f.content };
  });
}
