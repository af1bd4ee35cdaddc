/** Local users: created by admins (or once, at first start), with scrypt-hashed passwords (better-auth's). */
import { randomBytes, randomUUID } from "node:crypto";
import { hashPassword, verifyPassword } from "better-auth/crypto";
import { ConflictError, InvalidInputError, NotFoundError } from "../store/errors";
import type { AccountStore, UserChange, UserListItem } from "../store/types";
import { MIN_PASSWORD_LENGTH, USERNAME_PATTERN } from "./better-auth";

/** A password good for one sign-in: readable, 16 characters from a 32-letter alphabet (80 bits). */
export function oneTimePassword(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789AB";
  return [...randomBytes(16)].map((b) => alphabet[b % 32]).join("");
}

export class Users {
  constructor(private readonly store: AccountStore) {}

  count(): Promise<number> {
    return this.store.countUsers();
  }

  list(): Promise<UserListItem[]> {
    return this.store.listUsers();
  }

  async byUsername(name: string) {
    const u = await this.store.userByUsername(name);
    return u && { id: u.id, username: u.username, isAdmin: u.isAdmin };
  }

  /** A new user. Without a password, a one-time one is made and returned: it must be changed at first sign-in. */
  async create(input: { username: string; name?: string; password?: string; isAdmin?: boolean }) {
    const name = input.username.toLowerCase();
    if (!USERNAME_PATTERN.test(name)) throw new InvalidInputError("a user name is 2-32 lower-case letters, digits, '.', '_' or '-'");
    if (await this.store.userByUsername(name)) throw new ConflictError(`user '${name}' already exists`);
    const password = input.password ?? oneTimePassword();
    checkPassword(password);
    const hash = await hashPassword(password);
    const id = randomUUID();
    await this.store.createUser(
      {
        id,
        name: input.name?.trim() || name,
        email: `${name}@users.flightdeck.invalid`,
        username: name,
        isAdmin: input.isAdmin ?? false,
        mustChangePassword: input.password === undefined,
        createdAt: new Date(),
      },
      hash,
    );
    return { id, username: name, oneTimePassword: input.password === undefined ? password : undefined };
  }

  async update(id: string, change: UserChange) {
    const before = await this.store.user(id);
    if (!before || !(await this.store.updateUser(id, change))) throw new NotFoundError(`no user ${id}`);
    if (change.disabled) await this.signOutEverywhere(id);
    return { username: before.username ?? before.name, before: { isAdmin: before.isAdmin, disabled: before.disabled, name: before.name } };
  }

  /** A new one-time password; the user's sessions end. */
  async resetPassword(id: string) {
    const password = oneTimePassword();
    await this.setPassword(id, password, true);
    await this.signOutEverywhere(id);
    return password;
  }

  async changeOwnPassword(id: string, current: string, next: string) {
    const stored = await this.store.passwordHash(id);
    if (!stored || !(await verifyPassword({ hash: stored, password: current }))) throw new InvalidInputError("the current password is not right");
    if (current === next) throw new InvalidInputError("choose a password different from the current one");
    checkPassword(next);
    await this.setPassword(id, next, false);
  }

  signOutEverywhere(id: string): Promise<void> {
    return this.store.deleteSessions(id);
  }

  private async setPassword(id: string, password: string, mustChange: boolean) {
    const hash = await hashPassword(password);
    if (!(await this.store.setPassword(id, hash, mustChange))) throw new NotFoundError(`no user ${id}`);
  }
}

function checkPassword(password: string) {
  if (password.length < MIN_PASSWORD_LENGTH) throw new InvalidInputError(`a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > 256) throw new InvalidInputError("a password is at most 256 characters");
}
