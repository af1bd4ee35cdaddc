/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous: the methods are async to fit the Store interface, so that a throw arrives as a rejection like on PostgreSQL */
/** Users, memberships, tokens and kiosk boards in SQLite: the queries under auth/access.ts and auth/users.ts. */
import { randomUUID } from "node:crypto";
import { and, asc, count, desc, eq, inArray, isNull } from "drizzle-orm";
import { account, apiTokens, kioskBoards, memberships, projectMembers, projects, session, sites, user } from "../../../db/schema";
import type { AccountStore, ApiTokenRow, KioskBoard, MemberRow, NewApiToken, NewUser, TokenListItem, UserChange, UserListItem, UserRef } from "../types";
import type { Db } from "./db";

const USER_REF = { id: user.id, username: user.username, name: user.name, isAdmin: user.isAdmin, disabled: user.disabled };

export class SqliteAccountStore implements AccountStore {
  constructor(private readonly db: Db) {}

  async siteId(slug: string): Promise<number | undefined> {
    return this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug)).get()?.id;
  }

  async siteSlug(id: number): Promise<string | undefined> {
    return this.db.select({ slug: sites.slug }).from(sites).where(eq(sites.id, id)).get()?.slug;
  }

  async allSiteSlugs(): Promise<string[]> {
    return this.db.select({ slug: sites.slug }).from(sites).all().map((s) => s.slug);
  }

  async existingSites(slugs: readonly string[]): Promise<string[]> {
    if (!slugs.length) return [];
    return this.db.select({ slug: sites.slug }).from(sites).where(inArray(sites.slug, [...slugs])).all().map((s) => s.slug);
  }

  async projectId(slug: string): Promise<number | undefined> {
    return this.db.select({ id: projects.id }).from(projects).where(eq(projects.slug, slug)).get()?.id;
  }

  async projectSlug(id: number): Promise<string | undefined> {
    return this.db.select({ slug: projects.slug }).from(projects).where(eq(projects.id, id)).get()?.slug;
  }

  async projectOfSite(siteId: number): Promise<number | undefined> {
    return this.db.select({ projectId: sites.projectId }).from(sites).where(eq(sites.id, siteId)).get()?.projectId;
  }

  async projectSites(projectId: number): Promise<{ id: number; slug: string }[]> {
    return this.db.select({ id: sites.id, slug: sites.slug }).from(sites).where(eq(sites.projectId, projectId)).orderBy(asc(sites.slug)).all();
  }

  async projectMembership(projectId: number, userId: string): Promise<string | null> {
    return (
      this.db
        .select({ role: projectMembers.role })
        .from(projectMembers)
        .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)))
        .get()?.role ?? null
    );
  }

  async projectMemberSites(userId: string): Promise<string[]> {
    return this.db
      .select({ slug: sites.slug })
      .from(projectMembers)
      .innerJoin(sites, eq(sites.projectId, projectMembers.projectId))
      .where(eq(projectMembers.userId, userId))
      .all()
      .map((s) => s.slug);
  }

  async projectMembers(projectId: number): Promise<MemberRow[]> {
    return this.db
      .select({ userId: projectMembers.userId, username: user.username, name: user.name, role: projectMembers.role, isAdmin: user.isAdmin, disabled: user.disabled })
      .from(projectMembers)
      .innerJoin(user, eq(user.id, projectMembers.userId))
      .where(eq(projectMembers.projectId, projectId))
      .orderBy(asc(user.username))
      .all();
  }

  async setProjectMembership(projectId: number, userId: string, role: string | null): Promise<void> {
    if (role === null) this.db.delete(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId))).run();
    else
      this.db
        .insert(projectMembers)
        .values({ projectId, userId, role, createdAt: new Date() })
        .onConflictDoUpdate({ target: [projectMembers.projectId, projectMembers.userId], set: { role } })
        .run();
  }

  async membership(siteId: number, userId: string): Promise<string | null> {
    return this.db.select({ role: memberships.role }).from(memberships).where(and(eq(memberships.siteId, siteId), eq(memberships.userId, userId))).get()?.role ?? null;
  }

  async memberSites(userId: string): Promise<string[]> {
    return this.db
      .select({ slug: sites.slug })
      .from(memberships)
      .innerJoin(sites, eq(sites.id, memberships.siteId))
      .where(eq(memberships.userId, userId))
      .all()
      .map((s) => s.slug);
  }

  async members(siteId: number): Promise<MemberRow[]> {
    return this.db
      .select({ userId: memberships.userId, username: user.username, name: user.name, role: memberships.role, isAdmin: user.isAdmin, disabled: user.disabled })
      .from(memberships)
      .innerJoin(user, eq(user.id, memberships.userId))
      .where(eq(memberships.siteId, siteId))
      .orderBy(asc(user.username))
      .all();
  }

  async setMembership(siteId: number, userId: string, role: string | null): Promise<void> {
    if (role === null) this.db.delete(memberships).where(and(eq(memberships.siteId, siteId), eq(memberships.userId, userId))).run();
    else
      this.db
        .insert(memberships)
        .values({ siteId, userId, role, createdAt: new Date() })
        .onConflictDoUpdate({ target: [memberships.siteId, memberships.userId], set: { role } })
        .run();
  }

  async user(id: string): Promise<UserRef | undefined> {
    return this.db.select(USER_REF).from(user).where(eq(user.id, id)).get();
  }

  async userByUsername(username: string): Promise<UserRef | undefined> {
    return this.db.select(USER_REF).from(user).where(eq(user.username, username)).get();
  }

  async countUsers(): Promise<number> {
    return this.db.select({ n: count() }).from(user).get()?.n ?? 0;
  }

  async listUsers(): Promise<UserListItem[]> {
    return this.db
      .select({ ...USER_REF, mustChangePassword: user.mustChangePassword, createdAt: user.createdAt })
      .from(user)
      .orderBy(asc(user.username))
      .all();
  }

  async createUser(u: NewUser, passwordHash: string): Promise<void> {
    this.db.transaction((tx) => {
      tx.insert(user)
        .values({ ...u, displayUsername: u.username, updatedAt: u.createdAt })
        .run();
      tx.insert(account)
        .values({ id: randomUUID(), accountId: u.id, providerId: "credential", userId: u.id, password: passwordHash, createdAt: u.createdAt, updatedAt: u.createdAt })
        .run();
    });
  }

  async updateUser(id: string, change: UserChange): Promise<boolean> {
    return this.db.update(user).set({ ...change, updatedAt: new Date() }).where(eq(user.id, id)).run().changes > 0;
  }

  async passwordHash(userId: string): Promise<string | undefined> {
    const row = this.db.select({ password: account.password }).from(account).where(and(eq(account.userId, userId), eq(account.providerId, "credential"))).get();
    return row?.password ?? undefined;
  }

  async setPassword(userId: string, passwordHash: string, mustChange: boolean): Promise<boolean> {
    const now = new Date();
    return this.db.transaction((tx) => {
      const updated = tx.update(account).set({ password: passwordHash, updatedAt: now }).where(and(eq(account.userId, userId), eq(account.providerId, "credential"))).run();
      if (updated.changes === 0) return false;
      tx.update(user).set({ mustChangePassword: mustChange, updatedAt: now }).where(eq(user.id, userId)).run();
      return true;
    });
  }

  async deleteSessions(userId: string): Promise<void> {
    this.db.delete(session).where(eq(session.userId, userId)).run();
  }

  async tokenByHash(hash: string): Promise<ApiTokenRow | undefined> {
    return this.db.select().from(apiTokens).where(eq(apiTokens.hash, hash)).get();
  }

  async tokenById(id: number): Promise<ApiTokenRow | undefined> {
    return this.db.select().from(apiTokens).where(eq(apiTokens.id, id)).get();
  }

  async insertToken(token: NewApiToken): Promise<number> {
    return this.db.insert(apiTokens).values(token).returning({ id: apiTokens.id }).get().id;
  }

  async touchToken(id: number, at: Date): Promise<void> {
    this.db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, id)).run();
  }

  async revokeToken(id: number, at: Date): Promise<boolean> {
    return this.db.update(apiTokens).set({ revokedAt: at }).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt))).run().changes > 0;
  }

  async listTokens(userId?: string): Promise<TokenListItem[]> {
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
      .orderBy(desc(apiTokens.id))
      .all();
  }

  async boards(): Promise<KioskBoard[]> {
    return this.db.select().from(kioskBoards).orderBy(asc(kioskBoards.slug)).all().map(board);
  }

  async boardBySlug(slug: string): Promise<KioskBoard | undefined> {
    const b = this.db.select().from(kioskBoards).where(eq(kioskBoards.slug, slug)).get();
    return b && board(b);
  }

  async boardById(id: number): Promise<KioskBoard | undefined> {
    const b = this.db.select().from(kioskBoards).where(eq(kioskBoards.id, id)).get();
    return b && board(b);
  }

  async saveBoard(input: { slug: string; title: string; sites: string[] }): Promise<void> {
    const sitesJson = JSON.stringify(input.sites);
    this.db
      .insert(kioskBoards)
      .values({ slug: input.slug, title: input.title, sites: sitesJson, createdAt: new Date() })
      .onConflictDoUpdate({ target: kioskBoards.slug, set: { title: input.title, sites: sitesJson } })
      .run();
  }

  async deleteBoard(id: number): Promise<void> {
    this.db.delete(kioskBoards).where(eq(kioskBoards.id, id)).run();
  }
}

function board(b: typeof kioskBoards.$inferSelect): KioskBoard {
  return { ...b, sites: JSON.parse(b.sites) as string[] };
}
