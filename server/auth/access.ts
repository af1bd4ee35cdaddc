/**
 * Who may do what: site and project memberships, API and kiosk tokens, kiosk boards. Every endpoint asks
 * `roleOn` (or `kioskSees`) with the caller's principal; nothing here trusts what the browser hides or shows.
 * The rules are here, once; the rows come from the store (SQLite or PostgreSQL).
 *
 * A user's role on a site is the highest of: admin for a server admin, their role on the site's project, their
 * role on the site (a site grant adds to the project's, never lowers it). A token acts on its site, or on every
 * site of its project, with at most its own role and never more than its owner still has there.
 */
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from "../store/errors";
import type { AccountStore, KioskBoard, UserRef } from "../store/types";
import type { Principal } from "./principal";
import { atLeast, lower, roleSchema, type Role } from "./roles";
import { hashToken, looksLikeToken, newToken } from "./tokens";

const LAST_USED_RESOLUTION_MS = 60_000;

/** The higher of two roles (null: none). */
export function higher(a: Role | null, b: Role | null): Role | null {
  if (a === null) return b;
  if (b === null) return a;
  return atLeast(a, b) ? a : b;
}

/** A user's role on a site from its parts: a server admin is admin everywhere; otherwise the higher grant. */
export function effectiveRole(parts: { isAdmin: boolean; projectRole: Role | null; siteRole: Role | null }): Role | null {
  return parts.isAdmin ? "admin" : higher(parts.projectRole, parts.siteRole);
}

export class Access {
  constructor(private readonly store: AccountStore) {}

  // --- Roles -------------------------------------------------------------------------------------------

  /** The caller's role on a site, or null: none, anonymous, or a kiosk (kiosks read boards, not sites). */
  async roleOn(p: Principal, site: string): Promise<Role | null> {
    if (p.kind === "anonymous" || p.kind === "kiosk") return null;
    const siteId = await this.store.siteId(site);
    if (siteId === undefined) return null;
    return this.roleOnId(p, siteId);
  }

  private async roleOnId(p: Principal, siteId: number): Promise<Role | null> {
    if (p.kind === "anonymous" || p.kind === "kiosk") return null;
    if (p.kind === "user") return p.isAdmin ? "admin" : this.memberRole(siteId, p.userId);
    const inScope = p.siteId !== null ? p.siteId === siteId : p.projectId !== null && p.projectId === (await this.store.projectOfSite(siteId));
    if (!inScope) return null;
    // A token never holds more than its owner still has: revoking the owner's role revokes the token's.
    const owner = await this.store.user(p.userId);
    if (!owner || owner.disabled) return null;
    const ownerRole = owner.isAdmin ? "admin" : await this.memberRole(siteId, p.userId);
    return ownerRole ? lower(ownerRole, p.role) : null;
  }

  /** A (non-admin) user's role on a site: the higher of their project's grant and the site's. */
  private async memberRole(siteId: number, userId: string): Promise<Role | null> {
    const [siteRole, projectId] = await Promise.all([this.membership(siteId, userId), this.store.projectOfSite(siteId)]);
    const projectRole = projectId === undefined ? null : await this.projectMembership(projectId, userId);
    return effectiveRole({ isAdmin: false, projectRole, siteRole });
  }

  async require(p: Principal, site: string, need: Role): Promise<Role> {
    const role = await this.roleOn(p, site);
    if (atLeast(role, need)) return role!;
    if (role === null && !(await this.store.siteId(site))) throw new NotFoundError(`no site '${site}'`);
    throw new ForbiddenError(
      role === null ? `you have no role on site '${site}'; ask a site admin for access` : `this needs the ${need} role on site '${site}'; you are ${role}`,
    );
  }

  /** Slugs of the sites the caller can read. */
  async readableSites(p: Principal): Promise<string[]> {
    if (p.kind === "user" && p.isAdmin) return this.store.allSiteSlugs();
    if (p.kind === "user") {
      const [own, viaProjects] = await Promise.all([this.store.memberSites(p.userId), this.store.projectMemberSites(p.userId)]);
      return [...new Set([...own, ...viaProjects])];
    }
    if (p.kind === "token") {
      const candidates = p.siteId !== null ? [{ id: p.siteId, slug: await this.store.siteSlug(p.siteId) }] : p.projectId !== null ? await this.store.projectSites(p.projectId) : [];
      const readable: string[] = [];
      for (const site of candidates) if (site.slug && (await this.roleOnId(p, site.id))) readable.push(site.slug);
      return readable;
    }
    return [];
  }

  // --- Projects ----------------------------------------------------------------------------------------

