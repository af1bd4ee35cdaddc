/**
 * Who may do what: site memberships, API and kiosk tokens, kiosk boards. Every endpoint asks `roleOn` (or
 * `kioskSees`) with the caller's principal; nothing here trusts what the browser hides or shows.
 */
import { and, asc, desc, eq, inArray, isNull } from "drizzle-orm";
import { apiTokens, kioskBoards, memberships, sites, user } from "../../db/schema";
import type { Db } from "../db";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from "../store/errors";
import type { Principal } from "./principal";
import { atLeast, lower, roleSchema, type Role } from "./roles";
import { hashToken, looksLikeToken, newToken } from "./tokens";

const LAST_USED_RESOLUTION_MS = 60_000;

export class Access {
  constructor(private readonly db: Db) {}

  // --- Roles -------------------------------------------------------------------------------------------

  /** The caller's role on a site, or null: none, anonymous, or a kiosk (kiosks read boards, not sites). */
  roleOn(p: Principal, site: string): Role | null {
    if (p.kind === "anonymous" || p.kind === "kiosk") return null;
    const siteId = this.siteId(site);
    if (siteId === undefined) return null;
    if (p.kind === "user") return p.isAdmin ? "admin" : this.membership(siteId, p.userId);
    if (p.siteId !== siteId) return null;
    // A token never holds more than its owner still has: revoking the owner's role revokes the token's.
    const owner = this.user(p.userId);
    if (!owner || owner.disabled) return null;
    const ownerRole = owner.isAdmin ? "admin" : this.membership(siteId, p.userId);
    return ownerRole ? lower(ownerRole, p.role) : null;
  }

  require(p: Principal, site: string, need: Role): Role {
    const role = this.roleOn(p, site);
    if (atLeast(role, need)) return role!;
    if (role === null && !this.siteId(site)) throw new NotFoundError(`no site '${site}'`);
    throw new ForbiddenError(
      role === null ? `you have no role on site '${site}'; ask a site admin for access` : `this needs the ${need} role on site '${site}'; you are ${role}`,
    );
  }

  /** Slugs of the sites the caller can read. */
  readableSites(p: Principal): string[] {
    if (p.kind === "user" && p.isAdmin) return this.db.select({ slug: sites.slug }).from(sites).all().map((s) => s.slug);
    if (p.kind === "user") {
      return this.db
        .select({ slug: sites.slug })
        .from(memberships)
        .innerJoin(sites, eq(sites.id, memberships.siteId))
        .where(eq(memberships.userId, p.userId))
        .all()
        .map((s) => s.slug);
    }
    if (p.kind === "token") {
      const site = this.db.select({ slug: sites.slug }).from(sites).where(eq(sites.id, p.siteId)).get();
      return site && this.roleOn(p, site.slug) ? [site.slug] : [];
    }
    return [];
  }

  members(site: string) {
    const siteId = this.requireSite(site);
    return this.db
      .select({ userId: memberships.userId, username: user.username, name: user.name, role: memberships.role, isAdmin: user.isAdmin, disabled: user.disabled })
      .from(memberships)
      .innerJoin(user, eq(user.id, memberships.userId))
      .where(eq(memberships.siteId, siteId))
      .orderBy(asc(user.username))
      .all()
      .map((m) => ({ ...m, role: roleSchema.parse(m.role) }));
  }

  /** Set (or with null, remove) a user's role on a site; returns the previous role for the audit log. */
  setRole(site: string, userId: string, role: Role | null): Role | null {
    const siteId = this.requireSite(site);
    if (!this.user(userId)) throw new NotFoundError(`no user ${userId}`);
    const previous = this.membership(siteId, userId);
    if (role === null) this.db.delete(memberships).where(and(eq(memberships.siteId, siteId), eq(memberships.userId, userId))).run();
    else
      this.db
        .insert(memberships)
        .values({ siteId, userId, role, createdAt: new Date() })
        .onConflictDoUpdate({ target: [memberships.siteId, memberships.userId], set: { role } })
        .run();
    return previous;
  }

  // --- Tokens ------------------------------------------------------------------------------------------

