import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openDb, type Db } from "../../server/db";
import { ConflictError, InvalidInputError, NotFoundError } from "../../server/store/errors";
import { SiteStore } from "../../server/store/sites";

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
    db = openDb(dir);
    store = new SiteStore(db);
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

  test("create writes revision 1 with its lint summary", () => {
    const rev = store.create({ slug: "lab", name: "Lab", files: [{ path: "inventory.yml", content: INVENTORY }], author: "ana", message: "first" });
    assert.deepEqual(rev, { number: 1, errors: 0, warnings: 0, hosts: 1 });
    const site = store.get("lab");
    assert.equal(site.revision, 1);
    assert.equal(site.files, 1);
    assert.equal(site.updatedBy, "ana");
  });

  test("a second site with the same id is refused", () => {
    assert.throws(() => store.create({ slug: "lab", name: "Other", files: [], author: "x", message: "" }), ConflictError);
  });

  test("save adds a revision; older revisions keep their content", () => {
    const broken = INVENTORY.replace("members", "memebers");
    const rev = store.save("lab", { baseRevision: 1, changes: [{ path: "inventory.yml", content: broken }, { path: "profiles/base.yml", content: "kind: profile\napi_version: v1beta1\nspec:\n  name: base\n" }], author: "bo", message: "typo" });
    assert.equal(rev.number, 2);
    assert.equal(rev.errors, 1, "the revision records that it has a lint error");
    assert.deepEqual(store.files("lab", 1).files.map((f) => f.path), ["inventory.yml"]);
    assert.equal(store.files("lab", 1).files[0]!.content, INVENTORY);
    assert.deepEqual(store.files("lab").files.map((f) => f.path), ["inventory.yml", "profiles/base.yml"]);
    assert.deepEqual(store.revisions("lab").map((r) => [r.number, r.author, r.message]), [[2, "bo", "typo"], [1, "ana", "first"]]);
  });

  test("identical content is stored once", () => {
    store.save("lab", { baseRevision: 2, changes: [{ path: "inventory.yml", content: INVENTORY }], author: "bo", message: "fix" });
    const blobs = db.$client.prepare("select count(*) as n from blobs").get() as { n: number };
    assert.equal(blobs.n, 3, "INVENTORY, the broken copy and the profile");
  });

  test("a save based on an old revision is refused and writes nothing", () => {
    const before = store.revisions("lab").length;
    assert.throws(
      () => store.save("lab", { baseRevision: 1, changes: [{ path: "inventory.yml", content: "x: 1\n" }], author: "cy", message: "stale" }),
      (e) => e instanceof ConflictError && /revision 3 was saved by bo/.test(e.message),
    );
    assert.equal(store.revisions("lab").length, before);
  });

  test("bad paths and missing files are refused without a half-written revision", () => {
    const before = store.revisions("lab").length;
    for (const path of ["../escape.yml", "/etc/x.yml", "a/./b.yml", "notes.txt", "", "a\u0000b.yml", "tab\there.yml", "half\ud800.yml"]) {
      assert.throws(() => store.save("lab", { baseRevision: 3, changes: [{ path, content: "a: 1\n" }], author: "x", message: "" }), InvalidInputError, path);
    }
    assert.throws(
      () => store.save("lab", { baseRevision: 3, changes: [{ path: "ok.yml", content: "a: 1\n" }, { path: "missing.yml", content: null }], author: "x", message: "" }),
      NotFoundError,
    );
    assert.equal(store.revisions("lab").length, before);
    assert.ok(!store.files("lab").files.some((f) => f.path === "ok.yml"), "the first change of a failed save is not kept");
  });

  test("content that is not valid UTF-8 text is refused, not stored as U+FFFD", () => {
    const before = store.revisions("lab").length;
    assert.throws(() => store.save("lab", { baseRevision: 3, changes: [{ path: "bad.yml", content: "a: \udc80\n" }], author: "x", message: "" }), /bad\.yml: the content is not valid UTF-8 text/);
    assert.equal(store.revisions("lab").length, before);
    // A real replacement character (or an emoji's surrogate pair) is text like any other.
    store.create({ slug: "text", name: "Text", files: [{ path: "ok.yml", content: "a: \ufffd \u{1F600}\n" }], author: "x", message: "" });
    assert.equal(store.files("text").files[0]?.content, "a: \ufffd \u{1F600}\n");
  });

  test("deleting a file is a change like any other", () => {
    const rev = store.save("lab", { baseRevision: 3, changes: [{ path: "profiles/base.yml", content: null }], author: "x", message: "drop" });
    assert.deepEqual(store.files("lab", rev.number).files.map((f) => f.path), ["inventory.yml"]);
  });

  test("unknown sites and revisions are NotFound", () => {
    assert.throws(() => store.get("nope"), NotFoundError);
    assert.throws(() => store.files("lab", 99), NotFoundError);
    assert.throws(() => store.save("nope", { baseRevision: 1, changes: [{ path: "a.yml", content: "" }], author: "", message: "" }), NotFoundError);
  });

  test("invalid site ids are refused", () => {
    for (const slug of ["Lab", "-x", "a b", "x".repeat(64)]) {
      assert.throws(() => store.create({ slug, name: "n", files: [], author: "", message: "" }), InvalidInputError, slug);
    }
  });
});
