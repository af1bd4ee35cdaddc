/** REST responses: JSON bodies, and domain errors mapped to status codes in one place. */
import { actorName, clientIp, type AuditEntry, type Principal } from "../auth";
import { services, type Services } from "../services";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError } from "../store/errors";

export function json(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

export async function handle(work: () => Response | Promise<Response>): Promise<Response> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof NotFoundError) return json({ error: e.message }, 404);
    if (e instanceof ConflictError) return json({ error: e.message }, 409);
    if (e instanceof InvalidInputError) return json({ error: e.message }, 400);
    if (e instanceof ForbiddenError) return json({ error: e.message }, 403);
    if (e instanceof UnauthorizedError) return Response.json({ error: e.message }, { status: 401, headers: { "www-authenticate": 'Bearer realm="flightdeck"', "cache-control": "no-store" } });
    console.error(`rest: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return json({ error: "internal error; see the server log" }, 500);
  }
}

export type Caller = Exclude<Principal, { kind: "anonymous" } | { kind: "kiosk" }>;

/**
 * Every REST route starts here: the caller from `Authorization: Bearer` or the session cookie. Kiosk tokens
 * read their board through the dashboard's API only, so they are refused here like anonymous callers.
 */
export async function restCaller(req: Request): Promise<{ caller: Caller; svc: Services; actor: string; audit: (entry: AuditEntry) => void }> {
  const svc = services();
  const p = await svc.auth.principal(req.headers);
  if (p.kind === "anonymous") throw new UnauthorizedError("send an API token as 'Authorization: Bearer <token>' (create one in the dashboard under Tokens)");
  if (p.kind === "kiosk") throw new ForbiddenError("a kiosk token reads its board and nothing else");
  if (p.kind === "user" && p.mustChangePassword) throw new ForbiddenError("change your one-time password first");
  const ip = clientIp(req.headers);
  return { caller: p, svc, actor: actorName(p), audit: (entry) => svc.auth.audit.record(p, entry, ip) };
}
