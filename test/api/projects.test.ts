/**
 * The projects and tokens procedures over a real store, through createCaller as real users and tokens: who may
 * call what (anonymous, a user with no role, a site viewer, a project member and project admin, a server admin,
 * project-scoped and revoked tokens), what each returns (the output schemas run on every call), and the audit
 * entry each change leaves.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { TRPCError } from "@trpc/server";
import { ANONYMOUS } from "../../server/auth";
import { readEnv } from "../../server/env";
import { createServices } from "../../server/services";
import { asUser, callerAs } from "./callers";

const dir = mkdtempSync(join(tmpdir(), "fd-projects-"));
const services = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "" }));
const INVENTORY = "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n";
const admin = await asUser(services, "root", { isAdmin: true });

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TRPCError, String(e));
    return e.code;
  }
  return "no error";
}

async function lastAudit(action: string) {
  const [row] = await services.store.audit.query({ action, limit: 1 });
  return row && { actor: row.actor, site: row.site, target: row.target, detail: JSON.parse(row.detail) as unknown };
}

describe("projects and tokens procedures", () => {
  after(async () => {
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("server admins create, rename and delete (empty) projects and move sites; each change is audited", async () => {
    const created = await admin.api.projects.create({ slug: "acme", name: "Acme", description: "a tenant" });
    assert.deepEqual({ ...created, createdAt: undefined }, { slug: "acme", name: "Acme", description: "a tenant", sites: 0, role: "admin", createdAt: undefined });
    assert.equal(typeof created.createdAt, "string", "timestamps are ISO strings, as the REST document says");
    assert.deepEqual(await lastAudit("project.created"), { actor: "root", site: null, target: "acme", detail: { name: "Acme" } });
    assert.equal(await code(admin.api.projects.create({ slug: "acme", name: "Again" })), "CONFLICT");
    assert.equal(await code(admin.api.projects.create({ slug: "Bad Id", name: "x" })), "BAD_REQUEST");

    await services.sites.create({ slug: "lab", name: "Lab", project: "acme", files: [{ path: "inventory.yml", content: INVENTORY }], author: "t", message: "m" });
    await services.sites.create({ slug: "home", name: "Home", files: [{ path: "inventory.yml", content: INVENTORY }], author: "t", message: "m" });
    assert.equal((await admin.api.projects.update({ project: "acme", name: "Acme Corp" })).name, "Acme Corp");
    assert.deepEqual((await lastAudit("project.updated"))?.detail, { from: { name: "Acme", description: "a tenant" }, to: { name: "Acme Corp", description: "a tenant" } });
    assert.deepEqual((await admin.api.projects.list()).map((p) => [p.slug, p.sites]), [
      ["acme", 1],
      ["default", 1],
    ]);
    assert.deepEqual((await admin.api.projects.sites({ project: "acme" })).map((s) => [s.slug, s.role]), [["lab", "admin"]]);
    assert.equal(await code(admin.api.projects.delete({ project: "acme" })), "CONFLICT");
    assert.deepEqual(await admin.api.projects.moveSite({ project: "default", slug: "lab" }), { site: "lab", from: "acme", to: "default" });
    assert.deepEqual(await lastAudit("project.site.moved"), { actor: "root", site: "lab", target: "default", detail: { from: "acme", to: "default" } });
    assert.equal(await code(admin.api.projects.moveSite({ project: "nope", slug: "lab" })), "NOT_FOUND");
    // sites.create takes the project (default: `default`); an unknown one is not found and nothing is created.
    await admin.api.sites.create({ slug: "fresh", name: "Fresh", project: "acme" });
    assert.equal((await admin.api.sites.get({ slug: "fresh" })).project, "acme");
    await admin.api.sites.create({ slug: "plain", name: "Plain" });
    assert.equal((await admin.api.sites.get({ slug: "plain" })).project, "default");
    assert.equal(await code(admin.api.sites.create({ slug: "lost", name: "Lost", project: "nope" })), "NOT_FOUND");
    assert.equal(await services.sites.exists("lost"), false);
    await admin.api.sites.delete({ slug: "fresh" });
    await admin.api.sites.delete({ slug: "plain" });
    await admin.api.projects.delete({ project: "acme" });
    assert.deepEqual(await lastAudit("project.deleted"), { actor: "root", site: null, target: "acme", detail: {} });
    assert.equal(await code(admin.api.projects.get({ project: "acme" })), "NOT_FOUND");
    assert.equal(await code(admin.api.projects.delete({ project: "default" })), "CONFLICT");
    await admin.api.projects.moveSite({ project: "default", slug: "lab" });
  });

  test("who may do what: anonymous, outsiders, site viewers, project members and admins, server admins", async () => {
    await admin.api.projects.create({ slug: "beta", name: "Beta" });
    await services.sites.create({ slug: "b1", name: "B1", project: "beta", files: [{ path: "inventory.yml", content: INVENTORY }], author: "t", message: "m" });
    await services.sites.create({ slug: "b2", name: "B2", project: "beta", files: [{ path: "inventory.yml", content: INVENTORY }], author: "t", message: "m" });
    const anonymous = callerAs(services, ANONYMOUS);
    const outsider = await asUser(services, "outsider");
    const siteViewer = await asUser(services, "sv", { roles: { b1: "viewer" } });
    const member = await asUser(services, "member");
    const padmin = await asUser(services, "padmin");
    await admin.api.projects.setMember({ project: "beta", user: "member", role: "operator" });
    assert.deepEqual(await lastAudit("project.role.changed"), { actor: "root", site: null, target: "beta/member", detail: { from: null, to: "operator" } });
    await admin.api.projects.setMember({ project: "beta", user: "padmin", role: "admin" });

    assert.equal(await code(anonymous.projects.list()), "UNAUTHORIZED");
    assert.deepEqual((await outsider.api.projects.list()).map((p) => p.slug), []);
    assert.equal(await code(outsider.api.projects.get({ project: "beta" })), "FORBIDDEN");
    assert.equal(await code(outsider.api.projects.sites({ project: "beta" })), "FORBIDDEN");
    // A site viewer sees the project's name and their site, not the rest of it, and no role on the project.
    assert.deepEqual((await siteViewer.api.projects.list()).map((p) => [p.slug, p.role]), [["beta", null]]);
    assert.deepEqual((await siteViewer.api.projects.sites({ project: "beta" })).map((s) => [s.slug, s.role]), [["b1", "viewer"]]);
    assert.equal(await code(siteViewer.api.projects.members({ project: "beta" })), "FORBIDDEN");
    // A project member has their role on every site of it; the sites page (sites.list) shows them with it.
    assert.deepEqual((await member.api.projects.sites({ project: "beta" })).map((s) => [s.slug, s.role]), [
      ["b1", "operator"],
      ["b2", "operator"],
    ]);
    assert.deepEqual((await member.api.sites.list()).map((s) => [s.slug, s.project, s.role]), [
      ["b1", "beta", "operator"],
      ["b2", "beta", "operator"],
    ]);
    assert.equal(await code(member.api.projects.members({ project: "beta" })), "FORBIDDEN");
    assert.equal(await code(member.api.projects.setMember({ project: "beta", user: "outsider", role: "viewer" })), "FORBIDDEN");
    // Only server admins create, rename, delete and move; a project admin manages members.
    for (const caller of [member, padmin]) {
      assert.equal(await code(caller.api.projects.create({ slug: "mine", name: "Mine" })), "FORBIDDEN");
      assert.equal(await code(caller.api.projects.update({ project: "beta", name: "X" })), "FORBIDDEN");
      assert.equal(await code(caller.api.projects.delete({ project: "beta" })), "FORBIDDEN");
      assert.equal(await code(caller.api.projects.moveSite({ project: "default", slug: "b1" })), "FORBIDDEN");
    }
    assert.deepEqual((await padmin.api.projects.members({ project: "beta" })).members.map((m) => [m.username, m.role]), [
      ["member", "operator"],
      ["padmin", "admin"],
    ]);
    assert.deepEqual(await padmin.api.projects.setMember({ project: "beta", user: "outsider", role: "viewer" }), { user: "outsider", from: null, to: "viewer" });
    assert.deepEqual((await outsider.api.projects.list()).map((p) => [p.slug, p.role]), [["beta", "viewer"]]);
    await padmin.api.projects.removeMember({ project: "beta", user: "outsider" });
    assert.deepEqual(await lastAudit("project.role.changed"), { actor: "padmin", site: null, target: "beta/outsider", detail: { from: "viewer", to: null } });
    assert.equal(await code(padmin.api.projects.removeMember({ project: "beta", user: "outsider" })), "NOT_FOUND");
    assert.equal(await code(padmin.api.projects.setMember({ project: "beta", user: "ghost", role: "viewer" })), "NOT_FOUND");
    assert.equal(await code(padmin.api.projects.members({ project: "nope" })), "NOT_FOUND");
  });

  test("tokens: a project-scoped token acts on the project's sites with its role; revoked, it is refused", async () => {
    await admin.api.projects.create({ slug: "gamma", name: "Gamma" });
    await services.sites.create({ slug: "g1", name: "G1", project: "gamma", files: [{ path: "inventory.yml", content: INVENTORY }], author: "t", message: "m" });
    const owner = await asUser(services, "owner");
    await admin.api.projects.setMember({ project: "gamma", user: "owner", role: "operator" });
    assert.equal(await code(owner.api.tokens.create({ name: "too-much", project: "gamma", role: "admin" })), "FORBIDDEN");
    assert.equal(await code(owner.api.tokens.create({ name: "both", project: "gamma", site: "g1", role: "viewer" })), "BAD_REQUEST");
    const created = await owner.api.tokens.create({ name: "ci", project: "gamma", role: "operator" });
    assert.deepEqual(await lastAudit("token.created"), { actor: "owner", site: null, target: "ci", detail: { kind: "api", project: "gamma", role: "operator", prefix: created.prefix, expiresInDays: null } });
    const [listed] = await owner.api.tokens.list();
    assert.deepEqual([listed?.id, listed?.project, listed?.site, listed?.role, listed?.kind], [created.id, "gamma", null, "operator", "api"]);

    const principal = (await services.auth.access.fromToken(created.token))!;
    const token = callerAs(services, principal);
    assert.deepEqual((await token.sites.list()).map((s) => [s.slug, s.role]), [["g1", "operator"]]);
    assert.deepEqual((await token.projects.list()).map((p) => [p.slug, p.role]), [["gamma", "operator"]]);
    assert.equal(await code(token.projects.members({ project: "gamma" })), "FORBIDDEN");
    assert.equal(await code(token.tokens.list()), "FORBIDDEN", "tokens are managed by a signed-in user");

    const other = await asUser(services, "other");
    assert.equal(await code(other.api.tokens.revoke({ id: created.id })), "NOT_FOUND", "someone else's token");
    await owner.api.tokens.revoke({ id: created.id });
    assert.deepEqual(await lastAudit("token.revoked"), { actor: "owner", site: null, target: "ci", detail: { kind: "api", prefix: created.prefix } });
    assert.equal(await code(owner.api.tokens.revoke({ id: created.id })), "CONFLICT");
    assert.equal(await services.auth.access.fromToken(created.token), null, "a revoked token is nobody");
  });
});
