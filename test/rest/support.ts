/**
 * One server for REST tests: test/api/http-server.ts, signed-in clients per role, and fresh sites (local hosts
 * a, b, c; deployment `dep`; local execution on; no approvals) with every role client a member.
 */
import assert from "node:assert/strict";
import { localInventory, workflow } from "../engine/fleet-site";
import { Client } from "../api/client";
import { startHttpServer } from "../api/http-server";
import type { Role } from "../../server/auth";
import type { TourContext, TourRole } from "./tour/types";

export const PASSWORD = "correct horse battery";
export const SITE_YAML = `${localInventory(["a", "b", "c"])}---\n${workflow(`  - {name: one, action: cmd.run, params: {cmd: "true"}}`, "", "[all]", "dep")}`;

const SITE_ROLES: Record<Exclude<TourRole, "anonymous" | "admin">, Role> = { viewer: "viewer", operator: "operator", approver: "approver", siteadmin: "admin" };

export async function startRestServer(env: Record<string, string> = {}) {
  const server = await startHttpServer(env);
  const admin = new Client(server.url, "admin");
  assert.equal(await admin.signIn("admin", "admin-password-1"), 200);
  const clients = { admin, anonymous: new Client(server.url, "anonymous") } as Record<TourRole, Client>;
  const ids: Record<string, string> = {};
  for (const name of Object.keys(SITE_ROLES) as (keyof typeof SITE_ROLES)[]) {
    ids[name] = (await admin.ok<{ id: string }>("users.create", { username: name, password: PASSWORD })).id;
    const c = new Client(server.url, name);
    assert.equal(await c.signIn(name, PASSWORD), 200, `${name} signs in`);
    clients[name] = c;
  }
  let n = 0;
  /** A fresh site with every role client a member with its role. */
  async function freshSite(prefix = "tour"): Promise<string> {
    const slug = `${prefix}-${++n}`;
    await server.services.sites.create({ slug, name: slug, files: [{ path: "site.yml", content: SITE_YAML }], author: "t", message: "m" });
    await server.services.sites.setLocalExecution(slug, true);
    await server.services.sites.setSettings(slug, { approvalsRequired: 0 });
    for (const [name, role] of Object.entries(SITE_ROLES)) await server.services.auth.access.setRole(slug, ids[name]!, role);
    return slug;
  }
  async function context(): Promise<TourContext> {
    return { url: server.url, services: server.services, clients, site: await freshSite() };
  }
  return { ...server, clients, ids, freshSite, context };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

/** A request with the client's credentials, over real HTTP; the body parsed when it is JSON. */
export async function call(url: string, client: Client | undefined, method: string, path: string, init: { body?: string | Uint8Array; json?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(client?.headers() ?? {}), ...(init.json !== undefined ? { "content-type": "application/json" } : {}), ...init.headers };
  const body: BodyInit | undefined = init.json !== undefined ? JSON.stringify(init.json) : init.body === undefined ? undefined : typeof init.body === "string" ? init.body : new Blob([init.body as Uint8Array<ArrayBuffer>]);
  const res = await fetch(`${url}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: /json/.test(res.headers.get("content-type") ?? "") && text ? (JSON.parse(text) as unknown) : text };
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: { pointer: string; detail: string }[];
}

/** Asserts a problem document of this kind and status, and returns it. */
export function assertProblem(r: Reply, status: number, kind: string): Problem {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.headers.get("content-type"), "application/problem+json");
  const p = r.body as Problem;
  assert.equal(p.type, `/api/docs#problem-${kind}`);
  assert.equal(p.status, status);
  assert.ok(p.title && p.detail, "a title and a detail");
  assert.doesNotMatch(JSON.stringify(p), /\n\s+at |\.ts:\d+/, "never a stack trace");
  return p;
}
