/** The run view's steps and tasks (components/runs/substeps.ts) over the real tracker growing sub-steps live. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runStepOrder, RunSteps, taskSummary } from "../../components/runs/substeps";
import type { Plan, PlannedStep } from "../../server/engine/plan";
import { RunTracker } from "../../server/engine/tracker";

const step = (id: string, extra: Partial<PlannedStep> = {}): PlannedStep => ({ id, name: id, blueprint: "b", action: "cmd.run", params: {}, requires: [], sync: false, runOnce: false, ...extra });
const task = (parent: string, name: string): PlannedStep => step(`${parent}/${name}`, { name, action: "ansible.playbook", parent });

// "web/setup" is a step of its own whose id has a slash (BLUEPRINT/STEP): it must never pass for a task of "web".
const steps = [step("prep"), step("web", { action: "ansible.playbook", params: { playbook: "playbooks/site.yml" } }), task("web", "one"), task("web", "two"), step("web/setup"), step("bare", { action: "ansible.playbook" })];
const plan: Plan = {
  deployment: "d",
  title: "t",
  hosts: ["a", "b"],
  steps: steps.map((s) => s.id),
  stages: [{ name: "s", operations: [{ name: "o", blueprints: ["b"], targets: ["all"], hosts: ["a", "b"], batches: [["a", "b"]], serial: null, maxFailPercentage: 0, steps }] }],
};

test("a host's steps in run order, each task under its playbook step, tasks the plan did not list where they ran", () => {
  const t = new RunTracker(plan);
  const s = new RunSteps(plan);
  assert.deepEqual([...s.groups], ["web", "bare"], "a playbook step is a group even before any task is known");
  t.apply({ type: "step.status", host: "a", step: "web", status: "running" });
  t.apply({ type: "step.status", host: "a", step: "web/Gathering Facts", status: "ok", parent: "web" });
  t.apply({ type: "step.status", host: "a", step: "web/one", status: "changed", parent: "web" });
  t.apply({ type: "step.status", host: "a", step: "web/restart nginx", status: "running", parent: "web" });
  t.apply({ type: "step.status", host: "a", step: "bare/only task", status: "failed", parent: "bare" });
  assert.deepEqual(s.ofHost(t.snapshot.hosts.a!), [
    { id: "prep" },
    { id: "web" },
    { id: "web/Gathering Facts", parent: "web" },
    { id: "web/one", parent: "web" },
    { id: "web/restart nginx", parent: "web" },
    { id: "web/two", parent: "web" },
    { id: "web/setup" },
    { id: "bare" },
    { id: "bare/only task", parent: "bare" },
  ]);
  assert.equal(s.name("web/restart nginx"), "restart nginx");
  assert.equal(s.label("web/one"), "web › one");
  assert.equal(s.label("web/setup"), "web/setup");
  assert.ok(s.inGroup("web", "web/Gathering Facts") && s.inGroup("web", "web") && !s.inGroup("web", "web/setup") && !s.inGroup("web", "prep"));

  // The columns: the plan's order, with what host a ran that the plan did not list.
  const planned = (h: string) => Object.keys(new RunTracker(plan).snapshot.hosts[h]!.steps).length;
  assert.deepEqual(runStepOrder(plan, t.snapshot, planned), ["prep", "web", "web/Gathering Facts", "web/one", "web/restart nginx", "web/two", "web/setup", "bare", "bare/only task"]);
  assert.deepEqual(runStepOrder(plan, new RunTracker(plan).snapshot, planned), plan.steps, "nothing new: the plan's order");

  const tasks = s.ofHost(t.snapshot.hosts.a!).filter((x) => x.parent === "web").map((x) => x.id);
  assert.deepEqual(taskSummary(t.snapshot.hosts.a, tasks), { counts: { ok: 1, changed: 1, running: 1, pending: 1 }, done: 2, running: "web/restart nginx" });
});
