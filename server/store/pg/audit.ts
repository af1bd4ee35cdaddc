/**
 * The audit log in PostgreSQL: inserts and queries only (triggers refuse UPDATE, DELETE and TRUNCATE:
 * db/pg/migrations/0001_audit_append_only.sql). Substring filters match as SQLite's LIKE does: ASCII
 * case-insensitive (ILIKE), and with no escape character (PostgreSQL's LIKE would otherwise treat `\` as one).
 */
import { and, desc, eq, gte, inArray, lt, lte, or, sql, type AnyColumn, type SQL } from "drizzle-orm";
import { auditLog } from "../../../db/pg/schema";
import type { AuditFilter, AuditRow, AuditStore, NewAuditEntry } from "../types";
import type { PgDb } from "./db";

const likeSqlite = (column: AnyColumn, pattern: string): SQL => sql`${column} ilike ${pattern} escape ''`;

export class PgAuditStore implements AuditStore {
  constructor(private readonly db: PgDb) {}

  async insert(entry: NewAuditEntry): Promise<void> {
    await this.db.insert(auditLog).values(entry);
  }

  async query(f: AuditFilter): Promise<AuditRow[]> {
    if (f.sites && !f.sites.length) return [];
    const where: (SQL | undefined)[] = [];
    if (f.sites) where.push(inArray(auditLog.site, [...f.sites]));
    if (f.site) where.push(eq(auditLog.site, f.site));
    if (f.action) where.push(f.actionPrefix ? sql`${auditLog.action} like ${`${f.action}%`} escape ''` : eq(auditLog.action, f.action));
    if (f.actor) where.push(likeSqlite(auditLog.actor, `%${f.actor}%`));
    if (f.text) where.push(or(likeSqlite(auditLog.target, `%${f.text}%`), likeSqlite(auditLog.detail, `%${f.text}%`)));
    if (f.from) where.push(gte(auditLog.at, f.from));
    if (f.to) where.push(lte(auditLog.at, f.to));
    if (f.before !== undefined) where.push(lt(auditLog.id, f.before));
    return this.db
      .select()
      .from(auditLog)
      .where(and(...where))
      .orderBy(desc(auditLog.id))
      .limit(f.limit);
  }
}
