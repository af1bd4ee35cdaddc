/** Local users: created by admins (or once, at first start), with scrypt-hashed passwords (better-auth's). */
import { randomBytes, randomUUID } from "node:crypto";
import { hashPassword, verifyPassword } from "better-auth/crypto";
import { and, asc, count, eq } from "drizzle-orm";
import { account, session, user } from "../../db/schema";
import type { Db } from "../db";
import { ConflictError, InvalidInputError, NotFoundError } from "../store/errors";
import { MIN_PASSWORD_LENGTH, USERNAME_PATTERN } from "./better-auth";

/** A password good for one sign-in: readable, 16 characters from a 32-letter alphabet (80 bits). */
export function oneTimePassword(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789AB";
  return [...randomBytes(16)].map((b) => alphabet[b % 32]).join("");
}

export class Users {
  constructor(private readonly db: Db) {}

  count(): number {
    return this.db.select({ n: count() }).from(user).get()?.n ?? 0;
  }

  list() {
    return this.db
      .select({ id: user.id, username: user.username, name: user.name, isAdmin: user.isAdmin, disabled: user.disabled, mustChangePassword: user.mustChangePassword, createdAt: user.createdAt })
      .from(user)
      .orderBy(asc(user.username))
      .all();
  }

  byUsername(name: string) {
    return this.db.select({ id: user.id, username: user.username, isAdmin: user.isAdmin }).from(user).where(eq(user.username, name)).get();
  }

  /** A new user. Without a password, a one-time one is made and returned: it must be changed at first sign-in. */
  async create(input: { username: string; name?: string; password?: string; isAdmin?: boolean }) {
    const name = input.username.toLowerCase();
    if (!USERNAME_PATTERN.test(name)) throw new InvalidInputError("a user name is 2-32 lower-case letters, digits, '.', '_' or '-'");
    if (this.byUsername(name)) throw new ConflictError(`user '${name}' already exists`);
    const password = input.password ?? oneTimePassword();
    checkPassword(password);
    const hash = await hashPassword(password);
    const id = randomUUID();
    const now = new Date();
    this.db.transaction((tx) => {
      tx.insert(user)
        .values({
          id,
          name: input.name?.trim() || name,
          email: `${name}@users.flightdeck.invalid`,
          username: name,
          displayUsername: name,
          isAdmin: input.isAdmin ?? false,
          mustChangePassword: input.password === undefined,
          createdAt: now,
          updatedAt: now,
        })
        .run();
      tx.insert(account).values({ id: randomUUID(), accountId: id, providerId: "credential", userId: id, password: hash, createdAt: now, updatedAt: now }).run();
    });
    return { id, username: name, oneTimePassword: input.password === undefined ? password : undefined };
  }

  update(id: string, change: { isAdmin?: boolean; disabled?: boolean; name?: string }) {
    const before = this.db.select().from(user).where(eq(user.id, id)).get();
    if (!before) throw new NotFoundError(`no user ${id}`);
    this.db.update(user).set({ ...change, updatedAt: new Date() }).where(eq(user.id, id)).run();
    if (change.disabled) this.signOutEverywhere(id);
    return { username: before.username ?? before.name, before: { isAdmin: before.isAdmin, disabled: before.disabled, name: before.name } };
  }

  /** A new one-time password; the user's sessions end. */
  async resetPassword(id: string) {
    const password = oneTimePassword();
    await this.setPassword(id, password, true);
    this.signOutEverywhere(id);
    return password;
  }

  async changeOwnPassword(id: string, current: string, next: string) {
    const row = this.db.select({ password: account.password }).from(account).where(and(eq(account.userId, id), eq(account.providerId, "credential"))).get();
    if (!row?.password || !(await verifyPassword({ hash: row.password, password: current }))) throw new InvalidInputError("the current password is not right");
    if (current === next) throw new InvalidInputError("choose a password different from the current one");
    checkPassword(next);
    await this.setPassword(id, next, false);
  }

  signOutEverywhere(id: string) {
    this.db.delete(session).where(eq(session.userId, id)).run();
  }

  private async setPassword(id: string, password: string, mustChange: boolean) {
    const hash = await hashPassword(password);
    const now = new Date();
    this.db.transaction((tx) => {
      const updated = tx.update(account).set({ password: hash, updatedAt: now }).where(and(eq(account.userId, id), eq(account.providerId, "credential"))).run();
      if (updated.changes === 0) throw new NotFoundError(`no user ${id}`);
      tx.update(user).set({ mustChangePassword: mustChange, updatedAt: now }).where(eq(user.id, id)).run();
    });
  }
}

function checkPassword(password: string) {
  if (password.length < MIN_PASSWORD_LENGTH) throw new InvalidInputError(`a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > 256) throw new InvalidInputError("a password is at most 256 characters");
}
