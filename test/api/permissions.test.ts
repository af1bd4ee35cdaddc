/**
 * The permission matrix over real HTTP and socket.io: every mutating procedure (and the reads that matter)
 * called by every kind of caller: anonymous, a kiosk token, a user with no role on the site, each role, a
 * server admin, and API tokens. Refusals must be 401/403; allowed calls must get past the check (they may
 * still fail on their input, which the inputs below arrange so nothing is destroyed).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { io, type Socket } from "socket.io-client";
import { atLeast, type Role } from "../../server/auth";
import { localInventory, workflow } from "../engine/fleet-site";
import { Client, join } from "./client";
import type { SqliteStore } from "../../server/store/sqlite";
import { startHttpServer } from "./http-server";

const PASSWORD = "correct horse battery";
const SITE = `${localInventory(["a", "b"])}---
${workflow(`  - {name: one, action: cmd.run, params: {cmd: "true"}}`, "", "[all]", "dep")}`;

type Need = { site: Role } | "server-admin" | "user" | "kiosk";
interface Call {
  path: string;
  kind: "query" | "mutation";
  need: Need;
  input: () => unknown;
}

let server: Awaited<ReturnType<typeof startHttpServer>>;
const clients: Record<string, Client> = {};
/** Each caller's role on site alpha (what the matrix expects), and whether it is a user session. */
const profile: Record<string, { role: Role | null; user: boolean; serverAdmin: boolean; kiosk: boolean }> = {};
let cancelledRun = 0;
const ids: Record<string, string> = {};

before(async () => {
  server = await startHttpServer({ FLIGHTDECK_LOGIN_LIMIT: "5" });
  const { services, url } = server;
  await services.sites.create({ slug: "alpha", name: "Alpha", files: [{ path: "site.yml", content: SITE }], author: "t", message: "m" });
  await services.sites.create({ slug: "beta", name: "Beta", files: [{ path: "site.yml", content: SITE }], author: "t", message: "m" });
  for (const slug of ["alpha", "beta"]) await services.sites.setLocalExecution(slug, true);
  const admin = new Client(url, "admin", undefined, "127.0.0.2");
  assert.equal(await admin.signIn("admin", "admin-password-1"), 200);
  clients.admin = admin;
  profile.admin = { role: "admin", user: true, serverAdmin: true, kiosk: false };
  const roles: Record<string, Role | null> = { outsider: null, viewer: "viewer", operator: "operator", approver: "approver", siteadmin: "admin" };
  let n = 3;
  for (const [name, role] of Object.entries(roles)) {
    const { id } = await admin.ok<{ id: string }>("users.create", { username: name, password: PASSWORD });
    ids[name] = id;
    if (role) await admin.ok("members.set", { slug: "alpha", userId: id, role });
    else await admin.ok("members.set", { slug: "beta", userId: id, role: "viewer" });
    const c = new Client(url, name, undefined, `127.0.0.${n++}`);
    assert.equal(await c.signIn(name, PASSWORD), 200, `${name} signs in`);
    clients[name] = c;
    profile[name] = { role, user: true, serverAdmin: false, kiosk: false };
  }
  const opToken = await clients.operator!.ok<{ token: string }>("tokens.create", { name: "ci", site: "alpha", role: "operator" });
  clients.opToken = new Client(url, "opToken", opToken.token);
  profile.opToken = { role: "operator", user: false, serverAdmin: false, kiosk: false };
  const viewToken = await clients.operator!.ok<{ token: string }>("tokens.create", { name: "read", site: "alpha", role: "viewer" });
  clients.viewToken = new Client(url, "viewToken", viewToken.token);
  profile.viewToken = { role: "viewer", user: false, serverAdmin: false, kiosk: false };
  // An approver's token may do what an approver does, except review runs: that is a person's decision.
  const apToken = await clients.approver!.ok<{ token: string }>("tokens.create", { name: "bot", site: "alpha", role: "approver" });
  clients.apToken = new Client(url, "apToken", apToken.token);
  profile.apToken = { role: "approver", user: false, serverAdmin: false, kiosk: false };
  await admin.ok("boards.save", { slug: "wall", title: "Wall", sites: ["alpha"] });
  const kiosk = await admin.ok<{ token: string }>("tokens.createKiosk", { name: "lobby", board: "wall" });
  clients.kiosk = new Client(url, "kiosk", kiosk.token);
  profile.kiosk = { role: null, user: false, serverAdmin: false, kiosk: true };
  clients.anonymous = new Client(url, "anonymous");
  profile.anonymous = { role: null, user: false, serverAdmin: false, kiosk: false };
  // A run that has ended before starting: approve/reject/cancel on it pass the check and then fail with 409.
  cancelledRun = (await clients.operator!.ok<{ id: number }>("runs.launch", { slug: "alpha", deployment: "dep" })).id;
  await clients.operator!.ok("runs.cancel", { id: cancelledRun });
});