  /**
   * The caller's role on a project itself (what its members and project-scoped tokens hold on all its sites),
   * or null. Site grants inside the project do not count: they reach their site only.
   */
  async projectRoleOn(p: Principal, project: string): Promise<Role | null> {
    if (p.kind === "anonymous" || p.kind === "kiosk") return null;
    const projectId = await this.store.projectId(project);
    if (projectId === undefined) return null;
    if (p.kind === "user") return p.isAdmin ? "admin" : this.projectMembership(projectId, p.userId);
    if (p.projectId !== projectId) return null;
    const owner = await this.store.user(p.userId);
    if (!owner || owner.disabled) return null;
    const ownerRole = owner.isAdmin ? "admin" : await this.projectMembership(projectId, p.userId);
    return ownerRole ? lower(ownerRole, p.role) : null;
  }

  /** The project, when the caller holds at least `need` on it (ForbiddenError naming the role, NotFoundError). */
  async requireProject(p: Principal, project: string, need: Role): Promise<Role> {
    const role = await this.projectRoleOn(p, project);
    if (atLeast(role, need)) return role!;
    if (role === null && (await this.store.projectId(project)) === undefined) throw new NotFoundError(`no project '${project}'`);
    throw new ForbiddenError(
      role === null ? `you have no role on project '${project}'; ask a server admin or a project admin for access` : `this needs the ${need} role on project '${project}'; you are ${role}`,
    );
  }

  /**
   * Whether the caller can see a project: a role on it, or on one of its sites (the sites page groups what the
   * caller reads by project, so their projects' names are visible to them).
   */
  async readsProject(p: Principal, project: string, readable?: readonly string[]): Promise<boolean> {
    if (await this.projectRoleOn(p, project)) return true;
    const projectId = await this.store.projectId(project);
    if (projectId === undefined) return false;
    const reads = new Set(readable ?? (await this.readableSites(p)));
    return (await this.store.projectSites(projectId)).some((s) => reads.has(s.slug));
  }

  async projectMembers(project: string) {
    const projectId = await this.requireProjectId(project);
    return (await this.store.projectMembers(projectId)).map((m) => ({ ...m, role: roleSchema.parse(m.role) }));
  }

  /** Set (or with null, remove) a user's role on a project; returns the previous role for the audit log. */
  async setProjectRole(project: string, userId: string, role: Role | null): Promise<Role | null> {
    const projectId = await this.requireProjectId(project);
    if (!(await this.store.user(userId))) throw new NotFoundError(`no user ${userId}`);
    const previous = await this.projectMembership(projectId, userId);
    await this.store.setProjectMembership(projectId, userId, role);
    return previous;
  }

  async members(site: string) {
    const siteId = await this.requireSite(site);
    return (await this.store.members(siteId)).map((m) => ({ ...m, role: roleSchema.parse(m.role) }));
  }

  /** Set (or with null, remove) a user's role on a site; returns the previous role for the audit log. */
  async setRole(site: string, userId: string, role: Role | null): Promise<Role | null> {
    const siteId = await this.requireSite(site);
    if (!(await this.store.user(userId))) throw new NotFoundError(`no user ${userId}`);
    const previous = await this.membership(siteId, userId);
    await this.store.setMembership(siteId, userId, role);
    return previous;
  }

  // --- Tokens ------------------------------------------------------------------------------------------

