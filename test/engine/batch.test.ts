/** The engine's batch-step parts: the gate hosts meet at, sub-step ids, and the tracker growing sub-steps live. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { estimate } from "../../components/runs/estimate";
import { BatchGate, SubStepNames } from "../../server/engine/batch";
import { RunTracker } from "../../server/engine/tracker";
import type { Plan, PlannedStep } from "../../server/engine/plan";

test("the gate runs once, with the hosts that arrived, after every expected host arrived or left", async () => {
  const calls: string[][] = [];
  const gate = new BatchGate<number, string>(new Set(["a", "b", "c"]), (arrived) => {
    calls.push([...arrived.keys()]);
    return Promise.resolve(new Map([...arrived].map(([h, n]) => [h, `${h}:${n}`])));
  });
  const a = gate.arrive("a", 1);
  gate.leave("b");
  assert.deepEqual(calls, [], "c has neither arrived nor left");
  const c = gate.arrive("c", 3);
  gate.leave("a"); // leaving after arriving changes nothing
  assert.deepEqual(await Promise.all([a, c]), ["a:1", "c:3"]);
  assert.deepEqual(calls, [["a", "c"]]);
});

test("a gate every host left never runs", () => {
  let ran = false;
  const gate = new BatchGate<number, string>(new Set(["a"]), () => {
    ran = true;
    return Promise.resolve(new Map<string, string>());
  });
  gate.leave("a");
  assert.equal(ran, false);
});

test("sub-step ids: STEP/NAME, repeated names numbered in order, never another step's id", () => {
  const names = new SubStepNames("pb", new Set(["pb/x"]));
  assert.equal(names.idFor("u1", "Install"), "pb/Install");
  assert.equal(names.idFor("u2", "Install"), "pb/Install (2)");
  assert.equal(names.idFor("u1", "Install"), "pb/Install", "the same key keeps its id");
  assert.equal(names.idFor("u3", "x"), "pb/x (2)");
  assert.equal(names.known("u2"), "pb/Install (2)");
  assert.equal(names.known("nope"), undefined);
});

const step = (id: string, parent?: string): PlannedStep => ({ id, name: id, blueprint: "b", action: parent ? "ansible.playbook" : "cmd.run", params: {}, requires: [], sync: false, runOnce: false, parent });

test("the tracker adds a sub-step the plan did not list after its started siblings, and counts it", () => {
  const steps = [step("pb"), step("pb/one", "pb"), step("pb/two", "pb"), step("next")];
  const plan: Pick<Plan, "hosts" | "steps" | "stages"> = {
    hosts: ["h"],
    steps: steps.map((s) => s.id),
    stages: [{ name: "s", operations: [{ name: "o", blueprints: ["b"], targets: ["all"], hosts: ["h"], batches: [["h"]], serial: null, maxFailPercentage: 0, steps }] }],
  };
  const t = new RunTracker(plan);
  t.apply({ type: "step.status", host: "h", step: "pb", status: "running" });
  t.apply({ type: "step.status", host: "h", step: "pb/facts", status: "running", parent: "pb" });
  assert.deepEqual(Object.keys(t.snapshot.hosts.h!.steps), ["pb", "pb/facts", "pb/one", "pb/two", "next"], "before the listed tasks that have not started");
  t.apply({ type: "step.status", host: "h", step: "pb/facts", status: "ok", durationMs: 5, parent: "pb" });
  t.apply({ type: "step.status", host: "h", step: "pb/one", status: "ok", parent: "pb" });
  t.apply({ type: "step.status", host: "h", step: "pb/two", status: "changed", parent: "pb" });
  t.apply({ type: "step.status", host: "h", step: "pb/handler", status: "running", parent: "pb" });
  assert.deepEqual(Object.keys(t.snapshot.hosts.h!.steps), ["pb", "pb/facts", "pb/one", "pb/two", "pb/handler", "next"]);
  assert.equal(t.snapshot.totalSteps, 6);
  assert.equal(t.snapshot.finishedSteps, 3);
  assert.equal(t.snapshot.counts.running, 2);
  assert.equal(t.snapshot.counts.pending, 1);
  // Without a parent the host has, an unknown step is ignored as before.
  t.apply({ type: "step.status", host: "h", step: "stray", status: "ok" });
  t.apply({ type: "step.status", host: "h", step: "x/y", status: "ok", parent: "x" });
  assert.equal(t.snapshot.totalSteps, 6);
});

test("a playbook step is its tasks' time: not added again to the average, not counted as work of its own", () => {
  const steps = [step("pb"), step("pb/one", "pb"), step("pb/two", "pb")];
  const plan: Pick<Plan, "hosts" | "steps" | "stages"> = {
    hosts: ["h"],
    steps: steps.map((s) => s.id),
    stages: [{ name: "s", operations: [{ name: "o", blueprints: ["b"], targets: ["all"], hosts: ["h"], batches: [["h"]], serial: null, maxFailPercentage: 0, steps }] }],
  };
  const t = new RunTracker(plan);
  assert.equal(t.snapshot.hosts.h!.steps["pb/one"]!.parent, "pb");
  t.apply({ type: "step.status", host: "h", step: "pb", status: "running", t: 0 });
  t.apply({ type: "step.status", host: "h", step: "pb/one", status: "running", parent: "pb", t: 0 });
  t.apply({ type: "step.status", host: "h", step: "pb/one", status: "ok", durationMs: 1000, parent: "pb", t: 1000 });
  // 60 s into the playbook, its step running all along: one task of ~1 s is left, not a minute.
  const eta = estimate(t.snapshot, plan, 10, 60_000);
  assert.ok(eta && eta.ms === 1000 && eta.overdue === 0, JSON.stringify(eta));
  t.apply({ type: "step.status", host: "h", step: "pb/two", status: "ok", durationMs: 1000, parent: "pb" });
  t.apply({ type: "step.status", host: "h", step: "pb", status: "ok", durationMs: 2500 });
  assert.equal(t.snapshot.finishedMs, 2000);
  assert.equal(t.snapshot.finishedSteps, 3);
});
