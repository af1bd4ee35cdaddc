/** REST responses: JSON bodies, and domain errors mapped to status codes in one place. */
import { actorName, clientIp, type AuditEntry, type Principal } from "../auth";
import { services, type Services } from "../services";
import { ERROR_STATUS, errorCode, ForbiddenError, retryAfterOf, UnauthorizedError } from "../errors";

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

/** A domain error (told apart by code: it may come from the server's module graph, not this bundle's) or a bug. */
export function errorResponse(e: unknown): Response {
  const code = errorCode(e);
  if (!code) {
    console.error(`rest: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return json({ error: "internal error; see the server log" }, 500);
  }
  const headers: Record<string, string> = { "cache-control": "no-store" };
  if (code === "UNAUTHORIZED") headers["www-authenticate"] = 'Bearer realm="flightdeck"';
  const retry = retryAfterOf(e);
  if (retry !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(retry)));
  return Response.json({ error: (e as Error).message, code }, { status: ERROR_STATUS[code], headers });
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
