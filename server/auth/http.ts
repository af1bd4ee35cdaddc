/** better-auth's endpoints under /api/auth, with sign-ins (failed ones too) and sign-outs in the audit log. */
import type { Services } from "../services";
import { clientIp } from "./index";

export function authRouteHandler(svc: Services) {
  return async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    const signIn = req.method === "POST" && /\/sign-in\/(username|email)$/.test(path);
    const signOut = req.method === "POST" && path.endsWith("/sign-out");
    const ip = clientIp(req.headers);
    let attempted = "";
    if (signIn) {
      const body = (await req.clone().json().catch(() => ({}))) as { username?: unknown; email?: unknown };
      const name = body.username ?? body.email;
      attempted = typeof name === "string" ? name.slice(0, 100) : "";
    }
    const before = signOut ? await svc.auth.principal(req.headers) : undefined;
    const res = await svc.auth.auth.handler(req);
    if (signIn) {
      const user = await svc.auth.users.byUsername(attempted.toLowerCase());
      const code = res.ok ? undefined : ((await res.clone().json().catch(() => ({}))) as { code?: string }).code;
      const reason = res.status === 429 ? "rate limited" : code === "ACCOUNT_DISABLED" ? "account disabled" : res.status === 403 ? "refused (origin check)" : "wrong user name or password";
      await svc.auth.audit.record(
        { name: attempted || "(no name)", id: res.ok ? user?.id : null },
        { action: res.ok ? "login.succeeded" : "login.failed", target: attempted, detail: res.ok ? {} : { status: res.status, reason } },
        ip,
      );
    }
    if (signOut && before && before.kind === "user" && res.ok) await svc.auth.audit.record(before, { action: "logout", target: before.username }, ip);
    return res;
  };
}
