/**
 * The event store on SQLite and PostgreSQL: events stored and paged newest first, outcomes, per-site settings,
 * and the reactions' limiter state updated in one transaction, so that two stores on one database (two
 * processes) never both fire, and a due wait is claimed once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { errorCode } from "../../server/errors";
import type { NewSiteEvent, ReactionKey, ReactionState } from "../../server/events/types";
import { openStore } from "../../server/store/open";
import type { Dialect, Store } from "../../server/store/types";
import { createTestDatabase } from "../support/postgres";

const INVENTORY = "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n";
const T0 = 1_700_000_000_000;

/** Two stores on one fresh database: what two processes see. */
async function twoStores(dialect: Dialect): Promise<{ a: Store; b: Store; dispose(): Promise<void> }> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "fd-events-"));
    const a = await openStore({ FLIGHTDECK_DATA: dir });
    const b = await openStore({ FLIGHTDECK_DATA: dir });
    return { a, b, dispose: async () => (await Promise.all([a.close(), b.close()]), rmSync(dir, { recursive: true, force: true })) };
  }
  const database = await createTestDatabase();
  const a = await openStore({ FLIGHTDECK_DATABASE_URL: database.url });
  const b = await openStore({ FLIGHTDECK_DATABASE_URL: database.url });
  return { a, b, dispose: async () => (await Promise.all([a.close(), b.close()]), await database.drop()) };
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(promise, (e: Error) => {
    assert.equal(errorCode(e), code, `expected ${code}, got ${errorCode(e) ?? "no code"}: ${e.message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

function event(name: string, at: number, labels: Record<string, string> = {}): NewSiteEvent {
  return { name, labels, data: { n: at - T0, nested: { list: [1, "two", null] } }, source: "api", sender: "ana (ci)", receivedAt: at };
}

for (const dialect of ["sqlite", "postgres"] as const) {
  describe(`event store on ${dialect}`, () => {
    let stores: Awaited<ReturnType<typeof twoStores>>;
    let store: Store;
    beforeEach(async () => {
      stores = await twoStores(dialect);
      store = stores.a;
      for (const slug of ["lab", "prod"]) await store.sites.create({ slug, name: slug, files: [{ path: "inventory.yml", content: INVENTORY }], author: "ana", message: "first" });
    });
    afterEach(async () => {
      await stores.dispose();
    });

    test("an event is stored with its id and an empty outcome, and read back with the interface's types", async () => {
      const stored = await store.events.insert("lab", event("alertmanager/DiskFull", T0, { severity: "critical" }));
      assert.ok(Number.isInteger(stored.id) && stored.id > 0);
      assert.deepEqual(stored, {
        id: stored.id,
        site: "lab",
        source: "api",
        sender: "ana (ci)",
        name: "alertmanager/DiskFull",
        labels: { severity: "critical" },
        data: { n: 0, nested: { list: [1, "two", null] } },
        receivedAt: T0,
        outcome: [],
      });
      assert.deepEqual(await stores.b.events.get("lab", stored.id), stored);
    });

    test("events are paged newest first, before a cursor, by name, and per site", async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store.events.insert("lab", event(i % 2 ? "b/odd" : "a/even", T0 + i))).id);
      await store.events.insert("prod", event("a/even", T0));
      const first = await store.events.page("lab", { limit: 2 });
      assert.deepEqual(first.map((e) => e.id), [ids[4], ids[3]]);
      const next = await store.events.page("lab", { limit: 2, before: first.at(-1)!.id });
      assert.deepEqual(next.map((e) => e.id), [ids[2], ids[1]]);
      const last = await store.events.page("lab", { limit: 2, before: next.at(-1)!.id });
      assert.deepEqual(last.map((e) => e.id), [ids[0]]);
      assert.deepEqual((await store.events.page("lab", { limit: 50, name: "b/odd" })).map((e) => e.id), [ids[3], ids[1]]);
      assert.equal((await store.events.page("prod", { limit: 50 })).length, 1);
    });

    test("unknown sites and another site's event are not found", async () => {
      const stored = await store.events.insert("lab", event("x", T0));
      await rejectsWith(store.events.get("prod", stored.id), "NOT_FOUND", /site 'prod' has no event/);
      await rejectsWith(store.events.get("lab", stored.id + 100), "NOT_FOUND");
      await rejectsWith(store.events.insert("nope", event("x", T0)), "NOT_FOUND", /no site 'nope'/);
      await rejectsWith(store.events.page("nope", { limit: 1 }), "NOT_FOUND");
      await rejectsWith(store.events.settings("nope"), "NOT_FOUND");
    });

    test("an outcome replaces the previous one", async () => {
      const stored = await store.events.insert("lab", event("x", T0));
      await store.events.setOutcome(stored.id, [{ reaction: "r", result: "held", until: T0 + 60_000, detail: "re_react_delay" }]);
      await store.events.setOutcome(stored.id, [{ reaction: "r", result: "fired", runId: 7 }]);
      assert.deepEqual((await store.events.get("lab", stored.id)).outcome, [{ reaction: "r", result: "fired", runId: 7 }]);
    });

    test("settings have defaults, change field by field, and go with the site", async () => {
      assert.deepEqual(await store.events.settings("lab"), { webhookSecret: null, allowAutoApproval: false, notify: [], github: null });
      await store.events.setSettings("lab", { webhookSecret: "ENC[x]" });
      const after = await store.events.setSettings("lab", { allowAutoApproval: true, github: { branch: "main", deployment: "rollout" } });
      assert.deepEqual(after, { webhookSecret: "ENC[x]", allowAutoApproval: true, notify: [], github: { branch: "main", deployment: "rollout" } });
      assert.deepEqual(await stores.b.events.settings("lab"), after);
      assert.deepEqual(await store.events.setSettings("lab", { github: null, notify: [{ kinds: ["run_failed"], channel: "email", target: "a@b.c" }] }), {
        ...after,
        github: null,
        notify: [{ kinds: ["run_failed"], channel: "email", target: "a@b.c" }],
      });
      assert.deepEqual(await store.events.setSettings("lab", {}), await store.events.settings("lab"));
      assert.equal((await store.events.settings("prod")).webhookSecret, null);
      await store.sites.delete("lab");
      await rejectsWith(store.events.settings("lab"), "NOT_FOUND");
    });

    test("limiter state: created, changed, left, deleted", async () => {
      const at: ReactionKey = { site: "lab", reaction: "disk", key: "web-1" };
      assert.equal(await store.events.reactionState(at), null);
      const state: ReactionState = { occurrences: [{ eventId: 1, at: T0 }], lastFiredAt: null, waitUntil: T0 + 30_000, waitEventId: 1, updatedAt: T0 };
      assert.equal(await store.events.updateReactionState(at, (cur) => ({ state, result: cur })), null);
      assert.deepEqual(await store.events.updateReactionState(at, (cur) => ({ result: cur })), state);
      assert.deepEqual(await stores.b.events.reactionState(at), state);
      assert.equal(await store.events.reactionState({ ...at, key: "web-2" }), null);
      await store.events.updateReactionState(at, () => ({ state: null, result: undefined }));
      assert.equal(await store.events.reactionState(at), null);
      await rejectsWith(store.events.updateReactionState({ ...at, site: "nope" }, () => ({ result: 1 })), "NOT_FOUND");
    });

    test("two stores on one database counting occurrences concurrently lose none and fire once", async () => {
      const at: ReactionKey = { site: "lab", reaction: "disk", key: "*" };
      // Each call adds an occurrence; the one that brings the count to 3 fires (the limiter's shape, reduced).
      const occur = (s: Store, i: number) =>
        s.events.updateReactionState(at, (cur) => {
          const occurrences = [...(cur?.occurrences ?? []), { eventId: i, at: T0 + i }];
          const fires = occurrences.length === 3;
          return { state: { occurrences, lastFiredAt: fires ? T0 + i : (cur?.lastFiredAt ?? null), waitUntil: null, waitEventId: null, updatedAt: T0 + i }, result: fires };
        });
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => occur(i % 2 ? stores.a : stores.b, i)));
      assert.equal(results.filter(Boolean).length, 1);
      const final = await store.events.reactionState(at);
      assert.equal(final?.occurrences.length, 20);
      assert.deepEqual(new Set(final?.occurrences.map((o) => o.eventId)), new Set(Array.from({ length: 20 }, (_, i) => i)));
    });

    test("due waits are listed, oldest first, by any store on the database", async () => {
      const at: ReactionKey = { site: "lab", reaction: "disk", key: "*" };
      const waiting = (until: number): ReactionState => ({ occurrences: [], lastFiredAt: null, waitUntil: until, waitEventId: 42, updatedAt: T0 });
      await store.events.updateReactionState(at, () => ({ state: waiting(T0 + 30_000), result: null }));
      await store.events.updateReactionState({ ...at, reaction: "later" }, () => ({ state: waiting(T0 + 90_000), result: null }));
      assert.deepEqual(await store.events.dueWaits(T0 + 29_999), []);
      const due = await stores.b.events.dueWaits(T0 + 30_000);
      assert.deepEqual(due, [{ site: "lab", reaction: "disk", key: "*", waitUntil: T0 + 30_000, waitEventId: 42 }]);
      assert.deepEqual(await stores.b.events.dueWaits(T0 + 90_000), [...due, { site: "lab", reaction: "later", key: "*", waitUntil: T0 + 90_000, waitEventId: 42 }], "oldest first");
    });
  });
}
