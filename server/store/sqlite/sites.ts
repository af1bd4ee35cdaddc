/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous: the methods are async to fit the Store interface, so that a throw arrives as a rejection like on PostgreSQL */
/** Sites and revisions in SQLite. better-sqlite3 is synchronous: each method runs its transaction at once. */
import { and, desc, eq, sql } from "drizzle-orm";
import { blobs, projects, revisionFiles, revisions, sites } from "../../../db/schema";
import type { SiteFile } from "../../inventory";
import { applyChanges, blobHash, checkBase, checkChanges, checkCreate, noRevision, noSite, normalise, revisionRow, siteExists } from "../sites";
import type { CreateSiteRequest, LintCounts, ReplaceRequest, RevisionSummary, SavedRevision, SaveRequest, SiteSettings, SiteStore, SiteSummary } from "../types";
import { DEFAULT_PROJECT, noProject } from "../projects";
import type { Db } from "./db";

export class SqliteSiteStore implements SiteStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<SiteSummary[]> {
    return this.listNow();
  }

  async get(slug: string): Promise<SiteSummary> {
    const site = this.listNow(slug)[0];
    if (!site) throw noSite(slug);
    return site;
  }

  async exists(slug: string): Promise<boolean> {
    return this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug)).get() !== undefined;
  }

  async create(input: CreateSiteRequest): Promise<SavedRevision> {
    const files = checkCreate(input);
    return this.db.transaction((tx) => {
      if (tx.select({ id: sites.id }).from(sites).where(eq(sites.slug, input.slug)).get()) throw siteExists(input.slug);
      const projectSlug = input.project ?? DEFAULT_PROJECT;
      const project = tx.select({ id: projects.id }).from(projects).where(eq(projects.slug, projectSlug)).get();
      if (!project) throw noProject(projectSlug);
      const site = tx.insert(sites).values({ slug: input.slug, name: input.name, description: input.description ?? "", projectId: project.id }).returning().get();
      return writeRevision(tx, site.id, 1, files, input.author, input.message, input.lint);
    });
  }

  async save(slug: string, request: SaveRequest): Promise<SavedRevision> {
    const changes = checkChanges(request.changes);
    return this.db.transaction((tx) => {
      const { siteId, head } = headOf(tx, slug);
      checkBase(head, request.baseRevision);
      const next = applyChanges(readFiles(tx, head.id), changes);
      return writeRevision(tx, siteId, head.number + 1, next, request.author, request.message, request.lint);
    });
  }

  async replace(slug: string, input: ReplaceRequest): Promise<SavedRevision> {
    const files = normalise(input.files);
    return this.db.transaction((tx) => {
      const { siteId, head } = headOf(tx, slug);
      return writeRevision(tx, siteId, head.number + 1, files, input.author, input.message, input.lint);
    });
  }

  async revisions(slug: string): Promise<RevisionSummary[]> {
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

  async files(slug: string, number?: number): Promise<{ revision: number; files: SiteFile[] }> {
    const rev = this.revisionRow(slug, number);
    return { revision: rev.number, files: readFiles(this.db, rev.id) };
  }

  async manifest(slug: string, number?: number): Promise<{ revision: number; files: { path: string; hash: string }[] }> {
    const rev = this.revisionRow(slug, number);
    const files = this.db
      .select({ path: revisionFiles.path, hash: revisionFiles.blobHash })
      .from(revisionFiles)
      .where(eq(revisionFiles.revisionId, rev.id))
      .orderBy(revisionFiles.path)
      .all();
    return { revision: rev.number, files };
  }

  async head(slug: string): Promise<number> {
    return headOf(this.db, slug).head.number;
  }

  async setSettings(slug: string, settings: SiteSettings): Promise<void> {
    const set = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as SiteSettings;
    const siteId = this.siteId(slug);
    if (Object.keys(set).length) this.db.update(sites).set(set).where(eq(sites.id, siteId)).run();
  }

  async setLocalExecution(slug: string, enabled: boolean): Promise<void> {
    this.db.update(sites).set({ localExecution: enabled }).where(eq(sites.id, this.siteId(slug))).run();
  }

  async delete(slug: string): Promise<void> {
    const siteId = this.siteId(slug);
    this.db.delete(sites).where(eq(sites.id, siteId)).run();
  }

  private listNow(slug?: string): SiteSummary[] {
    return this.db
      .select({
        slug: sites.slug,
        name: sites.name,
        description: sites.description,
        project: projects.slug,
        createdAt: sites.createdAt,
        approvalsRequired: sites.approvalsRequired,
        localExecution: sites.localExecution,
        parallelRuns: sites.parallelRuns,
        revision: revisions.number,
        updatedAt: revisions.createdAt,
        updatedBy: revisions.author,
        errors: revisions.errors,
        warnings: revisions.warnings,
        hosts: revisions.hosts,
        files: sql<number>`(select count(*) from ${revisionFiles} where ${revisionFiles.revisionId} = ${revisions.id})`,
      })
      .from(sites)
      .innerJoin(projects, eq(projects.id, sites.projectId))
      .innerJoin(revisions, eq(revisions.siteId, sites.id))
      .where(and(eq(revisions.number, sql`(select max(r.number) from ${revisions} r where r.site_id = ${sites.id})`), slug === undefined ? undefined : eq(sites.slug, slug)))
      .orderBy(sites.name)
      .all();
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
    if (!rev) throw noRevision(slug, number);
    return rev;
  }

  private siteId(slug: string): number {
    const row = this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug)).get();
    if (!row) throw noSite(slug);
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
  if (!row) throw noSite(slug);
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

function writeRevision(tx: Tx, siteId: number, number: number, files: SiteFile[], author: string, message: string, counts?: LintCounts): SavedRevision {
  const row = revisionRow(number, files, author, message, counts);
  const rev = tx.insert(revisions).values({ siteId, ...row }).returning().get();
  for (const f of files) {
    const hash = blobHash(f.content);
    tx.insert(blobs).values({ hash, content: f.content }).onConflictDoNothing().run();
    tx.insert(revisionFiles).values({ revisionId: rev.id, path: f.path, blobHash: hash }).run();
  }
  return { number: rev.number, errors: rev.errors, warnings: rev.warnings, hosts: rev.hosts };
}
