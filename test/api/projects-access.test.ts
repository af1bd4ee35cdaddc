/**
 * The access rules of projects, on both databases (Access over each store): a project role reaches every site
 * of the project; a site grant adds to it and never lowers it; server admins are admin everywhere; a
 * project-scoped token acts on every site of its project with at most its role and never more than its owner
 * still has (and a revoked one is nobody); readableSites includes the sites of the caller's projects.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { Access, effectiveRole, higher } from "../../server/auth/access";
import type { Principal } from "../../server/auth/principal";
import { errorCode } from "../../server/errors";
import type { Store } from "../../server/store/types";
import { DIALECTS, freshStore, type StoreUnderTest } from "../store/contract-stores";

const INVENTORY = "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n";

test("effective role: a server admin is admin; otherwise the higher of the project's and the site's grants", () => {
  assert.equal(effectiveRole({ isAdmin: true, projectRole: null, siteRole: "viewer" }), "admin");
  assert.equal(effectiveRole({ isAdmin: false, projectRole: "operator", siteRole: null }), "operator");
  assert.equal(effectiveRole({ isAdmin: false, projectRole: "operator", siteRole: "viewer" }), "operator", "a site grant never lowers");
  assert.equal(effectiveRole({ isAdmin: false, projectRole: "viewer", siteRole: "approver" }), "approver", "a site grant adds");
  assert.equal(effectiveRole({ isAdmin: false, projectRole: null, siteRole: null }), null);
  assert.equal(higher(null, null), null);
});

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(promise, (e: Error) => {
    assert.equal(errorCode(e), code, `expected ${code}, got ${errorCode(e) ?? "no code"}: ${e.message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

for (const dialect of DIALECTS) {
  describe(`project access on ${dialect}`, () => {
    let db: StoreUnderTest;
    let store: Store;
    let access: Access;
    const user = (id: string, isAdmin = false): Principal => ({ kind: "user", userId: id, username: id, isAdmin, mustChangePassword: false });
    const bo = user("u-bo");

    beforeEach(async () => {
      db = await freshStore(dialect);
      store = db.store;
      access = new Access(store.accounts);
      const now = new Date();
      for (const [id, isAdmin] of [["u-bo", false], ["u-al", true], ["u-cy", false]] as const) {
        await store.accounts.createUser({ id, name: id, email: `${id}@x.invalid`, username: id, isAdmin, mustChangePassword: false, createdAt: now }, "h");
      }
      await store.projects.create({ slug: "acme", name: "Acme" });
      for (const [slug, project] of [["lab", "acme"], ["edge", "acme"], ["home", "default"]]) {
        await store.sites.create({ slug: slug!, name: slug!, project, files: [{ path: "inventory.yml", content: INVENTORY }], author: "t", message: "m" });
      }
    });
    afterEach(async () => {
      await db.dispose();
    });

    test("a project role applies to every site of the project and to none outside it", async () => {
      assert.equal(await access.setProjectRole("acme", "u-bo", "operator"), null);
      assert.equal(await access.roleOn(bo, "lab"), "operator");
      assert.equal(await access.roleOn(bo, "edge"), "operator");
      assert.equal(await access.roleOn(bo, "home"), null);
      assert.equal(await access.projectRoleOn(bo, "acme"), "operator");
      assert.equal(await access.projectRoleOn(bo, "default"), null);
      // Moving a site out of the project takes the project's grant away from it.
      await store.projects.moveSite("edge", "default");
      assert.equal(await access.roleOn(bo, "edge"), null);
      await rejectsWith(access.require(bo, "edge", "viewer"), "FORBIDDEN", /no role on site 'edge'/);
    });

    test("a site grant adds to the project role and never lowers it", async () => {
      await access.setProjectRole("acme", "u-bo", "operator");
      await access.setRole("lab", "u-bo", "viewer");
      await access.setRole("edge", "u-bo", "admin");
      assert.equal(await access.roleOn(bo, "lab"), "operator", "the lower site grant is ignored");
      assert.equal(await access.roleOn(bo, "edge"), "admin", "the higher site grant wins");
      assert.equal(await access.projectRoleOn(bo, "acme"), "operator", "a site grant is not a project role");
      await access.setProjectRole("acme", "u-bo", null);
      assert.equal(await access.roleOn(bo, "lab"), "viewer");
    });

    test("a server admin is admin on every site and project", async () => {
      const al = user("u-al", true);
      assert.equal(await access.roleOn(al, "lab"), "admin");
      assert.equal(await access.projectRoleOn(al, "acme"), "admin");
      assert.deepEqual([...(await access.readableSites(al))].sort(), ["edge", "home", "lab"]);
    });

    test("readableSites and readsProject include the sites of the caller's projects", async () => {
      await access.setProjectRole("acme", "u-bo", "viewer");
      await access.setRole("home", "u-bo", "viewer");
      await access.setRole("lab", "u-bo", "operator");
      assert.deepEqual([...(await access.readableSites(bo))].sort(), ["edge", "home", "lab"]);
      const cy = user("u-cy");
      await access.setRole("home", "u-cy", "viewer");
      assert.deepEqual(await access.readableSites(cy), ["home"]);
      assert.equal(await access.readsProject(cy, "default"), true, "a site of it is readable");
      assert.equal(await access.readsProject(cy, "acme"), false);
      await rejectsWith(access.requireProject(cy, "acme", "viewer"), "FORBIDDEN", /no role on project 'acme'/);
      await rejectsWith(access.requireProject(cy, "nope", "viewer"), "NOT_FOUND", /no project 'nope'/);
      await access.setProjectRole("acme", "u-cy", "viewer");
      await rejectsWith(access.requireProject(cy, "acme", "admin"), "FORBIDDEN", /needs the admin role on project 'acme'; you are viewer/);
    });

    test("a project-scoped token acts on every site of its project with at most its role", async () => {
      await access.setProjectRole("acme", "u-bo", "approver");
      const created = await access.createApiToken(bo, { name: "ci", project: "acme", role: "operator" });
      const token = (await access.fromToken(created.token))!;
      assert.equal(token.kind === "token" && token.projectId !== null && token.siteId === null, true);
      assert.equal(await access.roleOn(token, "lab"), "operator");
      assert.equal(await access.roleOn(token, "edge"), "operator");
      assert.equal(await access.roleOn(token, "home"), null, "outside its project");
      assert.equal(await access.projectRoleOn(token, "acme"), "operator");
      assert.deepEqual([...(await access.readableSites(token))].sort(), ["edge", "lab"]);
      // A site-scoped token of the same owner stays on its site.
      const siteToken = (await access.fromToken((await access.createApiToken(bo, { name: "one", site: "lab", role: "viewer" })).token))!;
      assert.equal(await access.roleOn(siteToken, "edge"), null);
      assert.equal(await access.projectRoleOn(siteToken, "acme"), null);
      assert.deepEqual(await access.readableSites(siteToken), ["lab"]);
    });

    test("a project-scoped token never holds more than its owner still has; revoked, it is nobody", async () => {
      await access.setProjectRole("acme", "u-bo", "operator");
      await rejectsWith(access.createApiToken(bo, { name: "x", project: "acme", role: "admin" }), "FORBIDDEN", /you are operator on project 'acme'/);
      await rejectsWith(access.createApiToken(bo, { name: "x", project: "default", role: "viewer" }), "FORBIDDEN", /no role on project 'default'/);
      await rejectsWith(access.createApiToken(bo, { name: "x", role: "viewer" }), "INVALID_INPUT", /exactly one/);
      await rejectsWith(access.createApiToken(bo, { name: "x", site: "lab", project: "acme", role: "viewer" }), "INVALID_INPUT", /exactly one/);
      const created = await access.createApiToken(bo, { name: "ci", project: "acme", role: "operator" });
      const token = (await access.fromToken(created.token))!;
      // The owner drops to viewer on the project: the token follows; a site grant lifts it on that site only.
      await access.setProjectRole("acme", "u-bo", "viewer");
      assert.equal(await access.roleOn(token, "lab"), "viewer");
      await access.setRole("lab", "u-bo", "admin");
      assert.equal(await access.roleOn(token, "lab"), "operator", "still capped by the token's own role");
      assert.equal(await access.roleOn(token, "edge"), "viewer");
      // The owner loses the project: only the site grant remains.
      await access.setProjectRole("acme", "u-bo", null);
      assert.equal(await access.roleOn(token, "edge"), null);
      assert.deepEqual(await access.readableSites(token), ["lab"]);
      await access.revokeToken(bo, created.id);
      assert.equal(await access.fromToken(created.token), null);
    });

    test("project members: listed, set, removed, with the previous role returned", async () => {
      assert.equal(await access.setProjectRole("acme", "u-bo", "viewer"), null);
      assert.equal(await access.setProjectRole("acme", "u-bo", "admin"), "viewer");
      assert.deepEqual((await access.projectMembers("acme")).map((m) => [m.username, m.role]), [["u-bo", "admin"]]);
      assert.equal(await access.setProjectRole("acme", "u-bo", null), "admin");
      assert.deepEqual(await access.projectMembers("acme"), []);
      await rejectsWith(access.setProjectRole("acme", "nobody", "viewer"), "NOT_FOUND", /no user nobody/);
      await rejectsWith(access.projectMembers("nope"), "NOT_FOUND", /no project 'nope'/);
    });
  });
}
