/**
 * The run queue through the real services (RunService, tRPC, the store) on SQLite and on a real PostgreSQL
 * server: runs requested all at once wait `queued` with their place in line instead of being refused, a worker
 * never runs more than FLIGHTDECK_WORKER_RUNS at once, two processes on one database share the work under the
 * same limits, and a cancel clicked in a process that does not execute the run stops it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readEnv } from "../../server/env";
import { createServices, type Services } from "../../server/services";
import { allowLocal, asUser, noApprovals } from "../api/callers";
import { localInventory, workflow } from "../engine/fleet-site";
import { createTestDatabase } from "../support/postgres";

const SITE = (cmd: string) => `${localInventory(["a"])}---
${workflow(`  - {name: one, action: cmd.run, params: {cmd: "${cmd}"}}`, "", "[all]", "dep")}`;

/** Services on a data directory of their own, on `databaseUrl` (PostgreSQL) or SQLite; FLIGHTDECK_WORKER_RUNS = capacity. */
async function servicesWith(options: { databaseUrl?: string; capacity: number; executes?: boolean }): Promise<Services & { cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "fd-queue-"));
  const before = process.env.FLIGHTDECK_WORKER_RUNS;
  const grace = process.env.FLIGHTDECK_WORKER_GRACE_SECONDS;
  process.env.FLIGHTDECK_WORKER_RUNS = String(options.capacity);
  // A test that fails mid-run closes its services at once.
  process.env.FLIGHTDECK_WORKER_GRACE_SECONDS = "0";
  try {
    const svc = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "" }), { databaseUrl: options.databaseUrl ?? "", executes: options.executes });
    return Object.assign(svc, {
      cleanup: async () => {
        await svc.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  } finally {
    if (before === undefined) delete process.env.FLIGHTDECK_WORKER_RUNS;
    else process.env.FLIGHTDECK_WORKER_RUNS = before;
    if (grace === undefined) delete process.env.FLIGHTDECK_WORKER_GRACE_SECONDS;
    else process.env.FLIGHTDECK_WORKER_GRACE_SECONDS = grace;
  }
}

async function addSite(svc: Services, slug: string, cmd: string) {
  await svc.sites.create({ slug, name: slug, files: [{ path: "site.yml", content: SITE(cmd) }], author: "t", message: "m" });
  await noApprovals(svc, slug);
  await allowLocal(svc, slug);
}

/** The largest number of runs whose [startedAt, finishedAt] overlap at one moment. */
function maxOverlap(rows: { startedAt: Date | null; finishedAt: Date | null }[]): number {
  const edges = rows.flatMap((r) => [
    [r.startedAt!.getTime(), 1],
    [r.finishedAt!.getTime(), -1],
  ]);
  // An end and a start at the same millisecond: the end first (the slot was free).
  edges.sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
  let now = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (now += d!));
  return max;
}

/** Ten runs of one site requested at once: one runs, nine wait with their places; cancelling the first lets the rest through. */
async function tenOfOneSite(svc: Services) {
  const { api } = await asUser(svc, "ana", { isAdmin: true });
  await addSite(svc, "busy", "sleep 60");
  const first = (await api.runs.launch({ slug: "busy", deployment: "dep" })).id;
  // The rest are quick: the site's single slot is what keeps them waiting.
  await svc.sites.save("busy", { baseRevision: 1, changes: [{ path: "site.yml", content: SITE("echo quick") }], author: "t", message: "quick" });
  const rest = await Promise.all(Array.from({ length: 9 }, () => api.runs.launch({ slug: "busy", deployment: "dep" }).then((r) => r.id)));
  assert.equal(rest.length, 9, "nothing is refused");

  // Whether or not a worker took the first yet, the other nine wait behind it (its site has one slot and it never
  // ends by itself), in the order they were requested, each with its place in the one queue.
  const list = await api.runs.list({ slug: "busy" });
  const firstRow = list.find((r) => r.id === first)!;
  assert.ok(firstRow.status === "running" || firstRow.position === 1, `the first is running or next in line (${firstRow.status})`);
  const ahead = firstRow.position === null ? 0 : 1;
  // Requested together, they are in line in the order they were queued (queued_at, then id), each place once.
  const rows = rest.map((id) => list.find((r) => r.id === id)!);
  for (const row of rows) assert.equal(row.status, "queued", `run ${row.id} waits`);
  rows.sort((a, b) => a.position! - b.position!);
  assert.deepEqual(rows.map((r) => r.position), rest.map((_, i) => i + 1 + ahead), "places 1.. in line, each once");
  const inLine = rows.map((r) => r.id);
  await api.runs.cancel({ id: first });
  assert.equal(await svc.runner.done(first), "cancelled");
  for (const id of inLine) assert.equal(await svc.runner.done(id), "succeeded", `run ${id}`);
  const ran = await Promise.all(inLine.map((id) => svc.runs.get(id)));
  assert.equal(maxOverlap(ran), 1, "one at a time");
  for (let i = 1; i < ran.length; i++) assert.ok(ran[i]!.startedAt!.getTime() >= ran[i - 1]!.finishedAt!.getTime(), `run ${ran[i]!.id} started after run ${ran[i - 1]!.id}, its place in line`);
}

