import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ConflictError, InvalidInputError, NotFoundError } from "../../server/store/errors";
import { openSqliteStore, type Db } from "../../server/store/sqlite";
import type { SiteStore } from "../../server/store/types";

const INVENTORY = `kind: inventory
api_version: v1beta1
spec:
  hosts:
  - name: web-1
  groups:
  - name: web
    members: [web-1]
`;

describe("site store on a real SQLite file", () => {
  let dir: string;
  let db: Db;
  let store: SiteStore;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "fd-store-"));
    const opened = openSqliteStore(dir);
    db = opened.db;
    store = opened.sites;
  });
  after(() => {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("opens in WAL mode with migrations applied", () => {
    assert.equal(db.$client.pragma("journal_mode", { simple: true }), "wal");
    assert.ok(statSync(join(dir, "flightdeck.db")).size > 0);
    const tables = db.$client.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
    for (const t of ["sites", "revisions", "revision_files", "blobs"]) assert.ok(tables.some((r) => r.name === t), t);
    // Password hashes and session tokens live here: readable by the owner only.
    assert.equal(statSync(join(dir, "flightdeck.db")).mode & 0o777, 0o600);
    db.$client.prepare("create table if not exists wal_probe (a)").run();
    assert.equal(statSync(join(dir, "flightdeck.db-wal")).mode & 0o777, 0o600, "the WAL file too");
  });

  test("create writes revision 1 with its lint summary", async () => {
    const rev = await store.create({ slug: "lab", name: "Lab", files: [{ path: "inventory.yml", content: INVENTORY }], author: "ana", message: "first" });
    assert.deepEqual(rev, { number: 1, errors: 0, warnings: 0, hosts: 1 });
    const site = await store.get("lab");
    assert.equal(site.revision, 1);
    assert.equal(site.files, 1);
    assert.equal(site.updatedBy, "ana");
  });

  test("a second site with the same id is refused", async () => {
    await assert.rejects(async () => await store.create({ slug: "lab", name: "Other", files: [], author: "x", message: "" }), ConflictError);
  });

  test("save adds a revision; older revisions keep their content", async () => {
    const broken = INVENTORY.replace("members", "memebers");
    const rev = await store.save("lab", { baseRevision: 1, changes: [{ path: "inventory.yml", content: broken }, { path: "profiles/base.yml", content: "kind: profile\napi_version: v1beta1\nspec:\n  name: base\n" }], author: "bo", message: "typo" });
    assert.equal(rev.number, 2);
    assert.equal(rev.errors, 1, "the revision records that it has a lint error");
    assert.deepEqual((await store.files("lab", 1)).files.map((f) => f.path), ["inventory.yml"]);
    assert.equal((await store.files("lab", 1)).files[0]!.content, INVENTORY);
    assert.deepEqual((await store.files("lab")).files.map((f) => f.path), ["inventory.yml", "profiles/base.yml"]);
    assert.deepEqual((await store.revisions("lab")).map((r) => [r.number, r.author, r.message]), [[2, "bo", "typo"], [1, "ana", "first"]]);
  });

  test("identical content is stored once", async () => {
    await store.save("lab", { baseRevision: 2, changes: [{ path: "inventory.yml", content: INVENTORY }], author: "bo", message: "fix" });
    const blobs = db.$client.prepare("select count(*) as n from blobs").get() as { n: number };
    assert.equal(blobs.n, 3, "INVENTORY, the broken copy and the profile");
  });

  test("a save based on an old revision is refused and writes nothing", async () => {
    const before = (await store.revisions("lab")).length;
    await assert.rejects(
      async () => await store.save("lab", { baseRevision: 1, changes: [{ path: "inventory.yml", content: "x: 1\n" }], author: "cy", message: "stale" }),
      (e) => e instanceof ConflictError && /revision 3 was saved by bo/.test(e.message),
    );
    assert.equal((await store.revisions("lab")).length, before);
  });

  test("bad paths and missing files are refused without a half-written revision", async () => {
    const before = (await store.revisions("lab")).length;
    for (const path of ["../escape.yml", "/etc/x.yml", "a/./b.yml", "notes.txt", "", "a\u0000b.yml", "tab\there.yml", "half\ud800.yml"]) {
      await assert.rejects(async () => await store.save("lab", { baseRevision: 3, changes: [{ path, content: "a: 1\n" }], author: "x", message: "" }), InvalidInputError, path);
    }
    await assert.rejects(
      async () => await store.save("lab", { baseRevision: 3, changes: [{ path: "ok.yml", content: "a: 1\n" }, { path: "missing.yml", content: null }], author: "x", message: "" }),
      NotFoundError,
    );
    assert.equal((await store.revisions("lab")).length, before);
    assert.ok(!(await store.files("lab")).files.some((f) => f.path === "ok.yml"), "the first change of a failed save is not kept");
  });

  test("content that is not valid UTF-8 text is refused, not stored as U+FFFD", async () => {
    const before = (await store.revisions("lab")).length;
    await assert.rejects(async () => await store.save("lab", { baseRevision: 3, changes: [{ path: "bad.yml", content: "a: \udc80\n" }], author: "x", message: "" }), /bad\.yml: the content is not valid UTF-8 text/);
    // NUL is not text either (and PostgreSQL could not store it): refused alike on both databases.
    await assert.rejects(async () => await store.save("lab", { baseRevision: 3, changes: [{ path: "nul.yml", content: "a: 1\u0000\n" }], author: "x", message: "" }), /nul\.yml: the content holds a NUL character/);
    assert.equal((await store.revisions("lab")).length, before);
    // A real replacement character (or an emoji's surrogate pair) is text like any other.
    await store.create({ slug: "text", name: "Text", files: [{ path: "ok.yml", content: "a: \ufffd \u{1F600}\n" }], author: "x", message: "" });
    assert.equal((await store.files("text")).files[0]?.content, "a: \ufffd \u{1F600}\n");
  });

  test("deleting a file is a change like any other", async () => {
    const rev = await store.save("lab", { baseRevision: 3, changes: [{ path: "profiles/base.yml", content: null }], author: "x", message: "drop" });
    assert.deepEqual((await store.files("lab", rev.number)).files.map((f) => f.path), ["inventory.yml"]);
  });

  test("unknown sites and revisions are NotFound", async () => {
    await assert.rejects(async () => await store.get("nope"), NotFoundError);
    await assert.rejects(async () => await store.files("lab", 99), NotFoundError);
    await assert.rejects(async () => await store.save("nope", { baseRevision: 1, changes: [{ path: "a.yml", content: "" }], author: "", message: "" }), NotFoundError);
  });

  test("invalid site ids are refused", async () => {
    for (const slug of ["Lab", "-x", "a b", "x".repeat(64)]) {
      await assert.rejects(async () => await store.create({ slug, name: "n", files: [], author: "", message: "" }), InvalidInputError, slug);
    }
  });
});
