/**
 * The audit log: append-only (the table's triggers refuse UPDATE and DELETE). Entries name the actor, the
 * site and what changed; callers pass names and counts, never secret values.
 */
import { z } from "zod";
import type { AuditStore } from "../store/types";
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
  "host.created",
  "host.updated",
  "host.deleted",
  "group.created",
  "group.updated",
  "group.deleted",
  "variable.set",
  "variable.removed",
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
  "project.created",
  "project.updated",
  "project.deleted",
  "project.site.moved",
  "project.role.changed",
  "notifications.settings",
  "event.received",
  "event.refused",
  "event.settings",
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
  constructor(private readonly store: AuditStore) {}

  async record(who: Principal | { name: string; id?: string | null }, entry: AuditEntry, ip?: string | null): Promise<void> {
    const actor = "kind" in who ? actorName(who) : who.name;
    const id = "kind" in who ? actorId(who) : (who.id ?? null);
    await this.store.insert({
      at: new Date(),
      actor,
      actorId: id,
      action: entry.action,
      site: entry.site ?? null,
      target: entry.target ?? "",
      detail: JSON.stringify(entry.detail ?? {}),
      ip: ip ?? null,
    });
  }

  /** Newest first. `sites` limits the result to the sites the caller may read (undefined: every site). */
  async query(input: AuditQuery, sites?: readonly string[]) {
    const q = auditQuerySchema.parse(input);
    if (sites && !sites.length) return { entries: [], more: false };
    const rows = await this.store.query({
      sites,
      site: q.site,
      action: q.action,
      actionPrefix: q.action?.endsWith("."),
      actor: q.actor,
      text: q.text,
      from: q.from === undefined ? undefined : new Date(q.from),
      to: q.to === undefined ? undefined : new Date(q.to),
      before: q.before,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    return {
      entries: page.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> })),
      more: rows.length > q.limit,
    };
  }
}