/** Ten runs of ten sites requested at once by `requester`; each ends `succeeded`; returns their rows. */
async function tenSites(requester: Services, waiter: Services, prefix: string) {
  const { api } = await asUser(requester, "ana", { isAdmin: true });
  for (let i = 0; i < 10; i++) await addSite(requester, `${prefix}${i}`, "sleep 0.3");
  const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => api.runs.launch({ slug: `${prefix}${i}`, deployment: "dep" }).then((r) => r.id)));
  for (const id of ids) assert.equal(await waiter.runner.done(id), "succeeded", `run ${id}`);
  return Promise.all(ids.map((id) => requester.runs.get(id)));
}

describe("SQLite", () => {
  test("ten runs of one site requested at once wait queued with their places, none refused, then run one at a time", async () => {
    const svc = await servicesWith({ capacity: 8 });
    try {
      await tenOfOneSite(svc);
    } finally {
      await svc.cleanup();
    }
  });

  test("ten runs of ten sites: all finish, never more at once than FLIGHTDECK_WORKER_RUNS", async () => {
    const svc = await servicesWith({ capacity: 3 });
    try {
      const rows = await tenSites(svc, svc, "s");
      assert.ok(maxOverlap(rows) <= 3, `at most 3 at once (was ${maxOverlap(rows)})`);
    } finally {
      await svc.cleanup();
    }
  });
});

describe("PostgreSQL", () => {
  test("ten runs of one site requested at once wait queued with their places, none refused, then run one at a time", async () => {
    const db = await createTestDatabase();
    const svc = await servicesWith({ databaseUrl: db.url, capacity: 8 });
    try {
      await tenOfOneSite(svc);
    } finally {
      await svc.cleanup();
      await db.drop();
    }
  });

  test("two processes on one database share ten runs, each within its own limit; a dashboard that executes nothing sees them end", async () => {
    const db = await createTestDatabase();
    const dashboard = await servicesWith({ databaseUrl: db.url, capacity: 8, executes: false });
    const w1 = await servicesWith({ databaseUrl: db.url, capacity: 2 });
    const w2 = await servicesWith({ databaseUrl: db.url, capacity: 2 });
    try {
      assert.equal(dashboard.runParts.worker, undefined, "--no-worker: no executor in this process");
      const rows = await tenSites(dashboard, dashboard, "p");
      const workers = new Set(rows.map((r) => r.worker));
      assert.ok([...workers].every((w) => w === w1.runParts.worker!.id || w === w2.runParts.worker!.id), "only the two workers executed runs");
      for (const w of workers) assert.ok(maxOverlap(rows.filter((r) => r.worker === w)) <= 2, `worker ${w} ran at most 2 at once`);
      assert.ok(maxOverlap(rows) <= 4);
    } finally {
      await Promise.all([w1.cleanup(), w2.cleanup()]);
      await dashboard.cleanup();
      await db.drop();
    }
  });

  test("cancel clicked in a process that does not execute the run stops it in the worker that does", async () => {
    const db = await createTestDatabase();
    const worker = await servicesWith({ databaseUrl: db.url, capacity: 2 });
    const dashboard = await servicesWith({ databaseUrl: db.url, capacity: 2, executes: false });
    try {
      await addSite(dashboard, "slow", "sleep 60");
      const { api } = await asUser(dashboard, "olga", { isAdmin: true });
      const { id } = await api.runs.launch({ slug: "slow", deployment: "dep" });
      const started = await waitFor(async () => (await dashboard.runs.get(id)).status === "running", "the worker starts the run");
      assert.ok(started);
      assert.equal((await dashboard.runs.get(id)).worker, worker.runParts.worker!.id);
      await api.runs.cancel({ id });
      assert.equal(await dashboard.runner.done(id), "cancelled");
      const run = await dashboard.runs.get(id);
      assert.equal(run.cancelRequestedBy, "olga");
      const events = await dashboard.runs.events(id);
      assert.equal(events.at(-1)!.type, "run.finished");
      assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
    } finally {
      await Promise.all([worker.cleanup(), dashboard.cleanup()]);
      await db.drop();
    }
  });
});

/** Polls a condition on the store, bounded (the state lives in another process's worker: there is no local event to wait on). */
async function waitFor(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
