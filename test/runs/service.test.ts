/** The run service over a real store and the local transport: launch, snapshot, re-run, cancel. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createCaller } from "../../server/api/root";
import { RunTracker } from "../../server/engine";
import { readEnv } from "../../server/env";
import { createServices } from "../../server/services";
import { localInventory, workflow } from "../engine/fleet-site";

const dir = mkdtempSync(join(tmpdir(), "fd-service-"));
const services = createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "" }));
const api = createCaller(services);
after(() => {
  services.db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const SITE = (fail: string) => `${localInventory(["a", "b", "c"])}---
${workflow(`  - {name: one, action: cmd.run, params: {cmd: "echo one {{ host.name }}"}}
  - {name: two, action: cmd.run, params: {cmd: "[ {{ host.name }} != ${fail} ]"}}`, "{max_fail_percentage: 100}", "[all]", "dep")}`;

test("launch, the folded snapshot, output, and re-running only the failed host", async () => {
  services.sites.create({ slug: "svc", name: "svc", files: [{ path: "site.yml", content: SITE("b") }], author: "t", message: "m" });
  const { id } = await api.runs.launch({ slug: "svc", deployment: "dep", author: "ana", reason: "test" });
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
  services.sites.save("svc", { baseRevision: 1, changes: [{ path: "site.yml", content: SITE("nobody") }], author: "t", message: "fix" });
  const rerun = await api.runs.rerunFailed({ id, author: "bo" });
  assert.equal(await services.runner.done(rerun.id), "succeeded");
  const again = await api.runs.get({ id: rerun.id });
  assert.deepEqual(again.run.plan.hosts, ["b"]);
  assert.equal(again.run.revision, 2);
  assert.match(again.run.reason, new RegExp(`re-run of the failed hosts of run ${id}`));
  await assert.rejects(api.runs.rerunFailed({ id: rerun.id, author: "bo" }), /no failed or unreachable host/);
});

test("cancel a running run through the API", async () => {
  services.sites.create({
    slug: "slow",
    name: "slow",
    files: [{ path: "site.yml", content: SITE("x").replace(`"echo one {{ host.name }}"`, `"sleep 30"`) }],
    author: "t",
    message: "m",
  });
  const { id } = await api.runs.launch({ slug: "slow", deployment: "dep", author: "ana" });
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
