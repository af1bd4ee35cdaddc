/**
 * A schedule fires exactly once with two processes on one database: two stores (two connections, as two
 * processes have), each with its own scheduler, ticking at the same instants (an injected clock, no sleeps). On
 * SQLite (two connections to one file) and PostgreSQL (two pools).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Broadcaster } from "../../server/broadcast";
import { openStore } from "../../server/store/open";
import type { LaunchRequest } from "../../server/runs/service";
import { Scheduler } from "../../server/schedules/scheduler";
import type { Store } from "../../server/store/types";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Dialect } from "../../server/store/types";
import { createTestDatabase } from "../support/postgres";
import { localInventory, workflow } from "../engine/fleet-site";

const SITE = `${localInventory(["a", "b"])}---
${workflow(`  - {name: one, action: cmd.run, params: {cmd: "true"}}`, "", "[all]", "patch")}---
kind: schedule
api_version: v1beta1
spec: {name: every5, cron: "*/5 * * * *", deployment: patch, targets: [b]}
---
kind: schedule
api_version: v1beta1
spec: {name: off, cron: "* * * * *", deployment: patch, enabled: false}
`;

const quiet: Broadcaster = { siteRevision() {}, siteRuns() {}, runEvents() {}, runOutput() {}, boardsOf: () => [], close: async () => {} };
const disposers: (() => Promise<void>)[] = [];
after(async () => {
  for (const d of disposers.reverse()) await d();
});

/** A process's scheduler whose runner records what it would request, creating the run row as launch does. */
function processOn(store: Store, name: string, launches: { process: string; request: LaunchRequest }[]) {
  return new Scheduler({
    store,
    broadcaster: quiet,
    queue: { submit: async () => {} },
    log: (l) => assert.fail(`${name}: ${l}`),
    runner: {
      launch: async (request) => {
        launches.push({ process: name, request });
        const plan = { deployment: request.deployment!, title: request.deployment!, stages: [], hosts: request.limit ?? [], steps: [] };
        return store.runs.create({ site: request.site, revision: 1, plan, requestedBy: request.requestedBy, reason: request.reason ?? "", options: { forks: 1, limit: request.limit }, status: "awaiting_approval" });
      },
    },
  });
}

/** Two stores on one new database, as two processes would open it. */
async function twoStores(dialect: Dialect): Promise<[Store, Store]> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "fd-fire-once-"));
    const a = await openStore({ FLIGHTDECK_DATA: dir });
    const b = await openStore({ FLIGHTDECK_DATA: dir });
    disposers.push(async () => {
      await b.close();
      await a.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return [a, b];
  }
  const database = await createTestDatabase();
  const a = await openStore({ FLIGHTDECK_DATABASE_URL: database.url });
  const b = await openStore({ FLIGHTDECK_DATABASE_URL: database.url });
  disposers.push(async () => {
    await b.close();
    await a.close();
    await database.drop();
  });
  return [a, b];
}

for (const dialect of ["sqlite", "postgres"] as const) {
  test(`${dialect}: two processes tick at the same instants; each slot requests one run`, async () => {
    const [store, second] = await twoStores(dialect);
    const first = { store };
    await first.store.sites.create({ slug: "lab", name: "Lab", files: [{ path: "site.yml", content: SITE }], author: "t", message: "m" });

    const launches: { process: string; request: LaunchRequest }[] = [];
    const one = processOn(first.store, "one", launches);
    const two = processOn(second, "two", launches);
    const t0 = Date.parse("2026-12-02T10:05:00Z");
    // Many rounds, both processes at once: the slot of 10:05 and then 10:10, seen again and again.
    for (const t of [t0 - 1000, t0, t0, t0 + 1000, t0 + 59_000, t0 + 300_000, t0 + 300_500, t0 + 301_000]) {
      await Promise.all([one.tick(t), two.tick(t)]);
    }
    assert.deepEqual(
      launches.map((l) => [l.request.requestedBy, l.request.deployment, l.request.limit]),
      [
        ["schedule:every5", "patch", ["b"]],
        ["schedule:every5", "patch", ["b"]],
      ],
    );
    assert.match(launches[0]!.request.reason!, /^schedule every5 \(\*\/5 \* \* \* \*\) at 2026-12-02T10:05:00.000Z$/);
    const fires = await second.schedules.fires("lab", 10);
    assert.deepEqual(
      fires.map((f) => [f.schedule, f.slot.toISOString(), f.runStatus, f.message]),
      [
        ["every5", "2026-12-02T10:10:00.000Z", "awaiting_approval", null],
        ["every5", "2026-12-02T10:05:00.000Z", "awaiting_approval", null],
      ],
    );
    assert.ok(fires.every((f) => f.runId !== null));
    // Audited as the schedule's own request.
    const audit = await first.store.audit.query({ site: "lab", action: "run.requested", limit: 10 });
    assert.deepEqual(audit.map((a) => [a.actor, a.target]), fires.map((f) => [`schedule:every5`, `run ${f.runId}`]));

    // A slot seen late (past the catch-up) is not made up; a schedule whose run cannot be requested says why, once.
    await first.store.sites.save("lab", { baseRevision: 1, changes: [{ path: "site.yml", content: SITE.replace("targets: [b]", "targets: [nobody-*]") }], author: "t", message: "m" });
    const failing = new Scheduler({ store: second, broadcaster: quiet, queue: { submit: async () => {} }, runner: { launch: async () => Promise.reject(new Error("the deployment targets no host")) } });
    await Promise.all([failing.tick(t0 + 600_000), failing.tick(t0 + 600_000)]);
    const [latest] = await first.store.schedules.fires("lab", 1);
    assert.deepEqual([latest!.slot.toISOString(), latest!.runId, latest!.message], ["2026-12-02T10:15:00.000Z", null, "no run requested: the deployment targets no host"]);
    assert.equal((await first.store.schedules.fires("lab", 10)).length, 3);

    // Held runs: due ones (scheduled_for at or before now) in time order, from either process; the release is a
    // conditional transition, so of two processes releasing one run, one wins.
    const [early, late] = [fires[1]!.runId!, fires[0]!.runId!];
    for (const [id, at] of [[late, "2026-12-03T01:00:00Z"], [early, "2026-12-03T00:30:00Z"]] as const) {
      assert.ok(await first.store.runs.transition(id, ["awaiting_approval"], "scheduled", { approvedAt: new Date(t0), scheduledFor: new Date(at) }));
    }
    assert.deepEqual(await second.schedules.dueScheduled(new Date("2026-12-03T00:29:59Z")), []);
    assert.deepEqual(await second.schedules.dueScheduled(new Date("2026-12-03T01:00:00Z")), [{ id: early, site: "lab" }, { id: late, site: "lab" }]);
    assert.equal((await first.store.runs.get(early)).scheduledFor?.toISOString(), "2026-12-03T00:30:00.000Z");
    const wins = await Promise.all([first.store, second].map((s) => s.runs.transition(early, ["scheduled"], "queued", { queuedAt: new Date(), scheduledFor: null })));
    assert.deepEqual(wins.sort(), [false, true]);
    assert.deepEqual(await first.store.schedules.dueScheduled(new Date("2026-12-03T01:00:00Z")), [{ id: late, site: "lab" }]);
    assert.equal((await second.runs.list("lab", 10, "queued"))[0]?.scheduledFor, null);
  });
}
