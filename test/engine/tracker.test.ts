/** The run tracker: the one fold of events that the CLI, the server and the browser share. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { planDeployment, RunTracker } from "../../server/engine";
import { loadSite } from "../../server/inventory";
import { localInventory, workflow } from "./fleet-site";

const plan = planDeployment(
  loadSite([{ path: "s.yml", content: `${localInventory(["a", "b"])}---\n${workflow(`  - {name: one, action: cmd.run, params: {cmd: "true"}}\n  - {name: two, action: cmd.run, params: {cmd: "true"}}`)}` }]),
);

test("a host between steps is running while the run goes on; counts and finished steps follow the events", () => {
  const t = new RunTracker(plan);
  assert.equal(t.snapshot.counts.pending, 4);
  t.apply({ type: "step.status", host: "a", step: "one", status: "running", t: 1 });
  assert.equal(t.snapshot.hosts.a!.status, "running");
  t.apply({ type: "step.status", host: "a", step: "one", status: "changed", durationMs: 40 });
  assert.equal(t.snapshot.hosts.a!.status, "running", "step two is still to come");
  assert.equal(t.snapshot.hosts.b!.status, "pending");
  t.apply({ type: "step.status", host: "a", step: "two", status: "ok", durationMs: 10 });
  assert.equal(t.snapshot.hosts.a!.status, "changed");
  assert.deepEqual([t.snapshot.finishedSteps, t.snapshot.finishedMs, t.snapshot.counts.pending, t.snapshot.counts.changed], [2, 50, 2, 1]);
});

test("a run that ends without per-host outcomes (interrupted) settles its hosts", () => {
  const t = new RunTracker(plan);
  t.apply({ type: "step.status", host: "a", step: "one", status: "changed" });
  assert.equal(t.snapshot.hosts.a!.status, "running");
  t.apply({ type: "run.finished", status: "interrupted" });
  assert.equal(t.snapshot.status, "interrupted");
  // Steps were still to run: the host was interrupted, not "changed" by the one step it finished.
  assert.equal(t.snapshot.hosts.a!.status, "interrupted");
  assert.equal(t.snapshot.hosts.b!.status, "interrupted");
});

test("a host that finished every step keeps its outcome when the run is interrupted later", () => {
  const t = new RunTracker(plan);
  for (const step of Object.keys(t.snapshot.hosts.a!.steps)) t.apply({ type: "step.status", host: "a", step, status: "ok" });
  t.apply({ type: "run.finished", status: "interrupted" });
  assert.equal(t.snapshot.hosts.a!.status, "ok");
});