  /** The principal a bearer token stands for, or null when it is unknown, revoked, expired or its owner disabled. */
  async fromToken(token: string): Promise<Principal | null> {
    if (!looksLikeToken(token)) return null;
    const row = await this.store.tokenByHash(hashToken(token));
    const now = Date.now();
    if (!row || row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= now)) return null;
    const owner = await this.store.user(row.userId);
    if (!owner || owner.disabled) return null;
    if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) await this.store.touchToken(row.id, new Date(now));
    if (row.kind === "kiosk" && row.boardId !== null) return { kind: "kiosk", tokenId: row.id, boardId: row.boardId };
    if (row.kind === "api" && (row.siteId !== null) !== (row.projectId !== null) && row.role) {
      return {
        kind: "token",
        tokenId: row.id,
        tokenName: row.name,
        userId: row.userId,
        username: owner.username ?? owner.name,
        siteId: row.siteId,
        projectId: row.projectId,
        role: roleSchema.parse(row.role),
      };
    }
    return null;
  }

  /**
   * A new API token acting for `owner` with `role` on `site`, or on every site of `project` (exactly one of
   * them): never more than the owner's own role there (on a project: their role on the project itself).
   */
  async createApiToken(owner: Principal, input: { name: string; site?: string; project?: string; role: Role; expiresInDays?: number }) {
    if (owner.kind !== "user") throw new ForbiddenError("only a signed-in user can create tokens");
    if ((input.site === undefined) === (input.project === undefined)) throw new InvalidInputError("a token is scoped to a site or to a project: give exactly one of them");
    const [held, where] =
      input.site !== undefined
        ? [await this.require(owner, input.site, "viewer"), `site '${input.site}'`]
        : [await this.requireProject(owner, input.project!, "viewer"), `project '${input.project}'`];
    if (!atLeast(held, input.role)) throw new ForbiddenError(`you are ${held} on ${where}: a token cannot have the ${input.role} role`);
    const t = newToken("api");
    const id = await this.store.insertToken({
      kind: "api",
      name: input.name,
      prefix: t.prefix,
      hash: t.hash,
      userId: owner.userId,
      siteId: input.site !== undefined ? await this.requireSite(input.site) : null,
      projectId: input.project !== undefined ? await this.requireProjectId(input.project) : null,
      role: input.role,
      boardId: null,
      createdAt: new Date(),
      expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
    });
    return { id, token: t.token, prefix: t.prefix };
  }

  async createKioskToken(owner: Principal, input: { name: string; board: string }) {
    if (owner.kind !== "user" || !owner.isAdmin) throw new ForbiddenError("only a server admin can create kiosk tokens");
    const board = await this.board(input.board);
    const t = newToken("kiosk");
    const id = await this.store.insertToken({
      kind: "kiosk",
      name: input.name,
      prefix: t.prefix,
      hash: t.hash,
      userId: owner.userId,
      siteId: null,
      projectId: null,
      role: null,
      boardId: board.id,
      createdAt: new Date(),
      expiresAt: null,
    });
    return { id, token: t.token, prefix: t.prefix };
  }

  /** Tokens the caller may see: their own, or every token for a server admin. Never the hash. */
  async tokens(p: Principal) {
    if (p.kind !== "user") return [];
    return this.store.listTokens(p.isAdmin ? undefined : p.userId);
  }

  /** Revoke a token: its owner or a server admin. Returns what the audit log should name. */
  async revokeToken(p: Principal, id: number) {
    const row = await this.store.tokenById(id);
    if (!row || p.kind !== "user" || (!p.isAdmin && row.userId !== p.userId)) throw new NotFoundError(`no token ${id}`);
    if (row.revokedAt || !(await this.store.revokeToken(id, new Date()))) throw new ConflictError(`token '${row.name}' is already revoked`);
    return { name: row.name, kind: row.kind, prefix: row.prefix };
  }

  // --- Kiosk boards ------------------------------------------------------------------------------------

  boards(): Promise<KioskBoard[]> {
    return this.store.boards();
  }

  async board(slug: string): Promise<KioskBoard> {
    const b = await this.store.boardBySlug(slug);
    if (!b) throw new NotFoundError(`no kiosk board '${slug}'`);
    return b;
  }

  boardById(id: number): Promise<KioskBoard | undefined> {
    return this.store.boardById(id);
  }

  async saveBoard(input: { slug: string; title: string; sites: string[] }): Promise<KioskBoard> {
    const known = new Set(await this.store.existingSites(input.sites));
    const missing = input.sites.filter((s) => !known.has(s));
    if (missing.length) throw new InvalidInputError(`no site ${missing.map((s) => `'${s}'`).join(", ")}`);
    await this.store.saveBoard(input);
    return this.board(input.slug);
  }

  async deleteBoard(slug: string): Promise<void> {
    const b = await this.board(slug);
    await this.store.deleteBoard(b.id);
  }

  /** A kiosk may read the runs of its board's sites; everyone else reads through roles. */
  async kioskSees(p: Principal, site: string): Promise<boolean> {
    if (p.kind !== "kiosk") return false;
    return (await this.boardById(p.boardId))?.sites.includes(site) ?? false;
  }

  // --- Helpers -----------------------------------------------------------------------------------------

  user(id: string): Promise<UserRef | undefined> {
    return this.store.user(id);
  }

  siteId(slug: string): Promise<number | undefined> {
    return this.store.siteId(slug);
  }

  private async requireSite(slug: string): Promise<number> {
    const id = await this.store.siteId(slug);
    if (id === undefined) throw new NotFoundError(`no site '${slug}'`);
    return id;
  }

  private async requireProjectId(slug: string): Promise<number> {
    const id = await this.store.projectId(slug);
    if (id === undefined) throw new NotFoundError(`no project '${slug}'`);
    return id;
  }

  private async projectMembership(projectId: number, userId: string): Promise<Role | null> {
    const role = await this.store.projectMembership(projectId, userId);
    return role === null ? null : roleSchema.parse(role);
  }

  private async membership(siteId: number, userId: string): Promise<Role | null> {
    const role = await this.store.membership(siteId, userId);
    return role === null ? null : roleSchema.parse(role);
  }
}
