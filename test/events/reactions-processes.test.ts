/**
 * Reactions in two processes on one database (two stores, two reactors, two wait loops): the limiter's state is
 * updated in one transaction, so events handled at once by both never fire twice nor lose a count, and a due
 * wait fires once. SQLite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { Reactor, WaitLoop } from "../../server/events/reactions";
import type { StoredEvent } from "../../server/events/types";
import { openStore } from "../../server/store/open";
import type { Dialect, Store } from "../../server/store/types";
import { localInventory, workflow } from "../engine/fleet-site";
import { createTestDatabase } from "../support/postgres";

const T0 = 1_800_000_000_000;

const REACTIONS = `kind: reaction
api_version: v1beta1
spec:
  name: pairs
  on: {event: "test/pair"}
  limit: {min_occurrences: 2}
  run: {deployment: d}
---
kind: reaction
api_version: v1beta1
spec:
  name: quiet
  on: {event: "test/burst"}
  limit: {wait_for_more: {timeout: 30s}}
  run: {deployment: d}
`;

async function twoStores(dialect: Dialect): Promise<{ a: Store; b: Store; dispose(): Promise<void> }> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "fd-reactions-2-"));
    const a = await openStore({ FLIGHTDECK_DATA: dir });
    const b = await openStore({ FLIGHTDECK_DATA: dir });
    return { a, b, dispose: async () => (await Promise.all([a.close(), b.close()]), rmSync(dir, { recursive: true, force: true })) };
  }
  const database = await createTestDatabase();
  const a = await openStore({ FLIGHTDECK_DATABASE_URL: database.url });
  const b = await openStore({ FLIGHTDECK_DATABASE_URL: database.url });
  return { a, b, dispose: async () => (await Promise.all([a.close(), b.close()]), await database.drop()) };
}

/** A process's reactor over its own store; its runner only counts the runs it is asked for. */
function processOn(store: Store, launched: number[], now: () => number) {
  const reactor = new Reactor({
    // Its runs are never stored (its runner only counts them).
    store: { sites: store.sites, events: store.events, audit: store.audit, notifications: store.notifications, runs: store.runs },
    runner: {
      launch: () => {
        launched.push(launched.length + 1);
        return Promise.resolve(launched.length);
      },
    },
    hub: { events: store.events, broadcast: () => undefined },
    now,
  });
  return { reactor, loop: new WaitLoop(reactor) };
}

for (const dialect of ["sqlite", "postgres"] as const) {
  describe(`reactions in two processes on ${dialect}`, () => {
    let stores: Awaited<ReturnType<typeof twoStores>>;
    beforeEach(async () => {
      stores = await twoStores(dialect);
      await stores.a.sites.create({ slug: "lab", name: "lab", files: [{ path: "site.yml", content: `${localInventory(["h"])}---\n${workflow(`  - {name: x, action: cmd.run, params: {cmd: "true"}}`)}---\n${REACTIONS}` }], author: "t", message: "m" });
    });
    afterEach(async () => {
      await stores.dispose();
    });

    test("40 events handled at once by two processes fire exactly 20 times (min_occurrences 2: no count lost, no fire doubled)", async () => {
      const launched: number[] = [];
      const now = () => T0;
      const p = [processOn(stores.a, launched, now), processOn(stores.b, launched, now)];
      const events: { event: StoredEvent; by: number }[] = [];
      for (let i = 0; i < 40; i++) {
        const by = i % 2;
        events.push({ by, event: await [stores.a, stores.b][by]!.events.insert("lab", { name: "test/pair", labels: {}, data: {}, source: "api", sender: "t", receivedAt: T0 }) });
      }
      const outcomes = (await Promise.all(events.map(({ event, by }) => p[by]!.reactor.react(event)))).flat();
      assert.equal(outcomes.length, 40);
      assert.equal(outcomes.filter((o) => o.result === "fired").length, 20, JSON.stringify(outcomes.filter((o) => o.result !== "fired" && o.result !== "matched")));
      assert.equal(outcomes.filter((o) => o.result === "matched").length, 20);
      assert.equal(launched.length, 20);
    });

    test("a due wait_for_more wait fires once when both processes' loops tick at once", async () => {
      const launched: number[] = [];
      let t = T0;
      const now = () => t;
      const [one, two] = [processOn(stores.a, launched, now), processOn(stores.b, launched, now)];
      const event = await stores.a.events.insert("lab", { name: "test/burst", labels: {}, data: {}, source: "api", sender: "t", receivedAt: T0 });
      const [waiting] = await one.reactor.react(event);
      assert.deepEqual([waiting?.result, waiting?.until], ["waiting", T0 + 30_000]);
      t = T0 + 29_999;
      assert.deepEqual(await Promise.all([one.loop.tick(t), two.loop.tick(t)]), [0, 0]);
      t = T0 + 30_000;
      const fired = await Promise.all([one.loop.tick(t), two.loop.tick(t)]);
      assert.equal(fired[0] + fired[1], 1);
      assert.deepEqual(await Promise.all([one.loop.tick(t + 1), two.loop.tick(t + 1)]), [0, 0]);
      assert.equal(launched.length, 1);
      const stored = await stores.b.events.get("lab", event.id);
      assert.deepEqual(stored.outcome.map((o) => [o.reaction, o.result, o.runId]), [["quiet", "fired", 1]]);
    });
  });
}
