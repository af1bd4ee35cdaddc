/**
 * Domain errors keep their meaning in the production server: Next's bundle has its own copy of every server
 * module, so each refusal (and the sign-in redirect) is checked here over real HTTP and websockets against `next build`'s output, on every
 * surface (REST, tRPC, socket acks): the status, the message, and no stack trace in the server's log.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client, join } from "../api/client";
import { ADMIN_PASSWORD, productionSkipReason, startProductionServer, type ProductionServer } from "./server";

const skip = productionSkipReason();
const PASSWORD = "a-password-of-test";

describe("domain errors over the production build", { skip }, () => {
  let server: ProductionServer;
  let admin: Client;
  let viewer: Client;
  let operator: Client;
  let approver: Client;
  let viewerToken: string;
  let anonymous: Client;

  async function user(name: string, role: string): Promise<Client> {
    const created = await admin.ok<{ id: string; password: string }>("users.create", { username: name, password: PASSWORD });
    await admin.ok("members.set", { slug: "ha-kvm", userId: created.id, role });
    const c = new Client(server.url, name);
    assert.equal(await c.signIn(name, PASSWORD), 200);
    return c;
  }

  before(async () => {
    server = await startProductionServer();
    admin = new Client(server.url, "admin");
    assert.equal(await admin.signIn("admin", ADMIN_PASSWORD), 200);
    anonymous = new Client(server.url, "anonymous");
    viewer = await user("viewer1", "viewer");
    operator = await user("operator1", "operator");
    approver = await user("approver1", "approver");
    viewerToken = (await viewer.ok<{ token: string }>("tokens.create", { name: "ci", site: "ha-kvm", role: "viewer" })).token;
    await admin.ok("sites.create", { slug: "other", name: "Another site" });
    // Runs wait for one approval, so a request can go stale.
    await admin.ok("sites.settings", { slug: "ha-kvm", approvalsRequired: 1 });
  });
  after(async () => {
    await server?.close();
  });

  describe("REST", () => {
    const cases: [string, () => Client, string, string, unknown, number, RegExp][] = [
      ["anonymous", () => anonymous, "GET", "/api/v1/sites", undefined, 401, /sign in/],
      ["an unknown run", () => admin, "GET", "/api/v1/runs/999", undefined, 404, /run 999/],
      ["a run of an unknown site", () => admin, "POST", "/api/v1/sites/nope/runs", {}, 404, /no site 'nope'/],
      ["an unknown deployment", () => admin, "POST", "/api/v1/sites/ha-kvm/runs", { deployment: "nope" }, 400, /nope/],
      ["a viewer requesting a run", () => new Client(server.url, "token", viewerToken), "POST", "/api/v1/sites/ha-kvm/runs", {}, 403, /operator role/],
      ["a bad body", () => admin, "POST", "/api/v1/sites/ha-kvm/runs", { forks: -1 }, 400, /forks/],
    ];
    for (const [what, who, method, path, body, status, message] of cases) {
      test(`${what}: ${status}`, async () => {
        const r = await who().rest(method, path, body);
        assert.equal(r.status, status, JSON.stringify(r.body));
        const reply = r.body as { detail: string; type: string };
        assert.match(reply.detail, message);
        assert.match(reply.type, /^\/api\/docs#problem-/);
      });
    }
  });

  describe("tRPC", () => {
    test("anonymous: UNAUTHORIZED", async () => {
      const r = await anonymous.trpc("runs.list", { slug: "ha-kvm" }, "query");
      assert.deepEqual([r.status, r.code], [401, "UNAUTHORIZED"]);
    });
    test("runs.launch on an unknown site: NOT_FOUND", async () => {
      const r = await admin.trpc("runs.launch", { slug: "nope", deployment: "ha-maas" }, "mutation");
      assert.deepEqual([r.status, r.code], [404, "NOT_FOUND"]);
      assert.match(r.message!, /no site 'nope'/);
    });
    test("runs.launch of an unknown deployment: BAD_REQUEST", async () => {
      const r = await operator.trpc("runs.launch", { slug: "ha-kvm", deployment: "nope" }, "mutation");
      assert.deepEqual([r.status, r.code], [400, "BAD_REQUEST"]);
      assert.match(r.message!, /nope/);
    });
    test("a viewer launching: FORBIDDEN with the role it needs", async () => {
      const r = await viewer.trpc("runs.launch", { slug: "ha-kvm", deployment: "ha-maas" }, "mutation");
      assert.deepEqual([r.status, r.code], [403, "FORBIDDEN"]);
      assert.match(r.message!, /needs the operator role/);
    });
    test("an unknown run: NOT_FOUND", async () => {
      const r = await admin.trpc("runs.get", { id: 999 }, "query");
      assert.deepEqual([r.status, r.code], [404, "NOT_FOUND"]);
    });
    test("approving one's own run, an operator approving, and a stale approval", async () => {
      const { id } = await operator.ok<{ id: number }>("runs.launch", { slug: "ha-kvm", deployment: "ha-maas", reason: "errors test" });
      const own = await admin.trpc("runs.approve", { id, comment: "" }, "mutation");
      assert.equal(own.status, 200, "an admin may approve another's run");
      const { id: second } = await operator.ok<{ id: number }>("runs.launch", { slug: "ha-kvm", deployment: "ha-maas", reason: "errors test" });
      const self = await operator.trpc("runs.approve", { id: second, comment: "" }, "mutation");
      assert.deepEqual([self.status, self.code], [403, "FORBIDDEN"]);
      assert.match(self.message!, /needs the approver role/);
      const site = await admin.ok<{ revision: number }>("sites.get", { slug: "ha-kvm" }, "query");
      await admin.ok("files.save", { slug: "ha-kvm", baseRevision: site.revision, changes: [{ path: "notes.yml", content: "# a change\n" }], message: "moves the site on" });
      const stale = await approver.trpc("runs.approve", { id: second, comment: "" }, "mutation");
      assert.deepEqual([stale.status, stale.code], [409, "CONFLICT"]);
      assert.match(stale.message!, /stale/);
    });
    test("creating a site that exists: CONFLICT", async () => {
      const r = await admin.trpc("sites.create", { slug: "ha-kvm", name: "again" }, "mutation");
      assert.deepEqual([r.status, r.code], [409, "CONFLICT"]);
      assert.match(r.message!, /already exists/);
    });
  });

  describe("socket acks", () => {
    test("anonymous, forbidden and unknown joins carry their code", async () => {
      const anon = anonymous.socket();
      const own = viewer.socket();
      try {
        assert.deepEqual(await join(anon, "site.watch", "ha-kvm"), { ok: false, code: "UNAUTHORIZED", error: "sign in first" });
        assert.deepEqual(await join(own, "run.watch", 999), { ok: false, code: "NOT_FOUND", error: "no such run" });
        assert.deepEqual(await join(own, "board.watch", "nope"), { ok: false, code: "NOT_FOUND", error: "no such board" });
        assert.deepEqual(await join(own, "site.watch", "other"), { ok: false, code: "FORBIDDEN", error: "you may not watch this" });
        assert.deepEqual(await join(own, "site.watch", "ha-kvm"), { ok: true });
      } finally {
        anon.close();
        own.close();
      }
    });
  });

  describe("sign-in redirect", () => {
    async function get(who: Client, path: string) {
      const r = await fetch(`${server.url}${path}`, { redirect: "manual", headers: who.headers() });
      return { status: r.status, location: r.headers.get("location") };
    }
    test("a signed-out visitor to a dashboard page is redirected by the server, with the page to come back to", async () => {
      assert.deepEqual(await get(anonymous, "/"), { status: 307, location: "/login" });
      assert.deepEqual(await get(anonymous, "/sites/ha-kvm/hosts/kvm-1?tab=vars"), { status: 307, location: "/login?next=%2Fsites%2Fha-kvm%2Fhosts%2Fkvm-1%3Ftab%3Dvars" });
      assert.deepEqual(await get(anonymous, "/admin/users"), { status: 307, location: "/login?next=%2Fadmin%2Fusers" });
      // A cookie that names no session is signed out too.
      const stale = new Client(server.url, "stale");
      stale.cookie = "better-auth.session_token=not-a-session";
      assert.equal((await get(stale, "/audit")).status, 307);
    });
    test("the login form, kiosk boards and the APIs are not redirected", async () => {
      assert.equal((await get(anonymous, "/login?next=%2Faudit")).status, 200);
      assert.notEqual((await get(anonymous, "/kiosk/wall")).status, 307);
      assert.equal((await get(anonymous, "/api/v1/sites")).status, 401);
    });
    test("a signed-in user gets the page", async () => {
      assert.deepEqual(await get(viewer, "/sites/ha-kvm/hosts/kvm-1"), { status: 200, location: null });
    });
  });

  test("no refusal printed a stack trace or an internal error", () => {
    const log = server.log();
    assert.doesNotMatch(log, /^\s+at /m, log);
    assert.doesNotMatch(log, /internal error|INTERNAL_SERVER_ERROR/i, log);
  });
});
