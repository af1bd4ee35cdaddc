/**
 * Sites, revisions and files in PostgreSQL. The rules (slugs, paths, how a save applies, lint counts) are
 * store/sites.ts's; this file only reads and writes rows. A save or replace locks the site's row first, so two
 * concurrent saves on the same base are serialised and the second one gets the stale-base conflict, never a
 * half-written revision. Text is ordered with COLLATE "C" (byte order, as SQLite orders), whatever the
 * database's locale.
 */
import { and, desc, eq, sql } from "drizzle-orm";
import { blobs, projects, revisionFiles, revisions, sites } from "../../../db/pg/schema";
import type { SiteFile } from "../../inventory";
import { applyChanges, blobHash, checkBase, checkChanges, checkCreate, noRevision, noSite, normalise, revisionRow, siteExists } from "../sites";
import type { CreateSiteRequest, ReplaceRequest, RevisionSummary, SaveRequest, SavedRevision, SiteSettings, SiteStore, SiteSummary } from "../types";
import { DEFAULT_PROJECT, noProject } from "../projects";
import type { PgDb, PgTx } from "./db";
import { isUniqueViolation } from "./errors";

/** Rows per multi-row insert: well under PostgreSQL's 65,535 parameters per statement. */
const ROWS_PER_INSERT = 5_000;

export class PgSiteStore implements SiteStore {
  constructor(private readonly db: PgDb) {}

  private summaries(slug?: string): Promise<SiteSummary[]> {
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
        files: sql<number>`(select count(*)::int from ${revisionFiles} where ${revisionFiles.revisionId} = ${revisions.id})`,
      })
      .from(sites)
      .innerJoin(projects, eq(projects.id, sites.projectId))
      .innerJoin(revisions, eq(revisions.siteId, sites.id))
      .where(
        and(
          eq(revisions.number, sql`(select max(r.number) from ${revisions} r where r.site_id = ${sites.id})`),
          slug === undefined ? undefined : eq(sites.slug, slug),
        ),
      )
      .orderBy(sql`${sites.name} collate "C"`);
  }

  list(): Promise<SiteSummary[]> {
    return this.summaries();
  }

  async get(slug: string): Promise<SiteSummary> {
    const [site] = await this.summaries(slug);
    if (!site) throw noSite(slug);
    return site;
  }

  async exists(slug: string): Promise<boolean> {
    const [row] = await this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug));
    return row !== undefined;
  }

  async create(input: CreateSiteRequest): Promise<SavedRevision> {
    const files = checkCreate(input);
    try {
      return await this.db.transaction(async (tx) => {
        const projectSlug = input.project ?? DEFAULT_PROJECT;
        // Locked against a concurrent delete of the project (which would find it empty).
        const [project] = await tx.select({ id: projects.id }).from(projects).where(eq(projects.slug, projectSlug)).for("key share");
        if (!project) throw noProject(projectSlug);
        const [site] = await tx
          .insert(sites)
          .values({ slug: input.slug, name: input.name, description: input.description ?? "", projectId: project.id })
          .onConflictDoNothing({ target: sites.slug })
          .returning({ id: sites.id });
        if (!site) throw siteExists(input.slug);
        return writeRevision(tx, site.id, 1, files, input.author, input.message, input.lint);
      });
    } catch (e) {
      // Two creates of one slug at once: the loser's insert waited for the winner and then found the slug taken.
      if (isUniqueViolation(e, "sites_slug_unique")) throw siteExists(input.slug);
      throw e;
    }
  }

  async save(slug: string, request: SaveRequest): Promise<SavedRevision> {
    const changes = checkChanges(request.changes);
    return this.db.transaction(async (tx) => {
      const { siteId, head } = await lockedHead(tx, slug);
      checkBase(head, request.baseRevision);
      const files = applyChanges(await readFiles(tx, head.id), changes);
      return writeRevision(tx, siteId, head.number + 1, files, request.author, request.message, request.lint);
    });
  }

  async replace(slug: string, input: ReplaceRequest): Promise<SavedRevision> {
    const files = normalise(input.files);
    return this.db.transaction(async (tx) => {
      const { siteId, head } = await lockedHead(tx, slug);
      return writeRevision(tx, siteId, head.number + 1, files, input.author, input.message, input.lint);
    });
  }

  async revisions(slug: string): Promise<RevisionSummary[]> {
    const siteId = await this.siteId(slug);
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
      .orderBy(desc(revisions.number));
  }

  async files(slug: string, number?: number): Promise<{ revision: number; files: SiteFile[] }> {
    const rev = await this.revisionRow(slug, number);
    return { revision: rev.number, files: await readFiles(this.db, rev.id) };
  }

  async manifest(slug: string, number?: number): Promise<{ revision: number; files: { path: string; hash: string }[] }> {
    const rev = await this.revisionRow(slug, number);
    const files = await this.db
      .select({ path: revisionFiles.path, hash: revisionFiles.blobHash })
      .from(revisionFiles)
      .where(eq(revisionFiles.revisionId, rev.id))
      .orderBy(sql`${revisionFiles.path} collate "C"`);
    return { revision: rev.number, files };
  }

  private async revisionRow(slug: string, number: number | undefined): Promise<{ id: number; number: number }> {
    const siteId = await this.siteId(slug);
    const [rev] = await this.db
      .select({ id: revisions.id, number: revisions.number })
      .from(revisions)
      .where(number === undefined ? eq(revisions.siteId, siteId) : and(eq(revisions.siteId, siteId), eq(revisions.number, number)))
      .orderBy(desc(revisions.number))
      .limit(1);
    if (!rev) throw noRevision(slug, number);
    return rev;
  }

  async head(slug: string): Promise<number> {
    return (await headOf(this.db, slug)).head.number;
  }

  async setSettings(slug: string, settings: SiteSettings): Promise<void> {
    const siteId = await this.siteId(slug);
    const set = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as SiteSettings;
    if (Object.keys(set).length) await this.db.update(sites).set(set).where(eq(sites.id, siteId));
  }

  async setLocalExecution(slug: string, enabled: boolean): Promise<void> {
    await this.db.update(sites).set({ localExecution: enabled }).where(eq(sites.id, await this.siteId(slug)));
  }

  async delete(slug: string): Promise<void> {
    await this.db.delete(sites).where(eq(sites.id, await this.siteId(slug)));
  }

  private async siteId(slug: string): Promise<number> {
    const [row] = await this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug));
    if (!row) throw noSite(slug);
    return row.id;
  }
}

