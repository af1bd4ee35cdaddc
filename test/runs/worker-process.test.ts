/**
 * `flightdeck worker` as real processes on a real PostgreSQL server, with a dashboard (in this process) that
 * executes nothing: two workers take runs; one is SIGKILLed mid-run and its run becomes `interrupted` within
 * 30 s with a gap-free sequence while the other finishes another run; SIGTERM with no grace period interrupts
 * the survivor's run and the process leaves cleanly; a worker refuses (one line, exit 2) a database at another
 * schema and a missing FLIGHTDECK_DATABASE_URL.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { RunTracker } from "../../server/engine";
import { readEnv } from "../../server/env";
import { createServices, type Services } from "../../server/services";
import { openPostgresStore } from "../../server/store/pg";
import { allowLocal, asUser, noApprovals } from "../api/callers";
import { localInventory, workflow } from "../engine/fleet-site";
import { createTestDatabase } from "../support/postgres";

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "fd-worker-process-"));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const SITE = (cmd: string) => `${localInventory(["a", "b"])}---
${workflow(`  - {name: first, action: cmd.run, params: {cmd: "echo first"}}
  - {name: main, action: cmd.run, params: {cmd: "${cmd}"}}`, "", "[all]", "dep")}`;

interface WorkerProcess {
  child: ChildProcess;
  id: string;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(env: Record<string, string>): { child: ChildProcess; output: string[]; exited: WorkerProcess["exited"] } {
  const child = spawn(process.execPath, [join(root, "bin", "flightdeck.mjs"), "worker"], {
    env: { ...process.env, FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on("line", (l) => output.push(l));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, output, exited };
}

/** A worker process, once it said it takes runs (bounded). */
async function startWorker(url: string): Promise<WorkerProcess> {
  const w = spawnWorker({ FLIGHTDECK_DATABASE_URL: url, FLIGHTDECK_LEASE_SECONDS: "3", FLIGHTDECK_WORKER_GRACE_SECONDS: "0", FLIGHTDECK_WORKER_RUNS: "2" });
  const id = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker did not start:\n${w.output.join("\n")}`)), 60_000);
    void w.exited.then((e) => reject(new Error(`the worker exited (${e.code ?? e.signal}):\n${w.output.join("\n")}`)));
    const look = () => {
      const line = w.output.find((l) => /^flightdeck worker \S+ is ready: executing runs/.test(l));
      if (!line) return;
      clearTimeout(timer);
      resolve(line.split(" ")[2]!);
    };
    createInterface({ input: w.child.stdout! }).on("line", look);
  });
  return { ...w, id };
}

/** Polls the store, bounded: the state lives in another process (there is no local event to wait on). */
async function until<T>(what: string, get: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("two worker processes: one SIGKILLed mid-run (its run interrupted within 30 s, gap-free) while the other finishes a run; SIGTERM interrupts and leaves cleanly", async () => {
  const db = await createTestDatabase();
  let dashboard: Services | undefined;
  const lease = process.env.FLIGHTDECK_LEASE_SECONDS;
  process.env.FLIGHTDECK_LEASE_SECONDS = "3";
  try {
    // The dashboard migrates the database and executes nothing (serve --no-worker); its sweeper runs.
    dashboard = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "" }), { databaseUrl: db.url, executes: false });
    const svc = dashboard;
    const { api } = await asUser(svc, "ana", { isAdmin: true });
    for (const [slug, cmd] of [["long", "sleep 60"], ["other", "sleep 60"], ["quick", "echo done"]] as const) {
      await svc.sites.create({ slug, name: slug, files: [{ path: "site.yml", content: SITE(cmd) }], author: "t", message: "m" });
      await noApprovals(svc, slug);
      await allowLocal(svc, slug);
    }
    const [w1, w2] = await Promise.all([startWorker(db.url), startWorker(db.url)]);

    const long = (await api.runs.launch({ slug: "long", deployment: "dep" })).id;
    const holder = await until("a worker runs the long step", async () => {
      const run = await svc.runs.get(long);
      const events = await svc.runs.events(long);
      // Both hosts inside the long step: the run is certainly mid-flight everywhere.
      return run.worker && events.filter((e) => e.type === "step.status" && e.step === "main" && e.status === "running").length === 2 ? run.worker : undefined;
    });
    const [doomed, survivor] = holder === w1.id ? [w1, w2] : [w2, w1];
    assert.equal(holder, doomed.id);

    doomed.child.kill("SIGKILL");
    const killedAt = Date.now();
    await doomed.exited;
    // The survivor takes the next run while the dead worker's lease runs out.
    const quick = (await api.runs.launch({ slug: "quick", deployment: "dep" })).id;
    assert.equal(await svc.runner.done(quick), "succeeded");
    assert.equal((await svc.runs.get(quick)).worker, survivor.id);

    assert.equal(await svc.runner.done(long), "interrupted");
    assert.ok(Date.now() - killedAt < 30_000, `interrupted within 30 s (took ${Date.now() - killedAt} ms)`);
    const run = await svc.runs.get(long);
    assert.match(run.message ?? "", new RegExp(`worker ${doomed.id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    const events = await svc.runs.events(long);
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), "gap-free");
    assert.equal(events.filter((e) => e.type === "run.finished").length, 1);
    const tracker = new RunTracker(run.plan);
    for (const e of events) tracker.apply(e);
    for (const host of ["a", "b"]) {
      assert.equal(tracker.snapshot.hosts[host]!.steps.main!.status, "interrupted");
      assert.ok(tracker.snapshot.notices.some((n) => n.host === host && /interrupted at step 'main'/.test(n.message)));
    }

    // SIGTERM with no grace period: the survivor's run ends interrupted, said why, and the process exits 0.
    const other = (await api.runs.launch({ slug: "other", deployment: "dep" })).id;
    await until("the survivor runs the other long step", async () => {
      const events = await svc.runs.events(other);
      return events.some((e) => e.type === "step.status" && e.step === "main" && e.status === "running") ? true : undefined;
    });
    survivor.child.kill("SIGTERM");
    assert.deepEqual(await survivor.exited, { code: 0, signal: null }, survivor.output.join("\n"));
    assert.equal(await svc.runner.done(other), "interrupted");
    assert.match((await svc.runs.get(other)).message ?? "", /the worker was stopped \(SIGTERM\)/);
    assert.ok(survivor.output.some((l) => l === "flightdeck worker: stopped"));
    // (This test's own dashboard services are in the registry too: a process that executes nothing registers.)
    const live = (await svc.store.workers.live(new Date(0))).map((w) => w.id);
    assert.ok(live.includes(doomed.id) && !live.includes(survivor.id), `the stopped worker deregistered; the killed one could not: ${live.join(", ")}`);
  } finally {
    if (lease === undefined) delete process.env.FLIGHTDECK_LEASE_SECONDS;
    else process.env.FLIGHTDECK_LEASE_SECONDS = lease;
    await dashboard?.close();
    await db.drop();
  }
});

