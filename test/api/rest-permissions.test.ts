/**
 * The REST permission matrix of sites, runs, files, revisions, secrets and audit over real HTTP (/api/v1): every
 * operation called by every kind of caller: anonymous, a kiosk token, a revoked token, a user with no role on the
 * site, each role, a server admin, and API tokens (site-scoped and project-scoped). Refusals are 401 (anonymous, revoked token) or 403 problem
 * documents; allowed calls get past the check (they may still fail on their input, arranged so nothing is destroyed).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { atLeast, type Role } from "../../server/auth";
import { localInventory, workflow } from "../engine/fleet-site";
import { Client } from "./client";
import { startHttpServer } from "./http-server";

const PASSWORD = "correct horse battery";
const SITE = `${localInventory(["a", "b"])}---
${workflow(`  - {name: one, action: cmd.run, params: {cmd: "true"}}`, "", "[all]", "dep")}`;

type Need = { site: Role } | "server-admin" | "signed-in";
interface Op {
  operation: string;
  need: Need;
  method: string;
  path: () => string;
  body?: unknown;
  headers?: Record<string, string>;
}
interface Profile {
  role: Role | null;
  user: boolean;
  serverAdmin: boolean;
  /** Refused before any role is asked: anonymous or a revoked token (401), a kiosk token (403). */
  refused?: 401 | 403;
}

let server: Awaited<ReturnType<typeof startHttpServer>>;
const clients: Record<string, Client> = {};
const profile: Record<string, Profile> = {};
let run = 0;

before(async () => {
  server = await startHttpServer({ FLIGHTDECK_API_BURST: "100000", FLIGHTDECK_API_RATE: "100000" });
  const { services, url } = server;
  for (const slug of ["alpha", "beta"]) {
    await services.sites.create({ slug, name: slug, files: [{ path: "site.yml", content: SITE }], author: "t", message: "m" });
    await services.sites.setLocalExecution(slug, true);
  }
  const admin = new Client(url, "admin", undefined, "127.0.0.2");
  assert.equal(await admin.signIn("admin", "admin-password-1"), 200);
  clients.admin = admin;
  profile.admin = { role: "admin", user: true, serverAdmin: true };
  const roles: Record<string, Role | null> = { outsider: null, viewer: "viewer", operator: "operator", approver: "approver", siteadmin: "admin" };
  let n = 3;
  for (const [name, role] of Object.entries(roles)) {
    const { id } = await admin.ok<{ id: string }>("users.create", { username: name, password: PASSWORD });
    await admin.ok("members.set", { slug: role ? "alpha" : "beta", userId: id, role: role ?? "viewer" });
    const c = new Client(url, name, undefined, `127.0.0.${n++}`);
    assert.equal(await c.signIn(name, PASSWORD), 200, `${name} signs in`);
    clients[name] = c;
    profile[name] = { role, user: true, serverAdmin: false };
  }
  const token = async (owner: string, name: string, role: Role) => (await clients[owner]!.ok<{ token: string; id: number }>("tokens.create", { name, site: "alpha", role }));
  const op = await token("operator", "ci", "operator");
  clients.opToken = new Client(url, "opToken", op.token);
  profile.opToken = { role: "operator", user: false, serverAdmin: false };
  clients.viewToken = new Client(url, "viewToken", (await token("viewer", "read", "viewer")).token);
  profile.viewToken = { role: "viewer", user: false, serverAdmin: false };
  clients.adminToken = new Client(url, "adminToken", (await token("siteadmin", "ops", "admin")).token);
  profile.adminToken = { role: "admin", user: false, serverAdmin: false };
  // A project-scoped token: operator on every site of the project that holds alpha (its owner, a server admin, holds more).
  const project = (await services.sites.get("alpha")).project;
  clients.projectToken = new Client(url, "projectToken", (await admin.ok<{ token: string }>("tokens.create", { name: "fleet", project, role: "operator" })).token);
  profile.projectToken = { role: "operator", user: false, serverAdmin: false };
  const revoked = await token("operator", "old", "operator");
  await clients.operator!.ok("tokens.revoke", { id: revoked.id });
  clients.revokedToken = new Client(url, "revokedToken", revoked.token);
  profile.revokedToken = { role: null, user: false, serverAdmin: false, refused: 401 };
  await admin.ok("boards.save", { slug: "wall", title: "Wall", sites: ["alpha"] });
  clients.kiosk = new Client(url, "kiosk", (await admin.ok<{ token: string }>("tokens.createKiosk", { name: "lobby", board: "wall" })).token);
  profile.kiosk = { role: null, user: false, serverAdmin: false, refused: 403 };
  clients.anonymous = new Client(url, "anonymous");
  profile.anonymous = { role: null, user: false, serverAdmin: false, refused: 401 };
  // A run that ended before starting: review and cancel on it pass the check, then fail on its state.
  run = (await clients.operator!.ok<{ id: number }>("runs.launch", { slug: "alpha", deployment: "dep" })).id;
  await clients.operator!.ok("runs.cancel", { id: run });
});

