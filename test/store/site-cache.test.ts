/** server/site-cache.ts over a real SQLite store: a cached lookup reads no file contents; a change is never missed. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadRevision } from "../../server/site-cache";
import { openSqliteStore, type Db } from "../../server/store/sqlite";
import type { SiteStore } from "../../server/store/types";

const inventory = (...hosts: string[]) => `kind: inventory
api_version: v1beta1
spec:
  hosts:
${hosts.map((h) => `  - name: ${h}\n`).join("")}`;

describe("loaded sites are cached by their files' content hashes", () => {
  let dir: string;
  let db: Db;
  let store: SiteStore;
  /** Every SQL statement the store runs, as prepared on the SQLite connection. */
  let statements: string[] = [];
  /** How many times the store was asked for file contents. */
  let contentReads = 0;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "fd-site-cache-"));
    const opened = openSqliteStore(dir);
    db = opened.db;
    store = opened.sites;
    const client = db.$client;
    const prepare = client.prepare.bind(client);
    client.prepare = (sql: string) => {
      statements.push(sql);
      return prepare(sql);
    };
    const files = store.files.bind(store);
    store.files = (...args: Parameters<SiteStore["files"]>) => {
      contentReads++;
      return files(...args);
    };
  });
  after(() => {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `fn`, returning what it returned with the statements it ran and the content reads it made. */
  async function watch<T>(fn: () => Promise<T>): Promise<{ value: T; blobQueries: number; contentReads: number }> {
    statements = [];
    const before = contentReads;
    const value = await fn();
    return { value, blobQueries: statements.filter((sql) => /\bblobs\b/.test(sql)).length, contentReads: contentReads - before };
  }

  test("the first lookup reads the contents, the second only the manifest and returns the same site", async () => {
    await store.create({ slug: "cache-a", name: "A", files: [{ path: "inventory.yml", content: inventory("web-1", "web-2") }], author: "ana", message: "first" });
    const first = await watch(() => loadRevision(store, "cache-a"));
    assert.equal(first.contentReads, 1);
    assert.ok(first.blobQueries > 0, "a miss reads the file contents");
    assert.deepEqual([...first.value.site.model.hosts.keys()], ["web-1", "web-2"]);

    const again = await watch(() => loadRevision(store, "cache-a"));
    assert.equal(again.contentReads, 0, "a cached lookup does not ask for file contents");
    assert.equal(again.blobQueries, 0, "a cached lookup runs no query on the blobs table");
    assert.equal(again.value.site, first.value.site);
    assert.equal(again.value.revision, 1);

    const byNumber = await watch(() => loadRevision(store, "cache-a", 1));
    assert.equal(byNumber.contentReads + byNumber.blobQueries, 0);
    assert.equal(byNumber.value.site, first.value.site);
  });

  test("a new revision is loaded, and the old one stays cached", async () => {
    await store.save("cache-a", { baseRevision: 1, changes: [{ path: "inventory.yml", content: inventory("web-1", "web-2", "web-3") }], author: "bo", message: "more" });
    const head = await watch(() => loadRevision(store, "cache-a"));
    assert.equal(head.value.revision, 2);
    assert.equal(head.contentReads, 1);
    assert.deepEqual([...head.value.site.model.hosts.keys()], ["web-1", "web-2", "web-3"]);
    const old = await watch(() => loadRevision(store, "cache-a", 1));
    assert.equal(old.contentReads, 0);
    assert.deepEqual([...old.value.site.model.hosts.keys()], ["web-1", "web-2"]);
  });

  test("a site deleted and created again under the same slug, with other files, is not served from the cache", async () => {
    await store.create({ slug: "cache-b", name: "B", files: [{ path: "inventory.yml", content: inventory("db-1") }], author: "ana", message: "first" });
    assert.deepEqual([...(await loadRevision(store, "cache-b")).site.model.hosts.keys()], ["db-1"]);
    await store.delete("cache-b");
    await store.create({ slug: "cache-b", name: "B", files: [{ path: "inventory.yml", content: inventory("db-2") }], author: "ana", message: "again" });
    const fresh = await watch(() => loadRevision(store, "cache-b"));
    assert.equal(fresh.value.revision, 1);
    assert.equal(fresh.contentReads, 1);
    assert.deepEqual([...fresh.value.site.model.hosts.keys()], ["db-2"]);
  });
});
