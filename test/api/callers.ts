/** tRPC callers acting as real users (created in the store, with real memberships), for router tests. */
import { createCaller } from "../../server/api/root";
import { contextFor } from "../../server/api/trpc";
import type { Principal, Role } from "../../server/auth";
import type { Services } from "../../server/services";

export const TEST_PASSWORD = "correct horse battery";

/** A user (created on first use) with `roles` per site, and a caller acting as them. */
export async function asUser(services: Services, username: string, options: { isAdmin?: boolean; roles?: Record<string, Role> } = {}) {
  const existing = await services.auth.users.byUsername(username);
  const id = existing?.id ?? (await services.auth.users.create({ username, password: TEST_PASSWORD, isAdmin: options.isAdmin })).id;
  for (const [site, role] of Object.entries(options.roles ?? {})) await services.auth.access.setRole(site, id, role);
  const principal: Principal = { kind: "user", userId: id, username, isAdmin: options.isAdmin ?? false, mustChangePassword: false };
  return { id, principal, api: callerAs(services, principal) };
}

export function callerAs(services: Services, principal: Principal) {
  return createCaller(contextFor(services, principal, null));
}

/** Sites in unit tests run without waiting for a reviewer unless the test is about approvals. */
export function noApprovals(services: Services, site: string): Promise<void> {
  return services.sites.setSettings(site, { approvalsRequired: 0 });
}

/** A server admin's decision: the site may run `transport: local` steps (sandboxed) on this server. */
export function allowLocal(services: Services, site: string): Promise<void> {
  return services.sites.setLocalExecution(site, true);
}
