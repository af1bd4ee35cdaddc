/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous: the methods are async to fit the Store interface, so that a throw arrives as a rejection like on PostgreSQL */
/** The audit log in SQLite (append-only: the table's triggers refuse UPDATE and DELETE). */
import { and, desc, eq, gte, inArray, like, lt, lte, or, type SQL } from "drizzle-orm";
import { auditLog } from "../../../db/schema";
import type { AuditFilter, AuditRow, AuditStore, NewAuditEntry } from "../types";
import type { Db } from "./db";

export class SqliteAuditStore implements AuditStore {
  constructor(private readonly db: Db) {}

  async insert(entry: NewAuditEntry): Promise<void> {
    this.db.insert(auditLog).values(entry).run();
  }

  async query(f: AuditFilter): Promise<AuditRow[]> {
    // SQLite's LIKE is case-insensitive for ASCII, which is what AuditFilter promises.
    const where: (SQL | undefined)[] = [];
    if (f.sites) where.push(inArray(auditLog.site, [...f.sites]));
    if (f.site) where.push(eq(auditLog.site, f.site));
    if (f.action) where.push(f.actionPrefix ? like(auditLog.action, `${f.action}%`) : eq(auditLog.action, f.action));
    if (f.actor) where.push(like(auditLog.actor, `%${f.actor}%`));
    if (f.text) where.push(or(like(auditLog.target, `%${f.text}%`), like(auditLog.detail, `%${f.text}%`)));
    if (f.from) where.push(gte(auditLog.at, f.from));
    if (f.to) where.push(lte(auditLog.at, f.to));
    if (f.before !== undefined) where.push(lt(auditLog.id, f.before));
    return this.db
      .select()
      .from(auditLog)
      .where(and(...where))
      .orderBy(desc(auditLog.id))
      .limit(f.limit)
      .all();
  }
}