test("a worker refuses, in one line with exit 2, a database this build has not migrated, live processes of another version, and a missing FLIGHTDECK_DATABASE_URL", async () => {
  const db = await createTestDatabase();
  try {
    const fresh = spawnWorker({ FLIGHTDECK_DATABASE_URL: db.url });
    assert.deepEqual(await fresh.exited, { code: 2, signal: null });
    assert.equal(fresh.output.length, 1, fresh.output.join("\n"));
    assert.match(fresh.output[0]!, /^flightdeck worker: /);
    assert.doesNotMatch(fresh.output[0]!, /\n|at .*\.ts:/);

    // Migrated now (as the dashboard would), with a live process of another build registered.
    const store = await openPostgresStore(db.url);
    try {
      await store.workers.register({ id: "old-host:42:abcdef", host: "old-host", pid: 42, version: "0.0.1-old" });
      const mixed = spawnWorker({ FLIGHTDECK_DATABASE_URL: db.url });
      assert.deepEqual(await mixed.exited, { code: 2, signal: null }, mixed.output.join("\n"));
      assert.equal(mixed.output.length, 1, mixed.output.join("\n"));
      assert.match(mixed.output[0]!, /^flightdeck worker: this worker is Flightdeck \S+, but live processes of this installation run 0\.0\.1-old \(old-host:42:abcdef\)/);
    } finally {
      await store.close();
    }

    const none = spawnWorker({ FLIGHTDECK_DATABASE_URL: "" });
    assert.deepEqual(await none.exited, { code: 2, signal: null });
    assert.deepEqual(none.output, [
      "flightdeck worker: workers need PostgreSQL: set FLIGHTDECK_DATABASE_URL=postgres://user:password@host:port/database (on the embedded SQLite file, `flightdeck serve` executes runs itself)",
    ]);
  } finally {
    await db.drop();
  }
});
