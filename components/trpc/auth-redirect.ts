/**
 * What a failed API call means for the session: signed out (go to /login and come back) or signed in with a
 * one-time password still to change (go to /account/password). Shared by the query client and socket joins.
 */

/** Pages that need no signed-in user: the login form itself and kiosk boards (they carry their own token). */
export function isPublicPath(pathname: string): boolean {
  return pathname === "/login" || pathname.startsWith("/login/") || pathname === "/kiosk" || pathname.startsWith("/kiosk/");
}

/** A same-site path to come back to after signing in; anything else (another origin, "//host") becomes "/". */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || next.startsWith("/login")) return "/";
  return next;
}

export function here(): string {
  return window.location.pathname + window.location.search + window.location.hash;
}

export function loginHref(next = here()): string {
  const back = safeNext(next);
  return back === "/" ? "/login" : `/login?next=${encodeURIComponent(back)}`;
}

let leaving = false;

/**
 * The in-app link the user followed last. A session that ended is often found by the page being left (its
 * refetch fails) while the next page's payload is still loading, so the bar shows the old address: the user
 * means to come back to where they were going. Recorded in the capture phase, before the router handles it.
 */
let following: { href: string; at: number } | undefined;
if (typeof document !== "undefined") {
  document.addEventListener(
    "click",
    (e) => {
      const link = e.target instanceof Element ? e.target.closest("a[href]") : null;
      if (!(link instanceof HTMLAnchorElement) || link.hasAttribute("download") || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const url = new URL(link.href, window.location.href);
      if (url.origin === window.location.origin && !url.pathname.startsWith("/api/")) following = { href: url.pathname + url.search + url.hash, at: Date.now() };
    },
    true,
  );
}

/** Where to come back to after signing in: the link being followed, if it was clicked just now, else here. */
function destination(): string {
  return following && Date.now() - following.at < 10_000 ? following.href : here();
}

/** Leave for the login form (once, however many requests fail at the same moment). */
export function goToLogin() {
  if (typeof window === "undefined" || leaving || isPublicPath(window.location.pathname)) return;
  leaving = true;
  // A full navigation: cached data of the old session goes with the page, and an editor with unsaved text
  // gets its "leave this page?" prompt. It waits a moment, so that a client-side navigation whose first
  // request failed has put its own address in the bar: that is where the user comes back to.
  window.setTimeout(() => {
    window.location.assign(loginHref(destination()));
    // The user may stay (the prompt): let a later failure ask again.
    window.setTimeout(() => (leaving = false), 1000);
  }, 150);
}

export function goToPasswordChange() {
  if (typeof window === "undefined" || isPublicPath(window.location.pathname) || window.location.pathname === "/account/password") return;
  window.location.assign(`/account/password?next=${encodeURIComponent(safeNext(here()))}`);
}

interface ErrorShape {
  message?: unknown;
  data?: { code?: unknown; httpStatus?: unknown } | null;
}

/** The tRPC error code of an API error ("UNAUTHORIZED", "FORBIDDEN", ...), if it is one. */
export function errorCode(e: unknown): string | undefined {
  const data = (e as ErrorShape | null)?.data;
  return typeof data?.code === "string" ? data.code : undefined;
}

/** Whether the caller's session is the problem, and which way to send them. */
export function sessionProblem(e: unknown): "signed-out" | "password" | null {
  const code = errorCode(e);
  if (code === "UNAUTHORIZED") return "signed-out";
  const message = (e as ErrorShape).message;
  if (code === "FORBIDDEN" && typeof message === "string" && /one-time password/.test(message)) return "password";
  return null;
}

export function handleSessionProblem(e: unknown) {
  const problem = sessionProblem(e);
  if (problem === "signed-out") goToLogin();
  else if (problem === "password") goToPasswordChange();
}

/** Retrying cannot fix a refused or invalid request: only server errors and network failures are retried. */
export function retryable(e: unknown): boolean {
  const status = (e as ErrorShape | null)?.data?.httpStatus;
  return !(typeof status === "number" && status >= 400 && status < 500);
}
