/**
 * Run workers over a real store (SQLite and a real PostgreSQL server) with local-transport runs: per-site limits
 * across two workers, leases that expire when a worker dies (interrupted exactly once, gap-free, even with two
 * sweepers), a starting process leaving a live worker's runs alone, cancel from another process (by message
 * and by the lease-renewal fallback), and a graceful stop.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import pg from "pg";
import { planDeployment, RunTracker, type OutputChunk, type RunEvent, type RunStatus } from "../../server/engine";
import { PostgresControl, type ControlChannel } from "../../server/runs/control";
import { IntrospectionTokens } from "../../server/runs/introspection";
import { interruptRun, LeaseSweeper } from "../../server/runs/leases";
import { RunParts } from "../../server/runs/queue/setup";
import { storedSinks } from "../../server/runs/sink";
import type { RunExecution } from "../../server/runs/worker";
import { loadRevision } from "../../server/site-cache";
import { openPostgresStore } from "../../server/store/pg";
import { openSqliteStore } from "../../server/store/sqlite";
import type { Store } from "../../server/store/types";
import { localInventory, workflow } from "../engine/fleet-site";
import { createTestDatabase } from "../support/postgres";

/** A broadcaster that keeps what it is given and lets a test wait for an event (the real one is socket.io's). */
class Recorder {
  readonly events = new Map<number, RunEvent[]>();
  private readonly waiters = new Set<{ test: (run: number, e: RunEvent) => boolean; resolve: () => void }>();
  siteRevision() {}
  siteRuns() {}
  runOutput(_run: number, _chunks: (OutputChunk & { t: number })[]) {}
  boardsOf = () => [];
  close() {
    return Promise.resolve();
  }
  runEvents(run: number, events: RunEvent[]) {
    const list = this.events.get(run) ?? [];
    list.push(...events);
    this.events.set(run, list);
    for (const e of events) {
      for (const w of this.waiters) {
        if (!w.test(run, e)) continue;
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }
  /** Resolves when an event of `run` matching `test` is broadcast (bounded). */
  until(run: number, test: (e: RunEvent) => boolean, what: string, ms = 20_000): Promise<void> {
    if ((this.events.get(run) ?? []).some(test)) return Promise.resolve();
    return bounded(new Promise((resolve) => this.waiters.add({ test: (r, e) => r === run && test(e), resolve })), ms, what);
  }
}

function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ]);
}

/** Resolves with the statuses of `runs` once the control channel said each finished (bounded). */
function finishedAll(control: ControlChannel, runs: readonly number[], ms = 60_000): Promise<Map<number, RunStatus>> {
  const got = new Map<number, RunStatus>();
  let stop = () => {};
  const done = new Promise<Map<number, RunStatus>>((resolve) => {
    stop = control.subscribe((m) => {
      if (m.kind !== "finished" || !runs.includes(m.run)) return;
      got.set(m.run, m.status);
      if (got.size === runs.length) resolve(got);
    });
  });
  return bounded(done, ms, `runs ${runs.join(", ")} finish (finished: ${[...got.keys()].join(", ") || "none"})`).finally(() => stop());
}

const SITE = (steps: string) => `${localInventory(["a", "b"])}---
${workflow(steps, "", "[all]", "dep")}`;
const QUICK = `  - {name: one, action: cmd.run, params: {cmd: "echo one"}}`;
const LONG = `  - {name: quick, action: cmd.run, params: {cmd: "echo quick"}}
  - {name: long, action: cmd.run, params: {cmd: "sleep 60"}}`;

/** How the worker gets a run's site: the frozen revision, no server policy (local steps run as in the CLI). */
const execution = (store: Store): RunExecution => ({
  prepare: async (run) => ({ site: (await loadRevision(store.sites, run.site, run.revision)).site }),
  introspection: new IntrospectionTokens(store.introspection),
});

async function addSite(store: Store, slug: string, steps: string, parallelRuns = 1) {
  await store.sites.create({ slug, name: slug, files: [{ path: "site.yml", content: SITE(steps) }], author: "t", message: "m" });
  await store.sites.setSettings(slug, { parallelRuns, approvalsRequired: 0 });
}