async function headOf(tx: PgTx, slug: string) {
  const [row] = await tx
    .select({ siteId: sites.id, id: revisions.id, number: revisions.number, author: revisions.author })
    .from(sites)
    .innerJoin(revisions, eq(revisions.siteId, sites.id))
    .where(eq(sites.slug, slug))
    .orderBy(desc(revisions.number))
    .limit(1);
  if (!row) throw noSite(slug);
  return { siteId: row.siteId, head: row };
}

/** The head revision read under the site row's lock: writers of one site go one at a time. */
async function lockedHead(tx: PgTx, slug: string) {
  const [site] = await tx.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug)).for("no key update");
  if (!site) throw noSite(slug);
  return headOf(tx, slug);
}

async function readFiles(tx: PgTx, revisionId: number): Promise<SiteFile[]> {
  return tx
    .select({ path: revisionFiles.path, content: blobs.content })
    .from(revisionFiles)
    .innerJoin(blobs, eq(blobs.hash, revisionFiles.blobHash))
    .where(eq(revisionFiles.revisionId, revisionId))
    .orderBy(sql`${revisionFiles.path} collate "C"`);
}

async function writeRevision(tx: PgTx, siteId: number, number: number, files: SiteFile[], author: string, message: string, counts?: SaveRequest["lint"]): Promise<SavedRevision> {
  const row = revisionRow(number, files, author, message, counts);
  const [rev] = await tx.insert(revisions).values({ siteId, ...row }).returning({ id: revisions.id });
  const hashed = files.map((f) => ({ ...f, hash: blobHash(f.content) }));
  const unique = [...new Map(hashed.map((f) => [f.hash, f.content])).entries()];
  for (let i = 0; i < unique.length; i += ROWS_PER_INSERT) {
    const chunk = unique.slice(i, i + ROWS_PER_INSERT).map(([hash, content]) => ({ hash, content }));
    await tx.insert(blobs).values(chunk).onConflictDoNothing();
  }
  for (let i = 0; i < hashed.length; i += ROWS_PER_INSERT) {
    const chunk = hashed.slice(i, i + ROWS_PER_INSERT).map((f) => ({ revisionId: rev!.id, path: f.path, blobHash: f.hash }));
    await tx.insert(revisionFiles).values(chunk);
  }
  return { number: row.number, errors: row.errors, warnings: row.warnings, hosts: row.hosts };
}