after(async () => server.close());

const CALLS: Call[] = [
  { path: "files.list", kind: "query", need: { site: "viewer" }, input: () => ({ slug: "alpha" }) },
  { path: "runs.get", kind: "query", need: { site: "viewer" }, input: () => ({ id: cancelledRun }) },
  { path: "files.save", kind: "mutation", need: { site: "operator" }, input: () => ({ slug: "alpha", baseRevision: 999, changes: [{ path: "x.yml", content: "" }], message: "m" }) },
  { path: "runs.launch", kind: "mutation", need: { site: "operator" }, input: () => ({ slug: "alpha", deployment: "no-such-deployment" }) },
  { path: "runs.cancel", kind: "mutation", need: { site: "operator" }, input: () => ({ id: cancelledRun }) },
  { path: "runs.rerunFailed", kind: "mutation", need: { site: "operator" }, input: () => ({ id: cancelledRun }) },
  { path: "runs.rerequest", kind: "mutation", need: { site: "operator" }, input: () => ({ id: cancelledRun }) },
  { path: "runs.approve", kind: "mutation", need: { site: "approver" }, input: () => ({ id: cancelledRun, comment: "" }) },
  { path: "runs.reject", kind: "mutation", need: { site: "approver" }, input: () => ({ id: cancelledRun, comment: "no" }) },
  { path: "secrets.set", kind: "mutation", need: { site: "operator" }, input: () => ({ slug: "alpha", baseRevision: 999, key: "k", value: "v" }) },
  { path: "secrets.reveal", kind: "mutation", need: { site: "admin" }, input: () => ({ slug: "alpha", key: "k" }) },
  { path: "sites.settings", kind: "mutation", need: { site: "admin" }, input: () => ({ slug: "alpha", approvalsRequired: 1 }) },
  { path: "members.set", kind: "mutation", need: { site: "admin" }, input: () => ({ slug: "alpha", userId: ids.outsider, role: null }) },
  { path: "sites.localExecution", kind: "mutation", need: "server-admin", input: () => ({ slug: "alpha", enabled: true }) },
  { path: "sites.create", kind: "mutation", need: "server-admin", input: () => ({ slug: "alpha", name: "again" }) },
  { path: "sites.importPath", kind: "mutation", need: "server-admin", input: () => ({ slug: "gamma", name: "g", path: "/no/such/dir" }) },
  { path: "sites.delete", kind: "mutation", need: "server-admin", input: () => ({ slug: "no-such-site" }) },
  { path: "secrets.unlock", kind: "mutation", need: "server-admin", input: () => ({ passphrase: "wrong" }) },
  { path: "users.create", kind: "mutation", need: "server-admin", input: () => ({ username: "admin", password: PASSWORD }) },
  { path: "users.update", kind: "mutation", need: "server-admin", input: () => ({ id: "no-such-user", disabled: true }) },
  { path: "users.resetPassword", kind: "mutation", need: "server-admin", input: () => ({ id: "no-such-user" }) },
  { path: "boards.save", kind: "mutation", need: "server-admin", input: () => ({ slug: "x", title: "x", sites: ["no-such-site"] }) },
  { path: "boards.delete", kind: "mutation", need: "server-admin", input: () => ({ slug: "no-such-board" }) },
  { path: "tokens.createKiosk", kind: "mutation", need: "server-admin", input: () => ({ name: "x", board: "no-such-board" }) },
  { path: "tokens.create", kind: "mutation", need: "user", input: () => ({ name: "t", site: "alpha", role: "viewer" }) },
  { path: "tokens.revoke", kind: "mutation", need: "user", input: () => ({ id: 999999 }) },
  { path: "account.changePassword", kind: "mutation", need: "user", input: () => ({ current: "wrong password", next: "another password" }) },
  { path: "audit.query", kind: "query", need: "user", input: () => ({}) },
  { path: "kiosk.board", kind: "query", need: "kiosk", input: () => ({ board: "wall" }) },
];

