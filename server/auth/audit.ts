/**
 * The audit log: append-only (the table's triggers refuse UPDATE and DELETE). Entries name the actor, the
 * site and what changed; callers pass names and counts, never secret values.
 */
import { and, desc, eq, gte, inArray, like, lt, lte, or, type SQL } from "drizzle-orm";
import { z } from "zod";
import { auditLog } from "../../db/schema";
import type { Db } from "../db";
import { actorId, actorName, type Principal } from "./principal";

export const AUDIT_ACTIONS = [
  "login.succeeded",
  "login.failed",
  "logout",
  "password.changed",
  "user.created",
  "user.updated",
  "role.changed",
  "site.created",
  "site.imported",
  "site.deleted",
  "site.settings",
  "document.saved",
  "secret.set",
  "secret.removed",
  "secret.revealed",
  "secrets.unlocked",
  "run.requested",
  "run.approved",
  "run.rejected",
  "run.cancelled",
  "token.created",
  "token.revoked",
  "board.created",
  "board.deleted",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  action: AuditAction;
  site?: string | null;
  target?: string;
  detail?: Record<string, unknown>;
}

export const auditQuerySchema = z.object({
  site: z.string().max(63).optional(),
  action: z.string().max(40).optional(),
  actor: z.string().max(100).optional(),
  text: z.string().max(200).optional(),
  from: z.number().int().optional(),
  to: z.number().int().optional(),
  /** Entries older than this id: the next page. */
  before: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(500).default(100),
});
export type AuditQuery = z.input<typeof auditQuerySchema>;

export class AuditLog {
  constructor(private readonly db: Db) {}

  record(who: Principal | { name: string; id?: string | null }, entry: AuditEntry, ip?: string | null) {
    const actor = "kind" in who ? actorName(who) : who.name;
    const id = "kind" in who ? actorId(who) : (who.id ?? null);
    this.db
      .insert(auditLog)
      .values({
        at: new Date(),
        actor,
        actorId: id,
        action: entry.action,
        site: entry.site ?? null,
        target: entry.target ?? "",
        detail: JSON.stringify(entry.detail ?? {}),
        ip: ip ?? null,
      })
      .run();
  }

  /** Newest first. `sites` limits the result to the sites the caller may read (undefined: every site). */
  query(input: AuditQuery, sites?: readonly string[]) {
    const q = auditQuerySchema.parse(input);
    if (sites && !sites.length) return { entries: [], more: false };
    const where: (SQL | undefined)[] = [];
    if (sites) where.push(inArray(auditLog.site, [...sites]));
    if (q.site) where.push(eq(auditLog.site, q.site));
    if (q.action) where.push(q.action.endsWith(".") ? like(auditLog.action, `${q.action}%`) : eq(auditLog.action, q.action));
    if (q.actor) where.push(like(auditLog.actor, `%${q.actor}%`));
    if (q.text) where.push(or(like(auditLog.target, `%${q.text}%`), like(auditLog.detail, `%${q.text}%`)));
    if (q.from !== undefined) where.push(gte(auditLog.at, new Date(q.from)));
    if (q.to !== undefined) where.push(lte(auditLog.at, new Date(q.to)));
    if (q.before !== undefined) where.push(lt(auditLog.id, q.before));
    const rows = this.db
      .select()
      .from(auditLog)
      .where(and(...where))
      .orderBy(desc(auditLog.id))
      .limit(q.limit + 1)
      .all();
    const page = rows.slice(0, q.limit);
    return {
      entries: page.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> })),
      more: rows.length > q.limit,
    };
  }
}