after(async () => server.close());

const stale = { "if-match": '"999"' };
const OPS: Op[] = [
  { operation: "sites.page", need: "signed-in", method: "GET", path: () => "/api/v1/sites" },
  { operation: "sites.get", need: { site: "viewer" }, method: "GET", path: () => "/api/v1/sites/alpha" },
  { operation: "sites.create", need: "server-admin", method: "POST", path: () => "/api/v1/sites", body: { slug: "alpha", name: "again" } },
  { operation: "sites.settings", need: { site: "admin" }, method: "PATCH", path: () => "/api/v1/sites/alpha/settings", body: { approvalsRequired: 1 } },
  { operation: "revisions.page", need: { site: "viewer" }, method: "GET", path: () => "/api/v1/sites/alpha/revisions" },
  { operation: "revisions.get", need: { site: "viewer" }, method: "GET", path: () => "/api/v1/sites/alpha/revisions/1" },
  { operation: "files.page", need: { site: "viewer" }, method: "GET", path: () => "/api/v1/sites/alpha/files" },
  { operation: "files.get", need: { site: "viewer" }, method: "GET", path: () => "/api/v1/sites/alpha/files/site.yml" },
  { operation: "files.put", need: { site: "operator" }, method: "PUT", path: () => "/api/v1/sites/alpha/files/x.yml", body: { content: "# x\n" }, headers: stale },
  { operation: "files.delete", need: { site: "operator" }, method: "DELETE", path: () => "/api/v1/sites/alpha/files/site.yml", headers: stale },
  { operation: "files.save", need: { site: "operator" }, method: "POST", path: () => "/api/v1/sites/alpha/revisions", body: { changes: [{ path: "x.yml", content: "" }], message: "m" }, headers: stale },
  { operation: "runs.page", need: { site: "viewer" }, method: "GET", path: () => "/api/v1/sites/alpha/runs" },
  { operation: "runs.launch", need: { site: "operator" }, method: "POST", path: () => "/api/v1/sites/alpha/runs", body: { deployment: "no-such-deployment" } },
  { operation: "runs.status", need: { site: "viewer" }, method: "GET", path: () => `/api/v1/runs/${run}` },
  { operation: "runs.eventsPage", need: { site: "viewer" }, method: "GET", path: () => `/api/v1/runs/${run}/events?after=0` },
  { operation: "runs.output", need: { site: "viewer" }, method: "GET", path: () => `/api/v1/runs/${run}/hosts/a/output` },
  { operation: "runs.approve", need: { site: "approver" }, method: "POST", path: () => `/api/v1/runs/${run}/approve`, body: { comment: "" } },
  { operation: "runs.reject", need: { site: "approver" }, method: "POST", path: () => `/api/v1/runs/${run}/reject`, body: { comment: "no" } },
  { operation: "runs.cancel", need: { site: "operator" }, method: "POST", path: () => `/api/v1/runs/${run}/cancel`, body: {} },
  { operation: "runs.rerequest", need: { site: "operator" }, method: "POST", path: () => `/api/v1/runs/${run}/rerequest`, body: {} },
  { operation: "runs.rerunFailed", need: { site: "operator" }, method: "POST", path: () => `/api/v1/runs/${run}/rerun-failed`, body: {} },
  { operation: "secrets.list", need: { site: "viewer" }, method: "GET", path: () => "/api/v1/sites/alpha/secrets" },
  { operation: "secrets.set", need: { site: "operator" }, method: "PUT", path: () => "/api/v1/sites/alpha/secrets/db.password", body: { value: "v" }, headers: stale },
  { operation: "secrets.reveal", need: { site: "admin" }, method: "POST", path: () => "/api/v1/sites/alpha/secrets/db.password/reveal", body: {} },
  { operation: "audit.list", need: "signed-in", method: "GET", path: () => "/api/v1/audit" },
];

