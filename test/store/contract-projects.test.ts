/**
 * The store contract for projects, on SQLite and PostgreSQL: projects CRUD (deleted only when empty, `default`
 * never), sites created into a project and moved between them, project members, project-scoped tokens, and the
 * migration that puts the sites of an existing installation into the project `default`.
 */
import Database from "better-sqlite3";
import { drizzle as sqliteDrizzle } from "drizzle-orm/better-sqlite3";
import { migrate as sqliteMigrate } from "drizzle-orm/better-sqlite3/migrator";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import pg from "pg";
import { errorCode } from "../../server/errors";
import { openStore } from "../../server/store/open";
import { migratePostgres } from "../../server/store/pg/migrate";
import type { Store } from "../../server/store/types";
import { createTestDatabase } from "../support/postgres";
import { DIALECTS, freshStore, type StoreUnderTest } from "./contract-stores";

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(promise, (e: Error) => {
    assert.equal(errorCode(e), code, `expected ${code}, got ${errorCode(e) ?? "no code"}: ${e.message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const INVENTORY = "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n";

function site(store: Store, slug: string, project?: string) {
  return store.sites.create({ slug, name: slug.toUpperCase(), project, files: [{ path: "inventory.yml", content: INVENTORY }], author: "ana", message: "first" });
}

async function users(store: Store) {
  const now = new Date(1_700_000_000_000);
  await store.accounts.createUser({ id: "u-bo", name: "Bo", email: "bo@x.invalid", username: "bo", isAdmin: false, mustChangePassword: false, createdAt: now }, "h");
  await store.accounts.createUser({ id: "u-al", name: "Al", email: "al@x.invalid", username: "al", isAdmin: false, mustChangePassword: false, createdAt: now }, "h");
}

for (const dialect of DIALECTS) {
  describe(`store contract (projects) on ${dialect}`, () => {
    let db: StoreUnderTest;
    let store: Store;
    beforeEach(async () => {
      db = await freshStore(dialect);
      store = db.store;
    });
    afterEach(async () => {
      await db.dispose();
    });

    test("a new database has the project 'default', where sites go unless another is named", async () => {
      const [only] = await store.projects.list();
      assert.deepEqual({ ...only, createdAt: undefined }, { slug: "default", name: "Default", description: "", sites: 0, createdAt: undefined });
      assert.ok(only!.createdAt instanceof Date);
      await site(store, "lab");
      assert.equal((await store.sites.get("lab")).project, "default");
      await rejectsWith(site(store, "lost", "nope"), "NOT_FOUND", /no project 'nope'/);
      assert.equal(await store.sites.exists("lost"), false);
    });

    test("projects: created, listed by name with their site counts, renamed, refused when taken or badly named", async () => {
      await store.projects.create({ slug: "acme", name: "Acme", description: "the tenant" });
      await store.projects.create({ slug: "zeta", name: "Beta" });
      await rejectsWith(store.projects.create({ slug: "acme", name: "Again" }), "CONFLICT", /a project 'acme' already exists/);
      await rejectsWith(store.projects.create({ slug: "Bad Slug", name: "x" }), "INVALID_INPUT", /not a valid project id/);
      await rejectsWith(store.projects.create({ slug: "blank", name: "  " }), "INVALID_INPUT", /needs a name/);
      await site(store, "lab", "acme");
      await site(store, "edge", "acme");
      assert.deepEqual((await store.projects.list()).map((p) => [p.slug, p.name, p.sites]), [
        ["acme", "Acme", 2],
        ["zeta", "Beta", 0],
        ["default", "Default", 0],
      ]);
      assert.deepEqual(await store.projects.sites("acme"), ["edge", "lab"]);
      await store.projects.update("zeta", { name: "Zeta", description: "renamed" });
      assert.deepEqual(await store.projects.get("zeta").then((p) => [p.name, p.description]), ["Zeta", "renamed"]);
      await rejectsWith(store.projects.update("nope", { name: "x" }), "NOT_FOUND", /no project 'nope'/);
      await rejectsWith(store.projects.update("zeta", {}), "INVALID_INPUT", /nothing to change/);
      await rejectsWith(store.projects.get("nope"), "NOT_FOUND");
      await rejectsWith(store.projects.sites("nope"), "NOT_FOUND");
    });

    test("a site moves between projects; a project is deleted only when empty, and 'default' never", async () => {
      await store.projects.create({ slug: "acme", name: "Acme" });
      await site(store, "lab", "acme");
      await rejectsWith(store.projects.delete("acme"), "CONFLICT", /still owns 1 site: move or delete them first/);
      assert.equal(await store.projects.moveSite("lab", "default"), "acme");
      assert.equal((await store.sites.get("lab")).project, "default");
      assert.deepEqual(await store.projects.sites("default"), ["lab"]);
      await rejectsWith(store.projects.moveSite("nope", "default"), "NOT_FOUND", /no site 'nope'/);
      await rejectsWith(store.projects.moveSite("lab", "nope"), "NOT_FOUND", /no project 'nope'/);
      await store.projects.delete("acme");
      await rejectsWith(store.projects.get("acme"), "NOT_FOUND");
      await rejectsWith(store.projects.delete("acme"), "NOT_FOUND");
      await rejectsWith(store.projects.delete("default"), "CONFLICT", /cannot be deleted/);
      // The database itself refuses a project row with sites (SQLite: a trigger; PostgreSQL: the foreign key).
      await assert.rejects(db.raw("delete from projects where slug = 'default'"));
      assert.equal((await store.sites.get("lab")).project, "default");
    });

    test("project members and the access queries: project of a site, its sites, sites of a member's projects", async () => {
      await users(store);
      await store.projects.create({ slug: "acme", name: "Acme" });
      await site(store, "lab", "acme");
      await site(store, "edge", "acme");
      await site(store, "home");
      const acme = (await store.accounts.projectId("acme"))!;
      assert.equal(await store.accounts.projectId("nope"), undefined);
      assert.equal(await store.accounts.projectSlug(acme), "acme");
      assert.equal(await store.accounts.projectOfSite((await store.accounts.siteId("lab"))!), acme);
      assert.equal(await store.accounts.projectOfSite(9999), undefined);
      assert.deepEqual((await store.accounts.projectSites(acme)).map((s) => s.slug), ["edge", "lab"]);
      await store.accounts.setProjectMembership(acme, "u-bo", "viewer");
      await store.accounts.setProjectMembership(acme, "u-bo", "operator");
      await store.accounts.setProjectMembership(acme, "u-al", "admin");
      assert.equal(await store.accounts.projectMembership(acme, "u-bo"), "operator");
      assert.equal(await store.accounts.projectMembership(acme, "nobody"), null);
      assert.deepEqual([...(await store.accounts.projectMemberSites("u-bo"))].sort(), ["edge", "lab"]);
      assert.deepEqual(await store.accounts.projectMembers(acme), [
        { userId: "u-al", username: "al", name: "Al", role: "admin", isAdmin: false, disabled: false },
        { userId: "u-bo", username: "bo", name: "Bo", role: "operator", isAdmin: false, disabled: false },
      ]);
      await store.accounts.setProjectMembership(acme, "u-bo", null);
      assert.equal(await store.accounts.projectMembership(acme, "u-bo"), null);
      assert.deepEqual(await store.accounts.projectMemberSites("u-bo"), []);
      // Moving a site out takes it out of the project's members' reach.
      await store.projects.moveSite("lab", "default");
      assert.deepEqual(await store.accounts.projectMemberSites("u-al"), ["edge"]);
    });

    test("a project-scoped token is stored and listed with its project; deleting the project deletes it", async () => {
      await users(store);
      await store.projects.create({ slug: "acme", name: "Acme" });
      const acme = (await store.accounts.projectId("acme"))!;
      const created = new Date(1_700_000_000_000);
      const id = await store.accounts.insertToken({ kind: "api", name: "ci", prefix: "fda_1", hash: "h1", userId: "u-bo", siteId: null, projectId: acme, role: "operator", boardId: null, createdAt: created, expiresAt: null });
      assert.equal((await store.accounts.tokenById(id))?.projectId, acme);
      assert.deepEqual((await store.accounts.listTokens("u-bo")).map((t) => [t.site, t.project, t.role]), [[null, "acme", "operator"]]);
      await store.projects.delete("acme");
      assert.equal(await store.accounts.tokenById(id), undefined);
    });
  });
}

// --- The migration of an existing installation -------------------------------------------------------------

/** A copy of a migrations folder holding only its first `keep` migrations (the schema before projects). */
function olderMigrations(folder: string, keep: number): string {
  const dir = mkdtempSync(join(tmpdir(), "fd-migrations-"));
  cpSync(folder, dir, { recursive: true });
  const journalFile = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((e) => e.idx < keep);
  writeFileSync(journalFile, JSON.stringify(journal));
  return dir;
}

describe("migrating an installation from before projects", () => {
  test("SQLite: every site lands in 'default' with its revisions, runs, members and tokens", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fd-migrate-"));
    const older = olderMigrations(join(process.cwd(), "db", "migrations"), 5);
    try {
      const file = new Database(join(dir, "flightdeck.db"));
      file.pragma("foreign_keys = ON");
      sqliteMigrate(sqliteDrizzle(file), { migrationsFolder: older });
      file.exec(`insert into sites (slug, name) values ('lab', 'Lab'), ('edge', 'Edge');
        insert into revisions (site_id, number, author, message, created_at, errors, warnings, hosts) values (1, 1, 'ana', 'first', 1, 0, 0, 1), (2, 1, 'ana', 'first', 1, 0, 0, 1);
        insert into user (id, name, email, created_at, updated_at, username) values ('u-bo', 'Bo', 'bo@x.invalid', 1, 1, 'bo');
        insert into memberships (site_id, user_id, role, created_at) values (1, 'u-bo', 'operator', 1);
        insert into api_tokens (kind, name, prefix, hash, user_id, site_id, role, created_at) values ('api', 'ci', 'fda_1', 'h1', 'u-bo', 1, 'viewer', 1);
        insert into runs (site_id, revision, deployment, title, status, requested_by, plan, options, created_at) values (1, 1, 'd', 'D', 'succeeded', 'ana', '{}', '{}', 1);`);
      file.close();
      const store = await openStore({ FLIGHTDECK_DATA: dir });
      try {
        await checkMigrated(store);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(older, { recursive: true, force: true });
    }
  });

  test("PostgreSQL: every site lands in 'default' with its revisions, runs, members and tokens", async () => {
    const database = await createTestDatabase();
    const older = olderMigrations(join(process.cwd(), "db", "pg", "migrations"), 2);
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    try {
      await migratePostgres(pool, { apply: true, folder: older });
      await pool.query(`insert into sites (slug, name) values ('lab', 'Lab'), ('edge', 'Edge');
        insert into revisions (site_id, number, author, message, created_at, errors, warnings, hosts) select id, 1, 'ana', 'first', now(), 0, 0, 1 from sites;
        insert into "user" (id, name, email, created_at, updated_at, username) values ('u-bo', 'Bo', 'bo@x.invalid', now(), now(), 'bo');
        insert into memberships (site_id, user_id, role, created_at) select id, 'u-bo', 'operator', now() from sites where slug = 'lab';
        insert into api_tokens (kind, name, prefix, hash, user_id, site_id, role, created_at) select 'api', 'ci', 'fda_1', 'h1', 'u-bo', id, 'viewer', now() from sites where slug = 'lab';
        insert into runs (site_id, revision, deployment, title, status, requested_by, plan, options, created_at) select id, 1, 'd', 'D', 'succeeded', 'ana', '{}', '{}', now() from sites where slug = 'lab';`);
      await pool.end();
      const store = await openStore({ FLIGHTDECK_DATABASE_URL: database.url });
      try {
        await checkMigrated(store);
      } finally {
        await store.close();
      }
    } finally {
      await pool.end().catch(() => {});
      rmSync(older, { recursive: true, force: true });
      await database.drop();
    }
  });
});

async function checkMigrated(store: Store) {
  assert.deepEqual((await store.projects.list()).map((p) => [p.slug, p.sites]), [["default", 2]]);
  assert.deepEqual((await store.sites.list()).map((s) => [s.slug, s.project, s.revision]), [
    ["edge", "default", 1],
    ["lab", "default", 1],
  ]);
  const lab = (await store.accounts.siteId("lab"))!;
  assert.equal(await store.accounts.membership(lab, "u-bo"), "operator");
  assert.deepEqual((await store.accounts.listTokens("u-bo")).map((t) => [t.site, t.project]), [["lab", null]]);
  assert.equal((await store.runs.list("lab")).length, 1);
  // The migrated database takes new projects and sites as a new one does (PostgreSQL: the identity was not
  // consumed by hand; SQLite: the sequence follows the `default` row).
  await store.projects.create({ slug: "acme", name: "Acme" });
  await store.sites.create({ slug: "new", name: "New", project: "acme", files: [], author: "ana", message: "" });
  assert.equal((await store.sites.get("new")).project, "acme");
}