function allowed(caller: string, need: Need, path: string): boolean {
  const p = profile[caller]!;
  if (need === "kiosk") return p.kiosk || p.serverAdmin;
  if (p.kiosk || (!p.user && p.role === null)) return false;
  if (need === "server-admin") return p.serverAdmin;
  if (need === "user") return p.user && (path !== "tokens.create" || p.role !== null);
  if ((path === "runs.approve" || path === "runs.reject") && !p.user) return false;
  // Operators cancel or re-request only their own runs: the run was requested by `operator`, and opToken acts for them.
  if ((path === "runs.cancel" || path === "runs.rerequest") && atLeast(p.role, "operator") && !atLeast(p.role, "approver")) return caller === "operator" || caller === "opToken";
  return atLeast(p.role, need.site);
}

describe("the permission matrix over HTTP", () => {
  for (const call of CALLS) {
    test(`${call.path}`, async () => {
      const results: string[] = [];
      for (const [name, client] of Object.entries(clients)) {
        const r = await client.trpc(call.path, call.input(), call.kind);
        const expected = allowed(name, call.need, call.path);
        const refused = r.status === 401 || r.status === 403;
        results.push(`${name}: ${r.status} ${r.code ?? "ok"}`);
        assert.equal(refused, !expected, `${call.path} as ${name}: ${r.status} ${r.code} ${r.message}\n${results.join("\n")}`);
        if (refused) assert.equal(r.status, name === "anonymous" ? 401 : 403, `${name} is ${name === "anonymous" ? "unauthenticated" : "forbidden"}`);
      }
    });
  }

  test("REST routes check the caller too", async () => {
    const expect = async (name: string, method: string, path: string, body: unknown, status: number) => {
      const r = await clients[name]!.rest(method, path, body);
      assert.equal(r.status, status, `${name} ${method} ${path}: ${JSON.stringify(r.body)}`);
      return r.body;
    };
    await expect("anonymous", "GET", "/api/v1/sites", undefined, 401);
    await expect("kiosk", "GET", "/api/v1/sites", undefined, 403);
    const listed = (await expect("outsider", "GET", "/api/v1/sites", undefined, 200)) as { items: { slug: string }[] };
    assert.deepEqual(listed.items.map((s) => s.slug), ["beta"], "only the sites the caller can read");
    await expect("outsider", "GET", "/api/v1/sites/alpha/export", undefined, 403);
    await expect("viewToken", "GET", "/api/v1/sites/alpha/export", undefined, 200);
    await expect("opToken", "GET", "/api/v1/sites/beta/export", undefined, 403);
    await expect("viewToken", "POST", "/api/v1/sites/alpha/runs", { deployment: "dep" }, 403);
    await expect("viewer", "POST", "/api/v1/sites/alpha/runs", { deployment: "dep" }, 403);
    const created = (await expect("opToken", "POST", "/api/v1/sites/alpha/runs", { deployment: "dep", reason: "from CI" }, 201)) as { id: number; status: string };
    assert.equal(created.status, "awaiting_approval");
    const run = (await expect("viewToken", "GET", `/api/v1/runs/${created.id}`, undefined, 200)) as { requestedBy: string };
    assert.equal(run.requestedBy, "operator (token ci)");
    await expect("outsider", "GET", `/api/v1/runs/${created.id}`, undefined, 403);
    await expect("kiosk", "GET", `/api/v1/runs/${created.id}`, undefined, 403);
    await expect("anonymous", "GET", `/api/v1/runs/${created.id}`, undefined, 401);
    await clients.operator!.ok("runs.cancel", { id: created.id });
  });
});

describe("socket.io room joins", () => {
  const sockets: Record<string, Socket> = {};
  after(() => {
    for (const s of Object.values(sockets)) s.close();
  });

  test("site, run and board rooms admit exactly the callers that may read them, and only they hear events", async () => {
    for (const [name, client] of Object.entries(clients)) sockets[name] = client.socket();
    const joined = new Set<string>();
    for (const [name, socket] of Object.entries(sockets)) {
      const p = profile[name]!;
      const site = await join(socket, "site.watch", "alpha");
      assert.equal(site.ok, p.role !== null, `${name} site.watch: ${JSON.stringify(site)}`);
      if (site.ok) joined.add(name);
      const run = await join(socket, "run.watch", cancelledRun);
      assert.equal(run.ok, p.role !== null || p.kiosk, `${name} run.watch: ${JSON.stringify(run)}`);
      const board = await join(socket, "board.watch", "wall");
      assert.equal(board.ok, p.kiosk || p.serverAdmin, `${name} board.watch: ${JSON.stringify(board)}`);
      assert.equal((await join(socket, "site.watch", "beta")).ok, name === "outsider" || p.serverAdmin, `${name} on beta`);
    }
    // A run request is announced in the site room: every admitted socket hears it, no refused one does.
    const heard = new Set<string>();
    for (const [name, socket] of Object.entries(sockets)) socket.on("site.runs", (e: { site: string }) => e.site === "alpha" && heard.add(name));
    const everyone = Promise.all(
      [...joined, "kiosk"].map((name) => new Promise<void>((resolve) => sockets[name]!.once("site.runs", () => resolve()))),
    );
    const { id } = await clients.operator!.ok<{ id: number }>("runs.launch", { slug: "alpha", deployment: "dep" });
    await everyone;
    // The refused sockets are served by the same emit in the same tick; give the loop one round-trip to be sure.
    await join(sockets.anonymous!, "site.watch", "alpha");
    assert.deepEqual([...heard].sort(), [...joined, "kiosk"].sort(), "site room plus the kiosk's board room");
    await clients.operator!.ok("runs.cancel", { id });
  });
});

