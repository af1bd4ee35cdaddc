/**
 * Dashboard pages answer a signed-out visitor with a redirect to /login from the server, so no page shell
 * flashes and tools see a 307. Only document requests to the dashboard's own pages are gated: the login form,
 * kiosk boards (they bring their own token), the APIs (they answer 401), Next's assets and public files pass.
 */
import type { IncomingHttpHeaders } from "node:http";

const PAGES = /^\/(?:$|(?:sites|admin|audit|tokens|account)(?:\/|$))/;

/** Whether this request is a page of the dashboard that only a signed-in user may see. */
export function isGatedPage(method: string | undefined, url: string | undefined, headers: IncomingHttpHeaders): boolean {
  if ((method !== "GET" && method !== "HEAD") || !url) return false;
  // Client-side navigations fetch React payloads; they handle a lost session themselves (auth-redirect.ts).
  if (headers.rsc !== undefined || headers["next-router-prefetch"] !== undefined) return false;
  return PAGES.test(url.split("?", 1)[0]!);
}

/** /login with the page to come back to (the path and query; never another origin). */
export function loginLocation(url: string): string {
  const back = url.startsWith("/") && !url.startsWith("//") && !url.startsWith("/\\") ? url : "/";
  return back === "/" ? "/login" : `/login?next=${encodeURIComponent(back)}`;
}

/** A Node request's headers as fetch Headers (what the auth service reads). */
export function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  return headers;
}
