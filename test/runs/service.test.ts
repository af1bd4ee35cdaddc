/** The run service over a real store and the local transport: launch, snapshot, re-run, cancel. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { RunTracker } from "../../server/engine";
import { readEnv } from "../../server/env";
import { createServices } from "../../server/services";
import { allowLocal, asUser, noApprovals } from "../api/callers";
import { localInventory, workflow } from "../engine/fleet-site";

const dir = mkdtempSync(join(tmpdir(), "fd-service-"));
const services = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "" }));
const { api } = await asUser(services, "ana", { isAdmin: true });
after(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

const SITE = (fail: string) => `${localInventory(["a", "b", "c"])}---
${workflow(`  - {name: one, action: cmd.run, params: {cmd: "echo one {{ host.name }}"}}
  - {name: two, action: cmd.run, params: {cmd: "[ {{ host.name }} != ${fail} ]"}}`, "{max_fail_percentage: 100}", "[all]", "dep")}`;

test("launch, the folded snapshot, output, and re-running only the failed host", async () => {
  await services.sites.create({ slug: "svc", name: "svc", files: [{ path: "site.yml", content: SITE("b") }], author: "t", message: "m" });
  await noApprovals(services, "svc");
  await allowLocal(services, "svc");
  const { id } = await api.runs.launch({ slug: "svc", deployment: "dep", reason: "test" });
  assert.equal(await services.runner.done(id), "failed");

  const got = await api.runs.get({ id });
  const events = await api.runs.events({ id, after: 0 });
  const folded = new RunTracker(got.run.plan);
  for (const e of events) folded.apply(e);
  assert.deepEqual(got.snapshot, folded.snapshot);
  assert.equal(got.lastSeq, events.at(-1)!.seq);
  assert.equal(got.snapshot.hosts.b!.status, "failed");
  assert.equal(got.run.requestedBy, "ana");
  assert.deepEqual((await api.runs.output({ id, host: "c", step: "one" })).map((o) => o.data).join(""), "one c\n");

  // Fix the site (a new revision); the re-run plans the newest revision on the failed host only.
  await services.sites.save("svc", { baseRevision: 1, changes: [{ path: "site.yml", content: SITE("nobody") }], author: "t", message: "fix" });
  const rerun = await api.runs.rerunFailed({ id });
  assert.equal(await services.runner.done(rerun.id), "succeeded");
  const again = await api.runs.get({ id: rerun.id });
  assert.deepEqual(again.run.plan.hosts, ["b"]);
  assert.equal(again.run.revision, 2);
  assert.match(again.run.reason, new RegExp(`re-run of the failed hosts of run ${id}`));
  await assert.rejects(api.runs.rerunFailed({ id: rerun.id }), /no failed or unreachable host/);
});

test("cancel a running run through the API", async () => {
  await services.sites.create({
    slug: "slow",
    name: "slow",
    files: [{ path: "site.yml", content: SITE("x").replace(`"echo one {{ host.name }}"`, `"sleep 30"`) }],
    author: "t",
    message: "m",
  });
  await noApprovals(services, "slow");
  await allowLocal(services, "slow");
  const { id } = await api.runs.launch({ slug: "slow", deployment: "dep" });
  // Cancel once every host is inside the long step (the state is polled from the store, bounded).
  const end = Date.now() + 10_000;
  while ((await api.runs.get({ id })).snapshot.counts.running < 3) {
    assert.ok(Date.now() < end, "hosts start running");
    await new Promise((r) => setTimeout(r, 50));
  }
  await api.runs.cancel({ id });
  assert.equal(await services.runner.done(id), "cancelled");
  const { snapshot, run } = await api.runs.get({ id });
  assert.equal(run.status, "cancelled");
  for (const h of ["a", "b", "c"]) assert.deepEqual(Object.values(snapshot.hosts[h]!.steps).map((s) => s.status), ["cancelled", "cancelled"]);
  await assert.rejects(api.runs.cancel({ id }), /only a running run can be cancelled/);
});

test("approvals: waiting, nobody approves their own run, N approvals, stale refused, only the frozen revision runs", async () => {
  await services.sites.create({ slug: "appr", name: "appr", files: [{ path: "site.yml", content: SITE("nobody") }], author: "t", message: "m" });
  await allowLocal(services, "appr");
  await services.sites.setSettings("appr", { approvalsRequired: 2 });
  const op = await asUser(services, "olga", { roles: { appr: "operator" } });
  const r1 = await asUser(services, "rita", { roles: { appr: "approver" } });
  const r2 = await asUser(services, "raj", { roles: { appr: "approver" } });

  const { id } = await op.api.runs.launch({ slug: "appr", deployment: "dep", reason: "patch" });
  assert.equal((await op.api.runs.get({ id })).run.status, "awaiting_approval");
  assert.equal((await op.api.runs.get({ id })).snapshot.status, "awaiting_approval", "the stored stream says it waits");
  // An approver who requests cannot approve either: the rule is about the requester, not the role.
  const own = await r1.api.runs.launch({ slug: "appr", deployment: "dep" });
  await assert.rejects(r1.api.runs.approve({ id: own.id, comment: "" }), (e: Error & { code?: string }) => e.code === "FORBIDDEN" && /their own run/.test(e.message));
  await assert.rejects(op.api.runs.approve({ id, comment: "" }), (e: Error & { code?: string }) => e.code === "FORBIDDEN");

  assert.deepEqual(await r1.api.runs.approve({ id, comment: "looks fine" }), { status: "awaiting_approval", approvals: 1, required: 2 });
  await assert.rejects(r1.api.runs.approve({ id, comment: "again" }), /already reviewed/);
  assert.equal((await op.api.runs.get({ id })).run.status, "awaiting_approval", "one of two approvals does not start it");
  const second = await r2.api.runs.approve({ id, comment: "ok" });
  assert.equal(second.status, "queued");
  assert.equal(await services.runner.done(id), "succeeded");
  const events = await op.api.runs.events({ id, after: 0 });
  assert.deepEqual(
    events.filter((e) => e.type === "run.status").map((e) => e.status),
    ["awaiting_approval", "queued"],
  );
  assert.ok(events.some((e) => e.type === "notice" && e.message === "approved by rita (1 of 2): looks fine"));

  // A request goes stale when the site changes; approving it is refused, asking again works at the new head.
  const stale = await op.api.runs.launch({ slug: "appr", deployment: "dep" });
  await services.sites.save("appr", { baseRevision: 1, changes: [{ path: "site.yml", content: SITE("a") }], author: "t", message: "change" });
  await assert.rejects(r1.api.runs.approve({ id: stale.id, comment: "" }), (e: Error & { code?: string }) => e.code === "CONFLICT" && /stale/.test(e.message));
  assert.equal((await r1.api.runs.review({ id: stale.id })).stale, true);
  const fresh = await op.api.runs.rerequest({ id: stale.id });
  assert.equal((await op.api.runs.get({ id: stale.id })).run.status, "cancelled");
  assert.equal((await op.api.runs.get({ id: fresh.id })).run.revision, 2);

  // The frozen revision is what runs, even when approved after another save... which is refused as stale; so
  // approve first, then check the plan executed is revision 2's (host a fails there).
  await services.sites.setSettings("appr", { approvalsRequired: 1 });
  await r1.api.runs.approve({ id: fresh.id, comment: "" });
  assert.equal(await services.runner.done(fresh.id), "failed");

  // Rejection needs a reason and ends the request.
  const third = await op.api.runs.launch({ slug: "appr", deployment: "dep" });
  await assert.rejects(r2.api.runs.reject({ id: third.id, comment: " " }), /say why/);
  await r2.api.runs.reject({ id: third.id, comment: "not tonight" });
  const rejected = await op.api.runs.get({ id: third.id });
  assert.equal(rejected.run.status, "rejected");
  assert.equal(rejected.snapshot.message, "rejected by raj: not tonight");
  await assert.rejects(r1.api.runs.approve({ id: third.id, comment: "" }), /only a run awaiting approval/);
  // Operators cancel only their own runs.
  const fourth = await r1.api.runs.launch({ slug: "appr", deployment: "dep" });
  await assert.rejects(op.api.runs.cancel({ id: fourth.id }), /only their own runs/);
  await r2.api.runs.cancel({ id: fourth.id });
  assert.equal((await op.api.runs.get({ id: fourth.id })).run.status, "cancelled");
});