describe("accounts", () => {
  test("sign-in failures are audited and rate limited per address; a disabled user cannot sign in", async () => {
    const c = new Client(server.url, "guesser", undefined, "127.0.0.20");
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push(await c.signIn("viewer", "wrong password " + i));
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.equal(statuses[5], 429, `the limit is 5 a minute: ${statuses.join(",")}`);
    const failed = await clients.admin!.ok<{ entries: { action: string; target: string }[] }>("audit.query", { action: "login.failed" }, "query");
    assert.ok(failed.entries.filter((e) => e.target === "viewer").length >= 5);
  });

  test("a one-time password allows nothing but changing it; sign-out ends the session", async () => {
    const { oneTimePassword } = await clients.admin!.ok<{ oneTimePassword: string }>("users.create", { username: "newbie" });
    const { id } = (await clients.admin!.ok<{ id: string; username: string }[]>("users.list", undefined, "query")).find((u) => u.username === "newbie")!;
    await clients.admin!.ok("members.set", { slug: "alpha", userId: id, role: "viewer" });
    const c = new Client(server.url, "newbie", undefined, "127.0.0.21");
    assert.equal(await c.signIn("newbie", oneTimePassword), 200);
    assert.equal((await c.trpc("files.list", { slug: "alpha" }, "query")).status, 403);
    assert.equal((await c.trpc("account.changePassword", { current: oneTimePassword, next: "short" }, "mutation")).status, 400);
    await c.ok("account.changePassword", { current: oneTimePassword, next: "a new long password" });
    assert.equal((await c.trpc("files.list", { slug: "alpha" }, "query")).status, 200);
    assert.equal(await c.signOut(), 200);
    assert.equal((await c.trpc("files.list", { slug: "alpha" }, "query")).status, 401, "the old cookie opens nothing");
    await clients.admin!.ok("users.update", { id, disabled: true });
    assert.equal(await c.signIn("newbie", "a new long password"), 403, "disabled: refused, not a server error");
  });

  test("a token never holds more than its owner still has, and a revoked token opens nothing", async () => {
    const before = await clients.opToken!.trpc("files.list", { slug: "alpha" }, "query");
    assert.equal(before.status, 200);
    await clients.admin!.ok("members.set", { slug: "alpha", userId: ids.operator, role: "viewer" });
    assert.equal((await clients.opToken!.trpc("runs.launch", { slug: "alpha", deployment: "dep" }, "mutation")).status, 403, "owner demoted: the token is too");
    await clients.admin!.ok("members.set", { slug: "alpha", userId: ids.operator, role: "operator" });
    const tokens = await clients.operator!.ok<{ id: number; name: string }[]>("tokens.list", undefined, "query");
    await clients.operator!.ok("tokens.revoke", { id: tokens.find((t) => t.name === "read")!.id });
    assert.equal((await clients.viewToken!.trpc("files.list", { slug: "alpha" }, "query")).status, 401);
    const listed = JSON.stringify(tokens);
    assert.ok(!listed.includes(clients.opToken!.bearer!), "lists never hold a token's value");
    // And creating a token above your own role is refused.
    assert.equal((await clients.viewer!.trpc("tokens.create", { name: "x", site: "alpha", role: "operator" }, "mutation")).status, 403);
  });

  test("the audit log is append-only and records who did what", async () => {
    const { entries } = await clients.admin!.ok<{ entries: { action: string; actor: string; target: string }[] }>("audit.query", {}, "query");
    const actions = new Set(entries.map((e) => e.action));
    for (const a of ["user.created", "role.changed", "token.created", "token.revoked", "run.requested", "run.cancelled", "board.created", "login.failed", "login.succeeded", "password.changed", "user.updated"]) assert.ok(actions.has(a), `audited: ${a}`);
    assert.ok(entries.some((e) => e.action === "run.requested" && e.actor === "operator (token ci)"));
    const sqlite = (server.services.store as SqliteStore).db.$client;
    assert.throws(() => sqlite.prepare("update audit_log set actor = 'x'").run(), /append-only/);
    assert.throws(() => sqlite.prepare("delete from audit_log").run(), /append-only/);
    // Site admins read their site's entries only; viewers read none.
    const siteAdmin = await clients.siteadmin!.ok<{ entries: { site: string | null }[] }>("audit.query", {}, "query");
    assert.ok(siteAdmin.entries.length > 0 && siteAdmin.entries.every((e) => e.site === "alpha"));
    assert.deepEqual((await clients.viewer!.ok<{ entries: unknown[] }>("audit.query", {}, "query")).entries, []);
  });
});

