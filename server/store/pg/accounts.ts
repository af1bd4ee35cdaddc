/** Memberships, users, tokens and kiosk boards in PostgreSQL: the queries under auth/access.ts and auth/users.ts. */
import { and, count, desc, eq, inArray, isNull, sql, type AnyColumn } from "drizzle-orm";
import { account, apiTokens, kioskBoards, memberships, projectMembers, projects, session, sites, user } from "../../../db/pg/schema";
import type { AccountStore, ApiTokenRow, KioskBoard, MemberRow, NewApiToken, NewUser, TokenListItem, UserChange, UserListItem, UserRef } from "../types";
import type { PgDb } from "./db";

const userRef = { id: user.id, username: user.username, name: user.name, isAdmin: user.isAdmin, disabled: user.disabled };
/** Byte order, as SQLite sorts text, whatever the database's locale. */
const byBytes = (column: AnyColumn) => sql`${column} collate "C"`;

function board(row: typeof kioskBoards.$inferSelect): KioskBoard {
  return { ...row, sites: JSON.parse(row.sites) as string[] };
}

export class PgAccountStore implements AccountStore {
  constructor(private readonly db: PgDb) {}

  async siteId(slug: string): Promise<number | undefined> {
    const [row] = await this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug));
    return row?.id;
  }

  async siteSlug(id: number): Promise<string | undefined> {
    const [row] = await this.db.select({ slug: sites.slug }).from(sites).where(eq(sites.id, id));
    return row?.slug;
  }

  async allSiteSlugs(): Promise<string[]> {
    return (await this.db.select({ slug: sites.slug }).from(sites).orderBy(byBytes(sites.slug))).map((s) => s.slug);
  }

  async existingSites(slugs: readonly string[]): Promise<string[]> {
    if (!slugs.length) return [];
    return (await this.db.select({ slug: sites.slug }).from(sites).where(inArray(sites.slug, [...slugs]))).map((s) => s.slug);
  }

  async projectId(slug: string): Promise<number | undefined> {
    const [row] = await this.db.select({ id: projects.id }).from(projects).where(eq(projects.slug, slug));
    return row?.id;
  }

  async projectSlug(id: number): Promise<string | undefined> {
    const [row] = await this.db.select({ slug: projects.slug }).from(projects).where(eq(projects.id, id));
    return row?.slug;
  }

  async projectOfSite(siteId: number): Promise<number | undefined> {
    const [row] = await this.db.select({ projectId: sites.projectId }).from(sites).where(eq(sites.id, siteId));
    return row?.projectId;
  }

  projectSites(projectId: number): Promise<{ id: number; slug: string }[]> {
    return this.db.select({ id: sites.id, slug: sites.slug }).from(sites).where(eq(sites.projectId, projectId)).orderBy(byBytes(sites.slug));
  }

  async projectMembership(projectId: number, userId: string): Promise<string | null> {
    const [m] = await this.db
      .select({ role: projectMembers.role })
      .from(projectMembers)
      .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
    return m?.role ?? null;
  }

  async projectMemberSites(userId: string): Promise<string[]> {
    const rows = await this.db
      .select({ slug: sites.slug })
      .from(projectMembers)
      .innerJoin(sites, eq(sites.projectId, projectMembers.projectId))
      .where(eq(projectMembers.userId, userId))
      .orderBy(byBytes(sites.slug));
    return rows.map((s) => s.slug);
  }

  projectMembers(projectId: number): Promise<MemberRow[]> {
    return this.db
      .select({ userId: projectMembers.userId, username: user.username, name: user.name, role: projectMembers.role, isAdmin: user.isAdmin, disabled: user.disabled })
      .from(projectMembers)
      .innerJoin(user, eq(user.id, projectMembers.userId))
      .where(eq(projectMembers.projectId, projectId))
      .orderBy(byBytes(user.username));
  }

  async setProjectMembership(projectId: number, userId: string, role: string | null): Promise<void> {
    if (role === null) {
      await this.db.delete(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
      return;
    }
    await this.db
      .insert(projectMembers)
      .values({ projectId, userId, role, createdAt: new Date() })
      .onConflictDoUpdate({ target: [projectMembers.projectId, projectMembers.userId], set: { role } });
  }

  async membership(siteId: number, userId: string): Promise<string | null> {
    const [m] = await this.db.select({ role: memberships.role }).from(memberships).where(and(eq(memberships.siteId, siteId), eq(memberships.userId, userId)));
    return m?.role ?? null;
  }

  async memberSites(userId: string): Promise<string[]> {
    const rows = await this.db
      .select({ slug: sites.slug })
      .from(memberships)
      .innerJoin(sites, eq(sites.id, memberships.siteId))
      .where(eq(memberships.userId, userId))
      .orderBy(byBytes(sites.slug));
    return rows.map((s) => s.slug);
  }

  members(siteId: number): Promise<MemberRow[]> {
    return this.db
      .select({ userId: memberships.userId, username: user.username, name: user.name, role: memberships.role, isAdmin: user.isAdmin, disabled: user.disabled })
      .from(memberships)
      .innerJoin(user, eq(user.id, memberships.userId))
      .where(eq(memberships.siteId, siteId))
      .orderBy(byBytes(user.username));
  }

  async setMembership(siteId: number, userId: string, role: string | null): Promise<void> {
    if (role === null) {
      await this.db.delete(memberships).where(and(eq(memberships.siteId, siteId), eq(memberships.userId, userId)));
      return;
    }
    await this.db
      .insert(memberships)
      .values({ siteId, userId, role, createdAt: new Date() })
      .onConflictDoUpdate({ target: [memberships.siteId, memberships.userId], set: { role } });
  }

  async user(id: string): Promise<UserRef | undefined> {
    const [row] = await this.db.select(userRef).from(user).where(eq(user.id, id));
    return row;
  }

  async userByUsername(username: string): Promise<UserRef | undefined> {
    const [row] = await this.db.select(userRef).from(user).where(eq(user.username, username));
    return row;
  }

  async countUsers(): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(user);
    return row?.n ?? 0;
  }

  listUsers(): Promise<UserListItem[]> {
    return this.db
      .select({ ...userRef, mustChangePassword: user.mustChangePassword, createdAt: user.createdAt })
      .from(user)
      .orderBy(byBytes(user.username));
  }

  async createUser(u: NewUser, passwordHash: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.insert(user).values({ ...u, displayUsername: u.username, updatedAt: u.createdAt });
      await tx
        .insert(account)
        .values({ id: crypto.randomUUID(), accountId: u.id, providerId: "credential", userId: u.id, password: passwordHash, createdAt: u.createdAt, updatedAt: u.createdAt });
    });
  }

  async updateUser(id: string, change: UserChange): Promise<boolean> {
    const set = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as UserChange;
    const rows = await this.db
      .update(user)
      .set({ ...set, updatedAt: new Date() })
      .where(eq(user.id, id))
      .returning({ id: user.id });
    return rows.length > 0;
  }

  async passwordHash(userId: string): Promise<string | undefined> {
    const [row] = await this.db.select({ password: account.password }).from(account).where(and(eq(account.userId, userId), eq(account.providerId, "credential")));
    return row?.password ?? undefined;
  }

  async setPassword(userId: string, passwordHash: string, mustChange: boolean): Promise<boolean> {
    const now = new Date();
    return this.db.transaction(async (tx) => {
      const updated = await tx
        .update(account)
        .set({ password: passwordHash, updatedAt: now })
        .where(and(eq(account.userId, userId), eq(account.providerId, "credential")))
        .returning({ id: account.id });
      if (!updated.length) return false;
      await tx.update(user).set({ mustChangePassword: mustChange, updatedAt: now }).where(eq(user.id, userId));
      return true;
    });
  }

  async deleteSessions(userId: string): Promise<void> {
    await this.db.delete(session).where(eq(session.userId, userId));
  }

  async tokenByHash(hash: string): Promise<ApiTokenRow | undefined> {
    const [row] = await this.db.select().from(apiTokens).where(eq(apiTokens.hash, hash));
    return row;
  }

  async tokenById(id: number): Promise<ApiTokenRow | undefined> {
    const [row] = await this.db.select().from(apiTokens).where(eq(apiTokens.id, id));
    return row;
  }

  async insertToken(token: NewApiToken): Promise<number> {
    const [row] = await this.db.insert(apiTokens).values(token).returning({ id: apiTokens.id });
    return row!.id;
  }

  async touchToken(id: number, at: Date): Promise<void> {
    await this.db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, id));
  }

  async revokeToken(id: number, at: Date): Promise<boolean> {
    const rows = await this.db
      .update(apiTokens)
      .set({ revokedAt: at })
      .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
      .returning({ id: apiTokens.id });
    return rows.length > 0;
  }

  listTokens(userId?: string): Promise<TokenListItem[]> {
    return this.db
      .select({
        id: apiTokens.id,
        kind: apiTokens.kind,
        name: apiTokens.name,
        prefix: apiTokens.prefix,
        owner: user.username,
        userId: apiTokens.userId,
        site: sites.slug,
        project: projects.slug,
        role: apiTokens.role,
        board: kioskBoards.slug,
        createdAt: apiTokens.createdAt,
        expiresAt: apiTokens.expiresAt,
        lastUsedAt: apiTokens.lastUsedAt,
        revokedAt: apiTokens.revokedAt,
      })
      .from(apiTokens)
      .innerJoin(user, eq(user.id, apiTokens.userId))
      .leftJoin(sites, eq(sites.id, apiTokens.siteId))
      .leftJoin(projects, eq(projects.id, apiTokens.projectId))
      .leftJoin(kioskBoards, eq(kioskBoards.id, apiTokens.boardId))
      .where(userId === undefined ? undefined : eq(apiTokens.userId, userId))
      .orderBy(desc(apiTokens.id));
  }

  async boards(): Promise<KioskBoard[]> {
    return (await this.db.select().from(kioskBoards).orderBy(byBytes(kioskBoards.slug))).map(board);
  }

  async boardBySlug(slug: string): Promise<KioskBoard | undefined> {
    const [row] = await this.db.select().from(kioskBoards).where(eq(kioskBoards.slug, slug));
    return row && board(row);
  }

  async boardById(id: number): Promise<KioskBoard | undefined> {
    const [row] = await this.db.select().from(kioskBoards).where(eq(kioskBoards.id, id));
    return row && board(row);
  }

  async saveBoard(input: { slug: string; title: string; sites: string[] }): Promise<void> {
    const sitesJson = JSON.stringify(input.sites);
    await this.db
      .insert(kioskBoards)
      .values({ slug: input.slug, title: input.title, sites: sitesJson, createdAt: new Date() })
      .onConflictDoUpdate({ target: kioskBoards.slug, set: { title: input.title, sites: sitesJson } });
  }

  async deleteBoard(id: number): Promise<void> {
    await this.db.delete(kioskBoards).where(eq(kioskBoards.id, id));
  }
}
