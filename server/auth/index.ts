/** Accounts, roles, tokens and the audit log, assembled once per process (see services.ts). */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../env";
import type { Store } from "../store/types";
import { Access } from "./access";
import { AuditLog } from "./audit";
import { CLIENT_IP_HEADER, createBetterAuth, type BetterAuth } from "./better-auth";
import { ANONYMOUS, type Principal } from "./principal";
import { bearerToken } from "./tokens";
import { Users } from "./users";

export { Access } from "./access";
export { AuditLog, AUDIT_ACTIONS, auditQuerySchema, type AuditAction, type AuditEntry } from "./audit";
export { CLIENT_IP_HEADER } from "./better-auth";
export { actorName, ANONYMOUS, type Principal } from "./principal";
export { atLeast, ROLE_DESCRIPTIONS, ROLES, roleSchema, type Role } from "./roles";

export class AuthService {
  readonly access: Access;
  readonly audit: AuditLog;
  readonly users: Users;
  readonly auth: BetterAuth;

  constructor(store: Store, private readonly env: Env) {
    this.access = new Access(store.accounts);
    this.audit = new AuditLog(store.audit);
    this.users = new Users(store.accounts);
    this.auth = createBetterAuth(store, { secret: env.FLIGHTDECK_AUTH_SECRET ?? authSecret(env.FLIGHTDECK_DATA), baseURL: env.FLIGHTDECK_URL, loginLimit: env.FLIGHTDECK_LOGIN_LIMIT, trustProxy: env.FLIGHTDECK_TRUST_PROXY });
  }

  /** Who sent these headers: a bearer token, else the session cookie, else anonymous. */
  async principal(headers: Headers): Promise<Principal> {
    const token = bearerToken(headers);
    // A bad token is anonymous, never a fall-through to the cookie: a client that sends one means to use it.
    if (token !== undefined) return (await this.access.fromToken(token)) ?? ANONYMOUS;
    if (!headers.get("cookie") || !sameOrigin(headers, this.env.FLIGHTDECK_URL, this.env.FLIGHTDECK_TRUST_PROXY)) return ANONYMOUS;
    const found = await this.auth.api.getSession({ headers });
    if (!found) return ANONYMOUS;
    const u = found.user;
    if (u.disabled) return ANONYMOUS;
    return { kind: "user", userId: u.id, username: u.username ?? u.name, isAdmin: u.isAdmin === true, mustChangePassword: u.mustChangePassword === true };
  }

  /** On first start with no users: an `admin` with FLIGHTDECK_ADMIN_PASSWORD, or a printed one-time password. */
  async ensureAdmin(say: (line: string) => void): Promise<void> {
    if ((await this.users.count()) > 0) return;
    const created = await this.users.create({ username: "admin", name: "Administrator", password: this.env.FLIGHTDECK_ADMIN_PASSWORD, isAdmin: true });
    await this.audit.record({ name: "flightdeck" }, { action: "user.created", target: "admin", detail: { isAdmin: true, firstStart: true } });
    if (created.oneTimePassword) say(`flightdeck: created user 'admin' with the one-time password ${created.oneTimePassword} (it must be changed at first sign-in)`);
    else say("flightdeck: created user 'admin' with the password from FLIGHTDECK_ADMIN_PASSWORD");
  }
}

/**
 * A session cookie counts only from this origin. SameSite=Lax already keeps it off cross-site requests; this
 * also refuses other origins of the same site (another port on the same host), whose forms could post.
 */
function sameOrigin(headers: Headers, publicUrl: string | undefined, trustProxy: boolean): boolean {
  const origin = headers.get("origin");
  if (!origin) return true; // not a browser's cross-origin request: browsers send Origin on those
  try {
    const host = new URL(origin).host;
    // Behind a proxy that rewrites Host, FLIGHTDECK_URL (or the proxy's X-Forwarded-Host) names the public origin.
    return host === headers.get("host") || (trustProxy && host === headers.get("x-forwarded-host")) || (publicUrl !== undefined && host === new URL(publicUrl).host);
  } catch {
    return false;
  }
}

export function clientIp(headers: Headers): string | null {
  return headers.get(CLIENT_IP_HEADER);
}

/** The cookie-signing secret: made once, kept 0600 in the data directory beside the database. */
function authSecret(dataDir: string): string {
  const file = join(dataDir, "auth-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret + "\n", { mode: 0o600, flag: "wx" });
  return secret;
}