describe("better-auth's own endpoints", () => {
  test("only sign-in by user name, sign-out and the session are open: no sign-up, renaming or password resets", async () => {
    const c = clients.viewer!;
    for (const path of ["/api/auth/sign-up/email", "/api/auth/update-user", "/api/auth/change-password", "/api/auth/delete-user", "/api/auth/sign-in/email", "/api/auth/request-password-reset"]) {
      const r = await c.rest("POST", path, { name: "x", username: "admin", email: "x@example.com", password: "whatever-long-enough", newPassword: "another-long-one", currentPassword: PASSWORD });
      assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
    }
    const users = await clients.admin!.ok<{ username: string }[]>("users.list", undefined, "query");
    assert.ok(users.some((u) => u.username === "viewer") && users.filter((u) => u.username === "admin").length === 1);
  });
});

describe("cross-origin requests", () => {
  test("a session cookie sent from another origin (another port on the same host) opens nothing", async () => {
    const c = clients.admin!;
    const mutate = (origin: string | undefined) =>
      fetch(`${server.url}/api/trpc/sites.settings`, {
        method: "POST",
        headers: { ...c.headers(), "content-type": "application/json", ...(origin ? { origin } : {}) },
        body: JSON.stringify({ slug: "alpha", approvalsRequired: 3 }),
      });
    const evil = await mutate("http://127.0.0.1:1");
    assert.equal(evil.status, 401);
    // (tRPC itself refuses the body a plain HTML form could send: 415.)
    assert.equal((await server.services.sites.get("alpha")).approvalsRequired, 1, "nothing changed");
    const same = await mutate(server.url);
    assert.equal(same.status, 200);
    assert.equal((await server.services.sites.get("alpha")).approvalsRequired, 3);
    await server.services.sites.setSettings("alpha", { approvalsRequired: 1 });
  });

  test("X-Forwarded-Host names another origin only when a proxy is configured", async () => {
    const c = clients.admin!;
    const forwarded = { ...c.headers(), origin: "http://public.example:8443", "x-forwarded-host": "public.example:8443" };
    // No FLIGHTDECK_TRUST_PROXY here: a client claiming a proxy's header is a page of another origin.
    assert.equal((await fetch(`${server.url}/api/trpc/sites.list`, { headers: forwarded })).status, 401);
    const behindProxy = await startHttpServer({ FLIGHTDECK_TRUST_PROXY: "1" });
    try {
      const admin = new Client(behindProxy.url, "admin");
      assert.equal(await admin.signIn("admin", "admin-password-1"), 200);
      const r = await fetch(`${behindProxy.url}/api/trpc/sites.list`, { headers: { ...admin.headers(), origin: "http://public.example:8443", "x-forwarded-host": "public.example:8443" } });
      assert.equal(r.status, 200);
    } finally {
      await behindProxy.close();
    }
  });

  test("a socket opened by a page of another origin is anonymous, whatever cookie it carries", async () => {
    const open = (origin: string) => io(server.url, { path: "/socket.io", transports: ["websocket"], extraHeaders: { ...clients.admin!.headers(), origin }, reconnection: false });
    const evil = open("http://127.0.0.1:1");
    const same = open(server.url);
    try {
      assert.deepEqual(await join(evil, "site.watch", "alpha"), { ok: false, code: "UNAUTHORIZED", error: "sign in first" });
      assert.deepEqual(await join(same, "site.watch", "alpha"), { ok: true });
    } finally {
      evil.close();
      same.close();
    }
  });
});
