/**
 * The run list's filters and cursor (the REST list's), and the audit query's cursor, on both dialects: walking
 * the pages returns every matching row exactly once, newest first, and the filters AND together.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { Plan } from "../../server/engine";
import type { Store } from "../../server/store/types";
import { DIALECTS, freshStore, type StoreUnderTest } from "./contract-stores";

const INVENTORY = "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n";
const plan = (deployment: string): Plan => ({ deployment, title: deployment, stages: [], hosts: ["web-1"], steps: ["ping"] });

/** Run `i` of a site: deployment a or b by parity, requested by ana or bo by thirds, created at second `i`. */
async function runs(store: Store, site: string, n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = await store.runs.create({
      site,
      revision: 1,
      plan: plan(i % 2 ? "b" : "a"),
      requestedBy: i % 3 ? "ana" : "bo",
      reason: "",
      options: { forks: 5 },
      status: "awaiting_approval",
    });
    ids.push(id);
  }
  return ids;
}

for (const dialect of DIALECTS) {
  describe(`run list and audit pagination on ${dialect}`, () => {
    let db: StoreUnderTest;
    let store: Store;
    beforeEach(async () => {
      db = await freshStore(dialect);
      store = db.store;
      for (const slug of ["lab", "other"]) await store.sites.create({ slug, name: slug, files: [{ path: "inventory.yml", content: INVENTORY }], author: "ana", message: "m" });
    });
    afterEach(() => db.dispose());

    test("pages of runs, by id cursor: every run once, newest first, only the site's", async () => {
      const ids = await runs(store, "lab", 23);
      await runs(store, "other", 5);
      const seen: number[] = [];
      let before: number | undefined;
      for (let page = 0; page < 10; page++) {
        const rows = await store.runs.list("lab", 5, undefined, { before });
        seen.push(...rows.map((r) => r.id));
        if (rows.length < 5) break;
        before = rows.at(-1)!.id;
      }
      assert.deepEqual(seen, [...ids].reverse());
    });

    test("events after a seq, at most `limit` of them: pages of run events read only their page", async () => {
      const [id] = await runs(store, "lab", 1);
      await store.runs.append(id!, Array.from({ length: 12 }, (_, i) => ({ type: "host.status" as const, host: `h${i}`, status: "ok" as const, t: i })), []);
      const seen: number[] = [];
      for (let after = 0, page = 0; page < 10; page++) {
        const rows = await store.runs.events(id!, after, 5);
        assert.ok(rows.length <= 5);
        seen.push(...rows.map((e) => e.seq));
        if (rows.length < 5) break;
        after = rows.at(-1)!.seq;
      }
      assert.deepEqual(seen, Array.from({ length: 12 }, (_, i) => i + 1));
      assert.equal((await store.runs.events(id!, 3)).length, 9, "without a limit: all after the seq");
    });

    test("filters AND together: status, deployment, requester, since, cursor", async () => {
      const ids = await runs(store, "lab", 12);
      await store.runs.setStatus(ids[4]!, "cancelled");
      const a = await store.runs.list("lab", 100, undefined, { deployment: "a" });
      assert.deepEqual(a.map((r) => r.id), ids.filter((_, i) => i % 2 === 0).reverse());
      const boA = await store.runs.list("lab", 100, undefined, { deployment: "a", requestedBy: "bo" });
      assert.deepEqual(boA.map((r) => r.id), ids.filter((_, i) => i % 2 === 0 && i % 3 === 0).reverse());
      assert.deepEqual((await store.runs.list("lab", 100, "cancelled", { deployment: "a" })).map((r) => r.id), [ids[4]]);
      assert.deepEqual(await store.runs.list("lab", 100, "cancelled", { deployment: "b" }), []);
      const below = await store.runs.list("lab", 100, undefined, { deployment: "a", before: ids[6] });
      assert.deepEqual(below.map((r) => r.id), [ids[4], ids[2], ids[0]]);
      // Runs are created now: a moment in the future matches none, one in the past all.
      assert.deepEqual(await store.runs.list("lab", 100, undefined, { since: new Date(Date.now() + 60_000) }), []);
      assert.equal((await store.runs.list("lab", 100, undefined, { since: new Date(Date.now() - 60_000) })).length, 12);
    });

    test("audit entries by id cursor: every matching entry once, newest first", async () => {
      for (let i = 0; i < 17; i++) {
        await store.audit.insert({ at: new Date(1_700_000_000_000 + i), actor: "ana", actorId: null, action: i % 2 ? "run.requested" : "site.settings", site: i % 4 ? "lab" : "other", target: `t${i}`, detail: "{}", ip: null });
      }
      const all = await store.audit.query({ limit: 100 });
      const want = all.filter((r) => r.site === "lab" && r.action === "run.requested").map((r) => r.id);
      assert.ok(want.length > 3);
      const seen: number[] = [];
      let before: number | undefined;
      for (let page = 0; page < 20; page++) {
        const rows = await store.audit.query({ site: "lab", action: "run.requested", before, limit: 2 });
        seen.push(...rows.map((r) => r.id));
        if (rows.length < 2) break;
        before = rows.at(-1)!.id;
      }
      assert.deepEqual(seen, want);
    });
  });
}