  /** The principal a bearer token stands for, or null when it is unknown, revoked, expired or its owner disabled. */
  fromToken(token: string): Principal | null {
    if (!looksLikeToken(token)) return null;
    const row = this.db.select().from(apiTokens).where(eq(apiTokens.hash, hashToken(token))).get();
    const now = Date.now();
    if (!row || row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= now)) return null;
    const owner = this.user(row.userId);
    if (!owner || owner.disabled) return null;
    if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      this.db.update(apiTokens).set({ lastUsedAt: new Date(now) }).where(eq(apiTokens.id, row.id)).run();
    }
    if (row.kind === "kiosk" && row.boardId !== null) return { kind: "kiosk", tokenId: row.id, boardId: row.boardId };
    if (row.kind === "api" && row.siteId !== null && row.role) {
      return { kind: "token", tokenId: row.id, tokenName: row.name, userId: row.userId, username: owner.username ?? owner.name, siteId: row.siteId, role: roleSchema.parse(row.role) };
    }
    return null;
  }

  /** A new API token acting for `owner` with `role` on `site`: never more than the owner's own role there. */
  createApiToken(owner: Principal, input: { name: string; site: string; role: Role; expiresInDays?: number }) {
    if (owner.kind !== "user") throw new ForbiddenError("only a signed-in user can create tokens");
    const held = this.require(owner, input.site, "viewer");
    if (!atLeast(held, input.role)) throw new ForbiddenError(`you are ${held} on site '${input.site}': a token cannot have the ${input.role} role`);
    const t = newToken("api");
    const id = this.db
      .insert(apiTokens)
      .values({
        kind: "api",
        name: input.name,
        prefix: t.prefix,
        hash: t.hash,
        userId: owner.userId,
        siteId: this.requireSite(input.site),
        role: input.role,
        createdAt: new Date(),
        expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
      })
      .returning({ id: apiTokens.id })
      .get().id;
    return { id, token: t.token, prefix: t.prefix };
  }

  createKioskToken(owner: Principal, input: { name: string; board: string }) {
    if (owner.kind !== "user" || !owner.isAdmin) throw new ForbiddenError("only a server admin can create kiosk tokens");
    const board = this.board(input.board);
    const t = newToken("kiosk");
    const id = this.db
      .insert(apiTokens)
      .values({ kind: "kiosk", name: input.name, prefix: t.prefix, hash: t.hash, userId: owner.userId, boardId: board.id, createdAt: new Date() })
      .returning({ id: apiTokens.id })
      .get().id;
    return { id, token: t.token, prefix: t.prefix };
  }

  /** Tokens the caller may see: their own, or every token for a server admin. Never the hash. */
  tokens(p: Principal) {
    if (p.kind !== "user") return [];
    const rows = this.db
      .select({
        id: apiTokens.id,
        kind: apiTokens.kind,
        name: apiTokens.name,
        prefix: apiTokens.prefix,
        owner: user.username,
        userId: apiTokens.userId,
        site: sites.slug,
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
      .leftJoin(kioskBoards, eq(kioskBoards.id, apiTokens.boardId))
      .where(p.isAdmin ? undefined : eq(apiTokens.userId, p.userId))
      .orderBy(desc(apiTokens.id))
      .all();
    return rows;
  }

  /** Revoke a token: its owner or a server admin. Returns what the audit log should name. */
  revokeToken(p: Principal, id: number) {
    const row = this.db.select().from(apiTokens).where(eq(apiTokens.id, id)).get();
    if (!row || p.kind !== "user" || (!p.isAdmin && row.userId !== p.userId)) throw new NotFoundError(`no token ${id}`);
    if (row.revokedAt) throw new ConflictError(`token '${row.name}' is already revoked`);
    this.db.update(apiTokens).set({ revokedAt: new Date() }).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt))).run();
    return { name: row.name, kind: row.kind, prefix: row.prefix };
  }

  // --- Kiosk boards ------------------------------------------------------------------------------------

  boards() {
    return this.db.select().from(kioskBoards).orderBy(asc(kioskBoards.slug)).all().map((b) => ({ ...b, sites: JSON.parse(b.sites) as string[] }));
  }

  board(slug: string) {
    const b = this.db.select().from(kioskBoards).where(eq(kioskBoards.slug, slug)).get();
    if (!b) throw new NotFoundError(`no kiosk board '${slug}'`);
    return { ...b, sites: JSON.parse(b.sites) as string[] };
  }

  boardById(id: number) {
    const b = this.db.select().from(kioskBoards).where(eq(kioskBoards.id, id)).get();
    return b && { ...b, sites: JSON.parse(b.sites) as string[] };
  }

  saveBoard(input: { slug: string; title: string; sites: string[] }) {
    const known = new Set(this.db.select({ slug: sites.slug }).from(sites).where(inArray(sites.slug, input.sites)).all().map((s) => s.slug));
    const missing = input.sites.filter((s) => !known.has(s));
    if (missing.length) throw new InvalidInputError(`no site ${missing.map((s) => `'${s}'`).join(", ")}`);
    this.db
      .insert(kioskBoards)
      .values({ slug: input.slug, title: input.title, sites: JSON.stringify(input.sites), createdAt: new Date() })
      .onConflictDoUpdate({ target: kioskBoards.slug, set: { title: input.title, sites: JSON.stringify(input.sites) } })
      .run();
    return this.board(input.slug);
  }

  deleteBoard(slug: string) {
    const b = this.board(slug);
    this.db.delete(kioskBoards).where(eq(kioskBoards.id, b.id)).run();
  }

  /** A kiosk may read the runs of its board's sites; everyone else reads through roles. */
  kioskSees(p: Principal, site: string): boolean {
    if (p.kind !== "kiosk") return false;
    return this.boardById(p.boardId)?.sites.includes(site) ?? false;
  }

  // --- Helpers -----------------------------------------------------------------------------------------

  user(id: string) {
    return this.db.select({ id: user.id, username: user.username, name: user.name, isAdmin: user.isAdmin, disabled: user.disabled }).from(user).where(eq(user.id, id)).get();
  }

  siteId(slug: string): number | undefined {
    return this.db.select({ id: sites.id }).from(sites).where(eq(sites.slug, slug)).get()?.id;
  }

  private requireSite(slug: string): number {
    const id = this.siteId(slug);
    if (id === undefined) throw new NotFoundError(`no site '${slug}'`);
    return id;
  }

  private membership(siteId: number, userId: string): Role | null {
    const m = this.db.select({ role: memberships.role }).from(memberships).where(and(eq(memberships.siteId, siteId), eq(memberships.userId, userId))).get();
    return m ? roleSchema.parse(m.role) : null;
  }
}