/** A run of the site's head, stored as `queued` (what approval does), in this order. */
async function queueRun(store: Store, slug: string): Promise<number> {
  const { revision, site } = await loadRevision(store.sites, slug);
  const plan = planDeployment(site, { deployment: "dep" });
  const id = await store.runs.create({ site: slug, revision, plan, requestedBy: "t", reason: "", options: { forks: 10 }, status: "awaiting_approval" });
  assert.ok(await store.runs.transition(id, ["awaiting_approval"], "queued", { approvedAt: new Date(), queuedAt: new Date() }));
  return id;
}

interface Setup {
  store: Store;
  /** This database's broadcasts (run ids start at 1 in every database: one recorder each). */
  recorder: Recorder;
  url?: string;
  parts(options?: { executes?: boolean; leaseMs?: number; capacity?: number; id?: string }): RunParts;
  close(): Promise<void>;
}


function sqliteSetup(): Setup {
  const dir = mkdtempSync(join(tmpdir(), "fd-worker-"));
  const store = openSqliteStore(dir);
  const recorder = new Recorder();
  return {
    store,
    recorder,
    parts: (o = {}) =>
      new RunParts({
        store,
        broadcaster: recorder,
        executes: o.executes ?? true,
        settings: { capacity: o.capacity ?? 8, leaseMs: o.leaseMs ?? 15_000, graceMs: 0 },
        publicUrl: "http://127.0.0.1:1",
        version: "test",
      }),
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresSetup(): Promise<Setup> {
  const db = await createTestDatabase();
  const store = await openPostgresStore(db.url, { poolSize: 4 });
  const opened: RunParts[] = [];
  const recorder = new Recorder();
  return {
    store,
    recorder,
    url: db.url,
    parts: (o = {}) => {
      const parts = new RunParts({
        store,
        databaseUrl: db.url,
        broadcaster: recorder,
        // Stored and broadcast here, so the recorder hears them (the storage thread's emitter: test/cluster, sink-thread).
        sinks: storedSinks(store.runs, recorder),
        executes: o.executes ?? true,
        settings: { capacity: o.capacity ?? 8, leaseMs: o.leaseMs ?? 15_000, graceMs: 0 },
        publicUrl: "http://127.0.0.1:1",
        version: "test",
        pollMs: 500,
      });
      opened.push(parts);
      return parts;
    },
    close: async () => {
      // A failed test may leave parts running: stopped here, before their database goes.
      await Promise.all(opened.map((p) => p.abandon().catch(() => undefined)));
      await store.close();
      await db.drop();
    },
  };
}

/** Runs of a site never overlapped and started in queue order (ids ascending). */
async function assertOneAtATime(store: Store, ids: number[]) {
  const rows = await Promise.all(ids.map((id) => store.runs.get(id)));
  for (let i = 1; i < rows.length; i++) {
    const before = rows[i - 1]!;
    const next = rows[i]!;
    assert.ok(next.startedAt && before.finishedAt, `runs ${before.id} and ${next.id} ran`);
    assert.ok(next.startedAt.getTime() >= before.finishedAt.getTime(), `run ${next.id} started after run ${before.id} ended`);
  }
}

function assertGapFree(events: RunEvent[]) {
  assert.deepEqual(
    events.map((e) => e.seq),
    events.map((_, i) => i + 1),
    "sequence numbers have no gap",
  );
}

describe("SQLite: the embedded dispatcher", () => {
  test("queued runs of a site run one at a time in queue order; another site's run is not held up", async () => {
    const s = sqliteSetup();
    try {
      await addSite(s.store, "one", QUICK);
      await addSite(s.store, "two", QUICK);
      const ids = [await queueRun(s.store, "one"), await queueRun(s.store, "one"), await queueRun(s.store, "two"), await queueRun(s.store, "one")];
      assert.deepEqual((await s.store.runs.queued()).map((q) => q.id), ids, "the queue's order is the order they were queued");
      const parts = s.parts();
      const finished = finishedAll(parts.control, ids);
      await parts.start(execution(s.store));
      const statuses = await finished;
      for (const id of ids) assert.equal(statuses.get(id), "succeeded");
      await assertOneAtATime(s.store, [ids[0]!, ids[1]!, ids[3]!]);
      await parts.stop();
    } finally {
      await s.close();
    }
  });
});

describe("PostgreSQL: workers, leases, cancel", () => {
  test("per-site limit 1 holds across two workers; a site allowing 2 runs two at once", async () => {
    const s = await postgresSetup();
    try {
      await addSite(s.store, "one", QUICK);
      await addSite(s.store, "wide", LONG.replace("sleep 60", "echo long"), 2);
      const w1 = s.parts();
      const w2 = s.parts();
      const watcher = s.parts({ executes: false });
      await Promise.all([w1.start(execution(s.store)), w2.start(execution(s.store)), watcher.start(execution(s.store))]);
      const ones: number[] = [];
      const wides: number[] = [];
      for (let i = 0; i < 5; i++) ones.push(await queueRun(s.store, "one"));
      for (let i = 0; i < 2; i++) wides.push(await queueRun(s.store, "wide"));
      const finished = finishedAll(watcher.control, [...ones, ...wides]);
      for (const id of ones) await w1.queue.submit(id);
      for (const id of wides) await w2.queue.submit(id);
      const statuses = await finished.catch(async (e: Error) => {
        const rows = await Promise.all([...ones, ...wides].map((id) => s.store.runs.get(id)));
        throw new Error(`${e.message}; ${rows.map((r) => `${r.id}: ${r.status}`).join(", ")}`);
      });
      for (const [id, status] of statuses) assert.equal(status, "succeeded", `run ${id}`);
      await assertOneAtATime(s.store, ones);
      const workers = new Set((await Promise.all(ones.map((id) => s.store.runs.get(id)))).map((r) => r.worker));
      assert.ok([...workers].every((w) => w === w1.worker!.id || w === w2.worker!.id), "every run was executed by one of the two workers");
      await Promise.all([w1.stop(), w2.stop(), watcher.stop()]);
    } finally {
      await s.close();
    }
  });

  test("a dead worker's run becomes interrupted exactly once (two sweepers), gap-free; a starting process leaves a live worker's run alone", async () => {
    const s = await postgresSetup();
    try {
      await addSite(s.store, "long", LONG);
      const leaseMs = 1500;
      // One run at a time: while it holds the long run, the next one can only go to the doomed worker.
      const live = s.parts({ leaseMs, capacity: 1 });
      const doomed = s.parts({ leaseMs });
      await live.start(execution(s.store));
      const held = await queueRun(s.store, "long");
      await live.queue.submit(held);
      await s.recorder.until(held, (e) => e.type === "step.status" && e.step === "long" && e.status === "running", "the live worker's run reaches its long step");
      // The doomed worker gets a run of another site (the live one is full).
      await addSite(s.store, "other", LONG);
      await doomed.start(execution(s.store));
      const dies = await queueRun(s.store, "other");
      await doomed.queue.submit(dies);
      await s.recorder.until(dies, (e) => e.type === "step.status" && e.step === "long" && e.status === "running", "the doomed worker's run reaches its long step");
      assert.equal((await s.store.runs.get(dies)).worker, doomed.worker!.id);

      // Whichever process's sweeper gets there first ends it: the test hears it on a channel of its own.
      const control = new PostgresControl({ url: s.url! });
      await control.whenListening();
      const ended = finishedAll(control, [dies], 20_000);
      // SIGKILL, as far as the database can tell: no more renewals, nothing written.
      await doomed.abandon();
      const storedBefore = (await s.store.runs.events(dies)).length;

      // A process starting now (its first sweep is inside start()) must not touch the live worker's run.
      const restarted = s.parts({ leaseMs });
      await restarted.start(execution(s.store));
      assert.equal((await s.store.runs.get(held)).status, "running", "the live worker's run is left alone");

      // Two more sweepers race with the restarted process's for the dead worker's run once its lease expired.
      const sweeperA = new LeaseSweeper({ store: s.store, broadcaster: s.recorder, control, queue: restarted.queue, leaseMs });
      const sweeperB = new LeaseSweeper({ store: s.store, broadcaster: s.recorder, control, queue: restarted.queue, leaseMs });
      sweeperA.start();
      sweeperB.start();
      assert.equal((await ended).get(dies), "interrupted");
      await Promise.all([sweeperA.stop(), sweeperB.stop()]);
      // And once more, directly: the run is no longer running, so nothing is written.
      assert.equal(await interruptRun(s.store, s.recorder, dies, ["running"], { run: "x", step: "x" }), false);

      const run = await s.store.runs.get(dies);
      assert.equal(run.status, "interrupted");
      assert.match(run.message ?? "", new RegExp(`the worker executing this run stopped \\(worker ${escape(doomed.worker!.id)}\\)`));
      const events = await s.store.runs.events(dies);
      assertGapFree(events);
      assert.ok(events.length > storedBefore, "the ending was appended");
      assert.equal(events.filter((e) => e.type === "run.finished").length, 1, "one ending, however many sweepers");
      const tracker = new RunTracker(run.plan);
      for (const e of events) tracker.apply(e);
      for (const host of ["a", "b"]) {
        assert.equal(tracker.snapshot.hosts[host]!.steps.long!.status, "interrupted");
        assert.ok(tracker.snapshot.notices.some((n) => n.host === host && /interrupted at step 'long'/.test(n.message)), `${host}'s last step is said`);
      }

      // The live worker's run is still its own; cancel it from "another process" to end the test.
      assert.equal((await s.store.runs.get(held)).status, "running");
      assert.equal((await s.store.runs.get(held)).worker, live.worker!.id);
      const cancelled = finishedAll(control, [held]);
      await s.store.runs.requestCancel(held, "olga");
      await control.publish({ kind: "cancel", run: held, by: "olga" });
      assert.equal((await cancelled).get(held), "cancelled");
      await control.close();
      await Promise.all([live.stop(), restarted.stop()]);
    } finally {
      await s.close();
    }
  });

  test("a cancel stored without a message still stops the run (the lease renewal brings it); a graceful stop interrupts what outlives the grace period", async () => {
    const s = await postgresSetup();
    try {
      await addSite(s.store, "long", LONG, 2);
      const leaseMs = 1500;
      const parts = s.parts({ leaseMs });
      await parts.start(execution(s.store));
      const a = await queueRun(s.store, "long");
      const b = await queueRun(s.store, "long");
      await parts.queue.submit(a);
      await parts.queue.submit(b);
      for (const id of [a, b]) await s.recorder.until(id, (e) => e.type === "step.status" && e.step === "long" && e.status === "running", `run ${id} reaches its long step`);

      const ended = finishedAll(parts.control, [a]);
      await s.store.runs.requestCancel(a, "rita");
      assert.equal((await ended).get(a), "cancelled");

      await parts.stop("the worker was stopped (SIGTERM)", 0);
      const run = await s.store.runs.get(b);
      assert.equal(run.status, "interrupted");
      assert.match(run.message ?? "", /the worker was stopped \(SIGTERM\)/);
      const events = await s.store.runs.events(b);
      assertGapFree(events);
      const tracker = new RunTracker(run.plan);
      for (const e of events) tracker.apply(e);
      assert.equal(tracker.snapshot.status, "interrupted");
      for (const host of ["a", "b"]) assert.equal(tracker.snapshot.hosts[host]!.steps.long!.status, "interrupted");
      assert.equal(await s.store.workers.live(new Date(0)).then((w) => w.length), 0, "the stopped worker deregistered");
    } finally {
      await s.close();
    }
  });
});

describe("PostgreSQL: the registry of live processes", () => {
  test("a process that executes nothing is in it (so a worker of another build sees it), and leaves it when it stops", async () => {
    const s = await postgresSetup();
    try {
      const replica = s.parts({ executes: false });
      await replica.start(execution(s.store));
      const live = await s.store.workers.live(new Date(0));
      assert.deepEqual(
        live.map((w) => [w.id, w.version]),
        [[replica.presence!.id, "test"]],
      );
      await replica.stop();
      assert.deepEqual(await s.store.workers.live(new Date(0)), []);
    } finally {
      await s.close();
    }
  });
});

describe("PostgreSQL: a worker that loses the database", () => {
  test("stops its runs rather than run them unleased; once the database is back a sweeper ends them exactly once", async () => {
    const s = await postgresSetup();
    const admin = new pg.Client({ connectionString: s.url!.replace(/\/[^/]*$/, "/postgres") });
    await admin.connect();
    const database = new URL(s.url!).pathname.slice(1);
    let parts: RunParts | undefined;
    let workerStore: Store | undefined;
    try {
      await addSite(s.store, "long", LONG);
      const leaseMs = 1500;
      // The worker has a store (pool) of its own: the one the database will refuse.
      workerStore = await openPostgresStore(s.url!, { poolSize: 2 });
      parts = new RunParts({
        store: workerStore,
        databaseUrl: s.url,
        broadcaster: s.recorder,
        sinks: storedSinks(workerStore.runs, s.recorder),
        executes: true,
        settings: { capacity: 2, leaseMs, graceMs: 0 },
        publicUrl: "http://127.0.0.1:1",
        version: "test",
        pollMs: 500,
        log: () => undefined,
      });
      await parts.start(execution(workerStore));
      const id = await queueRun(s.store, "long");
      await parts.queue.submit(id);
      await s.recorder.until(id, (e) => e.type === "step.status" && e.step === "long" && e.status === "running", "the run reaches its long step");
      const finished = parts.worker!.finished(id)!;

      // The database turns this worker away: no new connection, the open ones ended.
      await admin.query(`alter database ${database} allow_connections false`);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [database]);
      const stoppedAt = Date.now();
      assert.equal(await bounded(finished, 10_000, "the worker stops its run without a lease"), "interrupted");
      assert.ok(Date.now() - stoppedAt < 2 * leaseMs + 3000, `stopped about when its lease ran out (after ${Date.now() - stoppedAt} ms)`);

      await admin.query(`alter database ${database} allow_connections true`);
      await s.store.close().catch(() => undefined);
      const store = await openPostgresStore(s.url!, { poolSize: 2 });
      try {
        assert.equal((await store.runs.get(id)).status, "running", "its end could not be stored: the row still says running");
        const control = new PostgresControl({ url: s.url! });
        await control.whenListening();
        const ended = finishedAll(control, [id], 20_000);
        const a = new LeaseSweeper({ store, broadcaster: s.recorder, control, queue: parts.queue, leaseMs });
        const b = new LeaseSweeper({ store, broadcaster: s.recorder, control, queue: parts.queue, leaseMs });
        a.start();
        b.start();
        assert.equal((await ended).get(id), "interrupted");
        await Promise.all([a.stop(), b.stop()]);
        await control.close();
        const events = await store.runs.events(id);
        assertGapFree(events);
        assert.equal(events.filter((e) => e.type === "run.finished").length, 1);
      } finally {
        await store.close();
      }
    } finally {
      await admin.query(`alter database ${database} allow_connections true`).catch(() => undefined);
      // Also when the test failed early: pg-boss's timers would keep the process alive.
      await parts?.abandon().catch(() => undefined);
      await workerStore?.close().catch(() => undefined);
      await admin.end();
      await s.close().catch(() => undefined);
    }
  });
});

describe("PostgreSQL: the control channel", () => {
  test("comes back after its connection is terminated, and a handler that throws harms nothing", async () => {
    const db = await createTestDatabase();
    const lines: string[] = [];
    const listener = new PostgresControl({ url: db.url, log: (l) => lines.push(l) });
    const sender = new PostgresControl({ url: db.url });
    try {
      await Promise.all([listener.whenListening(), sender.whenListening()]);
      listener.subscribe(() => {
        throw new Error("a broken handler");
      });
      const heard: number[] = [];
      let back!: () => void;
      const reconnected = new Promise<void>((resolve) => (back = resolve));
      listener.subscribe((m) => {
        if (m.kind === "cancel") heard.push(m.run);
        // After a reconnection the channel tells its own handlers to look again (what was said meanwhile is lost).
        if (m.kind === "nudge" && m.run === undefined && m.site === undefined) back();
      });
      const first = bounded(new Promise<void>((resolve) => listener.subscribe((m) => {
            if (m.kind === "cancel" && m.run === 1) resolve();
          })), 10_000, "the first message");
      await sender.publish({ kind: "cancel", run: 1, by: "t" });
      await first;

      // The database ends the listening connection (as a restart or a network cut would).
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ n: number }>("select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = 'flightdeck-control' and pid <> pg_backend_pid()");
        assert.ok(rows[0]!.n >= 1);
      } finally {
        await admin.end();
      }
      await bounded(reconnected, 15_000, "the listener reconnects");
      const second = bounded(new Promise<void>((resolve) => listener.subscribe((m) => {
            if (m.kind === "cancel" && m.run === 2) resolve();
          })), 10_000, "a message after the reconnection");
      await sender.publish({ kind: "cancel", run: 2, by: "t" });
      await second;
      assert.deepEqual(heard, [1, 2]);
      assert.ok(lines.some((l) => /lost the database connection/.test(l)) && lines.some((l) => /listening again/.test(l)), lines.join("\n"));
    } finally {
      await Promise.all([listener.close(), sender.close()]);
      await db.drop();
    }
  });
});

function escape(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
