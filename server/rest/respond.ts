/** The hand-written REST routes' responses: JSON bodies, and errors as problem documents (server/rest/problem.ts). */
import { actorName, clientIp, type AuditEntry, type Principal } from "../auth";
import { services, type Services } from "../services";
import { ForbiddenError, UnauthorizedError } from "../errors";
import { problemOf } from "./problem";

export function json(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

export async function handle(work: () => Response | Promise<Response>): Promise<Response> {
  try {
    return await work();
  } catch (e) {
    return errorResponse(e);
  }
}

/** A domain error (told apart by code: it may come from the server's module graph, not this bundle's) or a bug, as an RFC 9457 problem. */
export function errorResponse(e: unknown, instance = ""): Response {
  return problemOf(e, instance);
}

export type Caller = Exclude<Principal, { kind: "anonymous" } | { kind: "kiosk" }>;

/**
 * Every REST route starts here: the caller from `Authorization: Bearer` or the session cookie. Kiosk tokens
 * read their board through the dashboard's API only, so they are refused here like anonymous callers.
 */
export async function restCaller(req: Request): Promise<{ caller: Caller; svc: Services; actor: string; audit: (entry: AuditEntry) => Promise<void> }> {
  const svc = await services();
  const p = await svc.auth.principal(req.headers);
  if (p.kind === "anonymous") throw new UnauthorizedError("send an API token as 'Authorization: Bearer <token>' (create one in the dashboard under Tokens)");
  if (p.kind === "kiosk") throw new ForbiddenError("a kiosk token reads its board and nothing else");
  if (p.kind === "user" && p.mustChangePassword) throw new ForbiddenError("change your one-time password first");
  const ip = clientIp(req.headers);
  return { caller: p, svc, actor: actorName(p), audit: (entry) => svc.auth.audit.record(p, entry, ip) };
}
