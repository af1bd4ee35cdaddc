/**
 * Maintenance windows on a real server's services (SQLite, the local transport in its sandbox, an injected
 * clock): a run approved outside its window waits `scheduled` and the scheduler releases it when the window
 * opens (one run at a time per site), a schedule's run waits for approval like any other, and a window that
 * closes mid-run stops new batches unless it says `continue`. The window closes when the first batch's host
 * asks the test's HTTP server to move the clock: no sleeps.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { readEnv } from "../../server/env";
import { createServices } from "../../server/services";
import { allowLocal, asUser, noApprovals } from "../api/callers";
import { localInventory, workflow } from "../engine/fleet-site";

let now = Date.parse("2026-12-02T00:00:00Z");
const dir = mkdtempSync(join(tmpdir(), "fd-windows-"));
const services = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "" }), { clock: { now: () => now } });
const { api } = await asUser(services, "ana", { isAdmin: true });

// The first batch's host calls this to close the window (the clock jumps past it).
let closeAt = 0;
const http = createServer((_req, res) => {
  now = closeAt;
  res.end("closed\n");
});
await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
const port = (http.address() as AddressInfo).port;

after(async () => {
  http.close();
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

const WINDOW = (extra = "") => `---
kind: maintenance_window
api_version: v1beta1
spec: {name: night, cron: "0 1 * * *", duration: 1h${extra}}
`;

async function site(slug: string, content: string) {
  await services.sites.create({ slug, name: slug, files: [{ path: "site.yml", content }], author: "t", message: "m" });
  await noApprovals(services, slug);
  await allowLocal(services, slug);
}

test("a run approved outside its window waits scheduled; the scheduler queues it when the window opens, one run of the site at a time", async () => {
  now = Date.parse("2026-12-02T00:00:00Z");
  await site("held", `${localInventory(["a", "b"])}---\n${workflow(`  - {name: one, action: cmd.run, params: {cmd: "echo {{ host.name }}"}}`, "", "[all]", "dep")}${WINDOW()}`);
  const first = await api.runs.launch({ slug: "held", deployment: "dep", reason: "patch" });
  const second = await api.runs.launch({ slug: "held", deployment: "dep", reason: "patch again" });
  for (const { id } of [first, second]) {
    const { run } = await api.runs.get({ id });
    assert.equal(run.status, "scheduled");
    assert.equal(run.scheduledFor?.toISOString(), "2026-12-02T01:00:00.000Z");
  }
  const listed = await api.runs.list({ slug: "held", status: "scheduled" });
  assert.deepEqual(listed.map((r) => r.scheduledFor?.toISOString()), ["2026-12-02T01:00:00.000Z", "2026-12-02T01:00:00.000Z"]);
  const events = await api.runs.events({ id: first.id, after: 0 });
  assert.match(events.find((e) => e.type === "run.status")?.message ?? "", /outside its maintenance windows: waits for maintenance window 'night' to open at 2026-12-02T01:00:00.000Z$/);
  assert.equal((await api.runs.get({ id: first.id })).snapshot.status, "scheduled", "the stored stream says scheduled");

  // Before the opening nothing moves; at it both are queued, and the site's one slot runs them one after the other.
  now = Date.parse("2026-12-02T00:59:59Z");
  assert.deepEqual((await services.scheduler.tick()).released, []);
  now = Date.parse("2026-12-02T01:00:00Z");
  assert.deepEqual((await services.scheduler.tick()).released, [first.id, second.id]);
  assert.equal(await services.runner.done(first.id), "succeeded");
  assert.equal(await services.runner.done(second.id), "succeeded");
  const [a, b] = [(await api.runs.get({ id: first.id })).run, (await api.runs.get({ id: second.id })).run];
  assert.ok(b.startedAt! >= a.finishedAt!, "the second run started after the first ended (parallel_runs 1)");
  assert.equal(a.scheduledFor, null);
  const statuses = (await api.runs.events({ id: first.id, after: 0 })).filter((e) => e.type === "run.status");
  assert.deepEqual(statuses.map((e) => [e.status, e.by]), [["scheduled", "ana"], ["queued", "flightdeck"]]);
  assert.match(statuses[1]!.message!, /^maintenance window 'night' is open \(until 2026-12-02T02:00:00.000Z\)$/);

  // Inside the window a run is queued at once; a scheduled run can be cancelled before it starts.
  now = Date.parse("2026-12-02T01:30:00Z");
  const inside = await api.runs.launch({ slug: "held", deployment: "dep" });
  assert.equal(await services.runner.done(inside.id), "succeeded");
  now = Date.parse("2026-12-02T03:00:00Z");
  const later = await api.runs.launch({ slug: "held", deployment: "dep" });
  assert.equal((await api.runs.get({ id: later.id })).run.status, "scheduled");
  await api.runs.cancel({ id: later.id });
  assert.equal((await api.runs.get({ id: later.id })).run.status, "cancelled");
  now = Date.parse("2026-12-03T01:00:00Z");
  assert.deepEqual((await services.scheduler.tick()).released, []);
});

test("a schedule's run is requested by schedule:<name> and waits for approval like any run", async () => {
  now = Date.parse("2026-12-04T02:59:00Z");
  await services.sites.create({
    slug: "cron",
    name: "cron",
    files: [{ path: "site.yml", content: `${localInventory(["a"])}---\n${workflow(`  - {name: one, action: cmd.run, params: {cmd: "true"}}`, "", "[all]", "dep")}---\nkind: schedule\napi_version: v1beta1\nspec: {name: nightly, cron: "0 3 * * *", deployment: dep}\n` }],
    author: "t",
    message: "m",
  });
  assert.deepEqual((await services.scheduler.tick()).fired, []);
  await allowLocal(services, "cron");
  now = Date.parse("2026-12-04T03:00:10Z");
  const { fired } = await services.scheduler.tick();
  assert.equal(fired.length, 1);
  assert.equal(fired[0]!.message, undefined);
  const run = (await api.runs.get({ id: fired[0]!.runId! })).run;
  assert.deepEqual([run.status, run.requestedBy, run.deployment], ["awaiting_approval", "schedule:nightly", "dep"]);
  assert.deepEqual((await services.scheduler.tick()).fired, [], "the slot fired once");
});

async function closingRun(slug: string, onClose: string) {
  now = Date.parse("2026-12-05T01:10:00Z");
  closeAt = Date.parse("2026-12-05T02:00:00Z");
  const steps = `  - {name: work, action: cmd.run, params: {cmd: "curl -fsS http://127.0.0.1:${port}/close"}}`;
  await site(slug, `${localInventory(["a", "b", "c"])}---\n${workflow(steps, "{serial: 1}", "[all]", "dep")}${WINDOW(onClose)}`);
  const { id } = await api.runs.launch({ slug, deployment: "dep" });
  const status = await services.runner.done(id);
  return { status, got: await api.runs.get({ id }) };
}

test("a window that closes mid-run stops new batches (serial 1 over 3 hosts): the run ends failed, saying which window closed", async () => {
  const { status, got } = await closingRun("closing", "");
  assert.equal(status, "failed");
  assert.match(got.run.message ?? got.snapshot.message ?? "", /maintenance window 'night' closed: no new batch starts/);
  assert.equal(got.snapshot.hosts.a!.steps.work!.status, "changed");
  for (const h of ["b", "c"]) {
    assert.equal(got.snapshot.hosts[h]!.steps.work!.status, "skipped");
    assert.match(got.snapshot.hosts[h]!.steps.work!.message ?? "", /maintenance window 'night' closed/);
  }
});

test("a window that says on_close: continue lets the run finish its batches", async () => {
  const { status, got } = await closingRun("continuing", ", on_close: continue");
  assert.equal(status, "succeeded");
  for (const h of ["a", "b", "c"]) assert.equal(got.snapshot.hosts[h]!.steps.work!.status, "changed");
});

test("a run still queued when its window closes waits scheduled again for the next opening, rather than start and stop", async () => {
  now = Date.parse("2026-12-03T01:30:00Z");
  // The first run's step waits here, holding the site's one slot, until the test has closed the window.
  let arrived!: () => void;
  const inStep = new Promise<void>((resolve) => (arrived = resolve));
  let release!: () => void;
  const stepMayEnd = new Promise<void>((resolve) => (release = resolve));
  const gate = createServer((_req, res) => {
    arrived();
    void stepMayEnd.then(() => res.end("done\n"));
  });
  await new Promise<void>((resolve) => gate.listen(0, "127.0.0.1", resolve));
  try {
    const gatePort = (gate.address() as AddressInfo).port;
    await site("requeue", `${localInventory(["a"])}---\n${workflow(`  - {name: work, action: cmd.run, params: {cmd: "curl -fsS http://127.0.0.1:${gatePort}/"}}`, "", "[all]", "dep")}${WINDOW()}`);
    const first = await api.runs.launch({ slug: "requeue", deployment: "dep", reason: "one" });
    await inStep;
    const second = await api.runs.launch({ slug: "requeue", deployment: "dep", reason: "two" });
    assert.equal((await api.runs.get({ id: second.id })).run.status, "queued", "behind the first, the window open");

    now = Date.parse("2026-12-03T02:00:00Z");
    assert.deepEqual((await services.scheduler.tick()).heldAgain, [second.id]);
    release();
    assert.equal(await services.runner.done(first.id), "succeeded", "the first had started its only batch");
    const { run } = await api.runs.get({ id: second.id });
    assert.equal(run.status, "scheduled");
    assert.equal(run.scheduledFor?.toISOString(), "2026-12-04T01:00:00.000Z");
    const said = (await api.runs.events({ id: second.id, after: 0 })).filter((e) => e.type === "run.status").at(-1);
    assert.equal(said?.message, "its maintenance window closed before it started: it waits for maintenance window 'night' to open at 2026-12-04T01:00:00.000Z");

    now = Date.parse("2026-12-04T01:00:00Z");
    assert.deepEqual((await services.scheduler.tick()).released, [second.id]);
    assert.equal(await services.runner.done(second.id), "succeeded");
  } finally {
    release();
    gate.close();
  }
});
