/** Per-site roles, each including the one before: viewer < operator < approver < admin. */
import { z } from "zod";

export const ROLES = ["viewer", "operator", "approver", "admin"] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  viewer: "read documents, hosts and runs",
  operator: "edit documents, request runs, cancel their own runs",
  approver: "approve or reject runs, cancel any run",
  admin: "manage the site's members and settings, reveal secrets",
};

export function atLeast(role: Role | null | undefined, need: Role): boolean {
  return role != null && ROLES.indexOf(role) >= ROLES.indexOf(need);
}

export function lower(a: Role, b: Role): Role {
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}
