/**
 * Accounts for the e2e specs: the first-start admin (FLIGHTDECK_ADMIN_PASSWORD from playwright.config), users
 * created through the admin's API session, and signing a page in through the login form.
 */
import { expect, type APIRequestContext, type Browser, type Page } from "@playwright/test";
import { ADMIN_PASSWORD } from "../playwright.config";

export const ADMIN = { username: "admin", password: ADMIN_PASSWORD };
export const PASSWORD = "e2e-user-password";

/** Sign `page` in with the login form and wait for the dashboard. */
export async function login(page: Page, username: string, password = username === "admin" ? ADMIN_PASSWORD : PASSWORD) {
  await page.goto("/login");
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

/** A new browser context signed in as `username`. */
export async function signedIn(browser: Browser, username: string, password?: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await login(page, username, password);
  return { context, page };
}

/** Call a tRPC procedure as the request context's session (query: GET, mutation: POST). */
export async function trpc<T = unknown>(request: APIRequestContext, path: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
  const res =
    kind === "mutation"
      ? await request.post(`/api/trpc/${path}`, { data: input })
      : await request.get(`/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`);
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!res.ok() || !body.result) throw new Error(`${path}: ${res.status()} ${body.error?.message ?? ""}`);
  return body.result.data;
}

export async function apiLogin(request: APIRequestContext, username: string, password: string) {
  const res = await request.post("/api/auth/sign-in/username", { data: { username, password } });
  expect(res.ok(), `sign in as ${username}: ${res.status()}`).toBeTruthy();
}

/**
 * Make sure a user exists with PASSWORD and `role` on `site` (idempotent across specs sharing one server).
 * `request` must be signed in as admin.
 */
export async function ensureUser(request: APIRequestContext, username: string, site: string, role: "viewer" | "operator" | "approver" | "admin") {
  const users = await trpc<{ id: string; username: string }[]>(request, "users.list", undefined, "query");
  let id = users.find((u) => u.username === username)?.id;
  if (!id) id = (await trpc<{ id: string }>(request, "users.create", { username, password: PASSWORD })).id;
  await trpc(request, "members.set", { slug: site, userId: id, role });
  return id;
}
