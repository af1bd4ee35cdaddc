/** The run's ETA (components/runs/estimate.ts), as the run page and the kiosk show it, over real plans and folds. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { estimate, formatEstimate } from "../../components/runs/estimate";
import { planDeployment, RunTracker } from "../../server/engine";
import { loadSite } from "../../server/inventory";
import { localInventory, workflow } from "../engine/fleet-site";

const steps = (...names: string[]) => names.map((n) => `  - {name: ${n}, action: cmd.run, params: {cmd: "true"}}`).join("\n");
const planOf = (hosts: string[], stepNames: string[], options = "") =>
  planDeployment(loadSite([{ path: "s.yml", content: `${localInventory(hosts)}---\n${workflow(steps(...stepNames), options)}` }]));

/** When the run started (ms); times below are relative to it. */
const T0 = Date.UTC(2025, 0, 1);

/** The fold of `plan` in its first batch: `done` steps finished after `ms` each, `running` steps started at T0 + `at`. */
function fold(plan: ReturnType<typeof planOf>, done: [string, string, number][], running: [string, string, number][]) {
  const t = new RunTracker(plan);
  const batches = plan.stages[0]!.operations[0]!.batches;
  t.apply({ type: "run.started", hosts: plan.hosts.length, steps: plan.steps.length, t: T0 });
  t.apply({ type: "batch.started", stage: 0, operation: 0, batch: 0, batches: batches.length, hosts: batches[0]!, t: T0 });
  for (const [host, step, ms] of done) {
    t.apply({ type: "step.status", host, step, status: "running", t: T0 });
    t.apply({ type: "step.status", host, step, status: "ok", durationMs: ms, t: T0 + ms });
  }
  for (const [host, step, at] of running) t.apply({ type: "step.status", host, step, status: "running", t: T0 + at });
  return t.snapshot;
}

test("no estimate before a step has finished, nor once none is left", () => {
  const plan = planOf(["a", "b"], ["one", "two"]);
  const started = fold(plan, [], [["a", "one", 0]]);
  assert.equal(estimate(started, plan, 10, T0 + 5000), null);
  assert.equal(formatEstimate(estimate(started, plan, 10, T0 + 5000)), "—");
  const done = fold(plan, [["a", "one", 10], ["a", "two", 10], ["b", "one", 10], ["b", "two", 10]], []);
  assert.equal(estimate(done, plan, 10, T0 + 5000), null);
});

test("steps running longer than the average no longer eat the pending steps' time", () => {
  // Four hosts at once, each ran `one` (1 s) and has been in `two` for 30 s; `three` is still to come everywhere.
  const plan = planOf(["a", "b", "c", "d"], ["one", "two", "three"]);
  const hosts = ["a", "b", "c", "d"];
  const snapshot = fold(
    plan,
    hosts.map((h) => [h, "one", 1000]),
    hosts.map((h) => [h, "two", 0]),
  );
  const eta = estimate(snapshot, plan, 50, T0 + 30_000)!;
  // The average counts the running time once it is longer: (4 × 1 s + 4 × 30 s) / 8 = 15.5 s. The running steps are
  // past it (0 left each); the four pending steps take 15.5 s each, four at a time.
  assert.equal(eta.ms, 15_500);
  assert.equal(eta.overdue, 4);
  assert.equal(formatEstimate(eta), "about 15 s");
  assert.match(eta.explain, /4 running \(4 past the average\) · 4 pending · 4 at a time/);
});

test("a running step has the average minus its time so far left; the batch's size caps the parallelism", () => {
  // serial: 1: one host at a time, however many forks.
  const plan = planOf(["a", "b"], ["one", "two"], "{serial: 1}");
  const snapshot = fold(plan, [["a", "one", 4000]], [["a", "two", 0]]);
  const eta = estimate(snapshot, plan, 50, T0 + 1000)!;
  // a.two: 4 s − 1 s; b.one and b.two: 4 s each; one at a time.
  assert.equal(eta.ms, 3000 + 8000);
  assert.equal(eta.overdue, 0);
  assert.equal(formatEstimate(eta), "about 10 s");
});

test("never less than what one host still has to do, its steps running one after another", () => {
  const plan = planOf(["a", "b"], ["one", "two", "three"]);
  const snapshot = fold(plan, [["a", "one", 1000], ["a", "two", 1000], ["a", "three", 1000], ["b", "one", 1000]], [["b", "two", 0]]);
  const eta = estimate(snapshot, plan, 50, T0 + 500)!;
  // Shared by two, the work (0.5 s + 1 s) would take 0.75 s; b alone needs 1.5 s.
  assert.equal(eta.ms, 1500);
});

test("only steps past the average left: said plainly, never 'under 1 s'", () => {
  const plan = planOf(["a"], ["one", "two"]);
  const snapshot = fold(plan, [["a", "one", 1000]], [["a", "two", 0]]);
  const eta = estimate(snapshot, plan, 50, T0 + 60_000)!;
  assert.equal(eta.ms, 0);
  assert.equal(eta.overdue, 1);
  assert.equal(formatEstimate(eta), "overdue");
});

test("the estimate in words", () => {
  const e = (ms: number, overdue = 0) => formatEstimate({ ms, overdue, explain: "" });
  assert.deepEqual(
    [e(400), e(400, 1), e(3400), e(42_000), e(150_000), e(75 * 60_000), e(120 * 60_000)],
    ["under 1 s", "overdue", "about 3 s", "about 40 s", "about 3 min", "about 1 h 15 min", "about 2 h"],
  );
});

test("the estimate rounds first, so a carry moves up a unit instead of printing 60", () => {
  const e = (ms: number) => formatEstimate({ ms, overdue: 0, explain: "" });
  assert.deepEqual([e(9_600), e(57_400), e(57_600), e(59_000), e(89_000), e(59.6 * 60_000)], ["about 10 s", "about 55 s", "about 1 min", "about 1 min", "about 1 min", "about 1 h"]);
});