function allowed(caller: string, op: Op): boolean {
  const p = profile[caller]!;
  if (p.refused) return false;
  if (op.need === "signed-in") return true;
  if (op.need === "server-admin") return p.serverAdmin;
  // Reviews are a person's decision, never an API token's.
  if ((op.operation === "runs.approve" || op.operation === "runs.reject") && !p.user) return false;
  // Operators cancel only their own runs: the run was requested by `operator`, and opToken acts for them.
  if ((op.operation === "runs.cancel" || op.operation === "runs.rerequest") && atLeast(p.role, "operator") && !atLeast(p.role, "approver")) return caller === "operator" || caller === "opToken";
  return atLeast(p.role, op.need.site);
}

async function call(client: Client, op: Op): Promise<{ status: number; body: { type?: string; detail?: string } }> {
  const res = await fetch(`${server.url}${op.path()}`, {
    method: op.method,
    headers: client.headers({ ...(op.body === undefined ? {} : { "content-type": "application/json" }), ...op.headers }),
    body: op.body === undefined ? undefined : JSON.stringify(op.body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as { type?: string; detail?: string } };
}

describe("the REST permission matrix (sites, runs, files, revisions, secrets, audit)", () => {
  for (const op of OPS) {
    test(`${op.operation}: ${op.method} ${op.path().replace(/\/\d+(\/|$)/, "/{id}$1")}`, async () => {
      const results: string[] = [];
      for (const name of Object.keys(clients)) {
        const r = await call(clients[name]!, op);
        results.push(`${name}: ${r.status} ${r.body.detail ?? ""}`);
        const expected = allowed(name, op);
        const refused = r.status === 401 || r.status === 403;
        assert.equal(refused, !expected, `${op.operation} as ${name}\n${results.join("\n")}`);
        assert.notEqual(r.status, 500, `${op.operation} as ${name}: ${r.body.detail}`);
        if (refused) {
          const want = profile[name]!.refused ?? 403;
          assert.equal(r.status, want, `${op.operation} as ${name}: ${want === 401 ? "unauthenticated" : "forbidden"}`);
          assert.equal(r.body.type, want === 401 ? "/api/docs#problem-unauthorized" : "/api/docs#problem-forbidden");
        }
      }
    });
  }

  test("allowed calls that change nothing answer as their input says: stale If-Match 412, taken slug 409", async () => {
    const op = (operation: string) => OPS.find((o) => o.operation === operation)!;
    assert.equal((await call(clients.operator!, op("files.put"))).status, 412);
    assert.equal((await call(clients.opToken!, op("files.save"))).status, 412);
    assert.equal((await call(clients.admin!, op("sites.create"))).status, 409);
    assert.equal((await call(clients.viewer!, op("files.get"))).status, 200);
    const audit = await call(clients.viewToken!, op("audit.list"));
    assert.deepEqual([audit.status, (audit.body as { items?: unknown[] }).items], [200, []], "a viewer token administers nothing: no entries");
  });
});
