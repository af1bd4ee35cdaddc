/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous: the methods are async to fit the Store interface, so that a throw arrives as a rejection like on PostgreSQL */
/** Projects in SQLite: the queries under store/projects.ts's rules. */
import { asc, count, eq, sql } from "drizzle-orm";
import { projects, sites } from "../../../db/schema";
import { checkDeletable, checkNewProject, checkProjectChange, noProject, projectExists, projectNotEmpty } from "../projects";
import { noSite } from "../sites";
import type { NewProject, ProjectChange, ProjectStore, ProjectSummary } from "../types";
import type { Db } from "./db";

export class SqliteProjectStore implements ProjectStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<ProjectSummary[]> {
    return this.summaries();
  }

  async get(slug: string): Promise<ProjectSummary> {
    const project = this.summaries(slug)[0];
    if (!project) throw noProject(slug);
    return project;
  }

  async create(input: NewProject): Promise<void> {
    const project = checkNewProject(input);
    const inserted = this.db
      .insert(projects)
      .values({ ...project, createdAt: new Date() })
      .onConflictDoNothing({ target: projects.slug })
      .run();
    if (inserted.changes === 0) throw projectExists(input.slug);
  }

  async update(slug: string, change: ProjectChange): Promise<void> {
    const set = checkProjectChange(change);
    if (this.db.update(projects).set(set).where(eq(projects.slug, slug)).run().changes === 0) throw noProject(slug);
  }

  async delete(slug: string): Promise<void> {
    checkDeletable(slug);
    this.db.transaction((tx) => {
      const id = projectId(tx, slug);
      const owned = tx.select({ n: count() }).from(sites).where(eq(sites.projectId, id)).get()?.n ?? 0;
      if (owned) throw projectNotEmpty(slug, owned);
      tx.delete(projects).where(eq(projects.id, id)).run();
    });
  }

  async sites(slug: string): Promise<string[]> {
    const id = projectId(this.db, slug);
    return this.db.select({ slug: sites.slug }).from(sites).where(eq(sites.projectId, id)).orderBy(asc(sites.slug)).all().map((s) => s.slug);
  }

  async moveSite(site: string, project: string): Promise<string> {
    return this.db.transaction((tx) => {
      const to = projectId(tx, project);
      const row = tx.select({ id: sites.id, from: projects.slug }).from(sites).innerJoin(projects, eq(projects.id, sites.projectId)).where(eq(sites.slug, site)).get();
      if (!row) throw noSite(site);
      tx.update(sites).set({ projectId: to }).where(eq(sites.id, row.id)).run();
      return row.from;
    });
  }

  private summaries(slug?: string): ProjectSummary[] {
    return this.db
      .select({
        slug: projects.slug,
        name: projects.name,
        description: projects.description,
        createdAt: projects.createdAt,
        // Named by hand: drizzle leaves columns in a select list unqualified, and `id` would be the site's.
        sites: sql<number>`(select count(*) from "sites" s where s."project_id" = "projects"."id")`,
      })
      .from(projects)
      .where(slug === undefined ? undefined : eq(projects.slug, slug))
      .orderBy(asc(projects.name), asc(projects.slug))
      .all();
  }
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0] | Db;

function projectId(tx: Tx, slug: string): number {
  const row = tx.select({ id: projects.id }).from(projects).where(eq(projects.slug, slug)).get();
  if (!row) throw noProject(slug);
  return row.id;
}
