/**
 * A worker's event storage thread on a real PostgreSQL server: events handed over from the engine's thread are
 * numbered 1..n in the order they were made, keep the time they were made, and a flush answers for everything
 * given before it; a run the store does not have fails its flush (and every later one) with the store's words;
 * a URL that cannot be reached is refused at start in one line; close stores what the thread still holds.
 * Its broadcast reaching another replica is test/cluster/broadcast.test.ts (real worker processes).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { planDeployment } from "../../server/engine";
import { loadSite } from "../../server/inventory";
import { SinkThread } from "../../server/runs/sink-thread";
import { openPostgresStore } from "../../server/store/pg";
import type { Store } from "../../server/store/types";
import { localSiteYaml } from "../support/cluster-site";
import { createTestDatabase, type TestDatabase } from "../support/postgres";

describe("PostgreSQL: the event storage thread", () => {
  let db: TestDatabase;
  let store: Store;
  const plan = planDeployment(loadSite([{ path: "site.yml", content: localSiteYaml(3, 2) }]));
  const newRun = () => store.runs.create({ site: "s", revision: 1, plan, requestedBy: "t", reason: "", options: { forks: 1 }, status: "running" });

  before(async () => {
    db = await createTestDatabase();
    store = await openPostgresStore(db.url);
    await store.sites.create({ slug: "s", name: "s", files: [{ path: "site.yml", content: localSiteYaml(3, 2) }], author: "t", message: "m" });
  });
  after(async () => {
    await store?.close();
    await db?.drop();
  });

  test("numbers events in the order they were made, keeps their time, and a flush covers all given before it", async () => {
    const thread = await SinkThread.start(db.url);
    try {
      const [a, b] = [await newRun(), await newRun()];
      const sa = thread.open(a);
      const sb = thread.open(b);
      const before = Date.now();
      for (let i = 0; i < 3000; i++) {
        sa.event({ type: "step.status", host: `h${i}`, step: "s1", status: "ok" });
        if (i % 3 === 0) sb.event({ type: "host.status", host: `h${i}`, status: "ok" });
        if (i % 1000 === 0) sa.output({ host: `h${i}`, step: "s1", stream: "stdout", data: `line ${i}\n` });
      }
      const made = Date.now();
      await Promise.all([sa.flush(), sb.flush()]);
      const [ea, eb] = [await store.runs.events(a), await store.runs.events(b)];
      assert.equal(ea.length, 3000);
      assert.equal(eb.length, 1000);
      assert.deepEqual(
        ea.map((e) => e.seq),
        ea.map((_, i) => i + 1),
      );
      assert.deepEqual(
        ea.map((e) => ("host" in e ? e.host : "")),
        ea.map((_, i) => `h${i}`),
      );
      assert.ok(ea.every((e) => e.t >= before && e.t <= made), "each event keeps the time it was made at, not the time it was stored");
      const output = await store.runs.output(a, "h1000", "s1");
      assert.deepEqual(
        output.map((o) => o.data),
        ["line 1000\n"],
      );
      // After the first flush, more events continue the numbering.
      sa.event({ type: "host.status", host: "h0", status: "ok" });
      sa.release();
      await thread.close();
      assert.equal(await store.runs.lastSeq(a), 3001, "close stores what the thread still held");
    } finally {
      await thread.close();
    }
  });

  test("a run the store does not have fails its flush with the store's words, then every later flush", async () => {
    const thread = await SinkThread.start(db.url);
    try {
      const sink = thread.open(999_999);
      sink.event({ type: "host.status", host: "h0", status: "ok" });
      await assert.rejects(sink.flush(), /no run 999999/);
      sink.event({ type: "host.status", host: "h1", status: "ok" });
      await assert.rejects(sink.flush(), /no run 999999/);
      // Other runs are not held up by it.
      const id = await newRun();
      const ok = thread.open(id);
      ok.event({ type: "host.status", host: "h0", status: "ok" });
      await ok.flush();
      assert.equal(await store.runs.lastSeq(id), 1);
    } finally {
      await thread.close();
    }
  });

  test("a database that cannot be reached is refused at start, in one line without the password", async () => {
    const url = "postgres://flightdeck:secret-pw@127.0.0.1:1/nothing";
    await assert.rejects(SinkThread.start(url), (e: Error) => {
      assert.match(e.message, /event storage thread could not connect/);
      assert.doesNotMatch(e.message, /secret-pw/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  });
});
