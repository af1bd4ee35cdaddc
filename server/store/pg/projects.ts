/**
 * Projects in PostgreSQL: the queries under store/projects.ts's rules. Deleting locks the project's row first,
 * so a site created into it (which takes a key-share lock on that row) or moved into it meanwhile is either
 * counted or refused, never orphaned. Text is ordered with COLLATE "C" (byte order, as SQLite orders).
 */
import { count, eq, sql } from "drizzle-orm";
import { projects, sites } from "../../../db/pg/schema";
import { checkDeletable, checkNewProject, checkProjectChange, noProject, projectExists, projectNotEmpty } from "../projects";
import { noSite } from "../sites";
import type { NewProject, ProjectChange, ProjectStore, ProjectSummary } from "../types";
import type { PgDb, PgTx } from "./db";

export class PgProjectStore implements ProjectStore {
  constructor(private readonly db: PgDb) {}

  list(): Promise<ProjectSummary[]> {
    return this.summaries();
  }

  async get(slug: string): Promise<ProjectSummary> {
    const [project] = await this.summaries(slug);
    if (!project) throw noProject(slug);
    return project;
  }

  async create(input: NewProject): Promise<void> {
    const project = checkNewProject(input);
    const inserted = await this.db
      .insert(projects)
      .values({ ...project, createdAt: new Date() })
      .onConflictDoNothing({ target: projects.slug })
      .returning({ id: projects.id });
    if (!inserted.length) throw projectExists(input.slug);
  }

  async update(slug: string, change: ProjectChange): Promise<void> {
    const set = checkProjectChange(change);
    const updated = await this.db.update(projects).set(set).where(eq(projects.slug, slug)).returning({ id: projects.id });
    if (!updated.length) throw noProject(slug);
  }

  async delete(slug: string): Promise<void> {
    checkDeletable(slug);
    await this.db.transaction(async (tx) => {
      const id = await projectId(tx, slug, true);
      const [owned] = await tx.select({ n: count() }).from(sites).where(eq(sites.projectId, id));
      if (owned?.n) throw projectNotEmpty(slug, owned.n);
      await tx.delete(projects).where(eq(projects.id, id));
    });
  }

  async sites(slug: string): Promise<string[]> {
    const id = await projectId(this.db, slug);
    const rows = await this.db.select({ slug: sites.slug }).from(sites).where(eq(sites.projectId, id)).orderBy(sql`${sites.slug} collate "C"`);
    return rows.map((s) => s.slug);
  }

  async moveSite(site: string, project: string): Promise<string> {
    return this.db.transaction(async (tx) => {
      const to = await projectId(tx, project);
      const [row] = await tx.select({ id: sites.id, from: projects.slug }).from(sites).innerJoin(projects, eq(projects.id, sites.projectId)).where(eq(sites.slug, site));
      if (!row) throw noSite(site);
      await tx.update(sites).set({ projectId: to }).where(eq(sites.id, row.id));
      return row.from;
    });
  }

  private summaries(slug?: string): Promise<ProjectSummary[]> {
    return this.db
      .select({
        slug: projects.slug,
        name: projects.name,
        description: projects.description,
        createdAt: projects.createdAt,
        // Named by hand: drizzle leaves columns in a select list unqualified, and `id` would be the site's.
        sites: sql<number>`(select count(*)::int from "sites" s where s."project_id" = "projects"."id")`,
      })
      .from(projects)
      .where(slug === undefined ? undefined : eq(projects.slug, slug))
      .orderBy(sql`${projects.name} collate "C"`, sql`${projects.slug} collate "C"`);
  }
}

/** The project's id (NotFoundError when there is none), its row locked against writers when `lock`. */
async function projectId(tx: PgTx, slug: string, lock = false): Promise<number> {
  const query = tx.select({ id: projects.id }).from(projects).where(eq(projects.slug, slug));
  const [row] = lock ? await query.for("update") : await query;
  if (!row) throw noProject(slug);
  return row.id;
}
