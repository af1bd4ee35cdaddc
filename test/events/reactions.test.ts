/**
 * Reactions end to end on a real server's services (SQLite, the local transport): events through the hub, the
 * limiter on an injected clock, runs requested (and approved automatically when the site allows it), `event` in
 * the run's templates, outcomes said per event, Flightdeck's own events reacting to a step that keeps failing.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { readEnv } from "../../server/env";
import { hubDeps, recordEvent } from "../../server/events/hub";
import { ownEventsOf } from "../../server/events/own";
import type { SiteEventInput, StoredEvent } from "../../server/events/types";
import { createServices } from "../../server/services";
import { allowLocal } from "../api/callers";
import { localInventory } from "../engine/fleet-site";

const T0 = 1_800_000_000_000;
let now = T0;
const clock = { now: () => now };
const dir = mkdtempSync(join(tmpdir(), "fd-reactions-"));
const svc = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "" }), { clock });
after(async () => {
  await svc.close();
  rmSync(dir, { recursive: true, force: true });
});

const hub = hubDeps(svc);
const send = (site: string, input: Partial<SiteEventInput> & { name: string }, source: "api" | "alertmanager" = "alertmanager") =>
  recordEvent(hub, site, source, "webhook", { labels: {}, data: {}, ...input });

const DEPLOYMENTS = `---
kind: blueprint
api_version: v1beta1
spec:
  name: clean
  steps:
  - {name: say, action: cmd.run, params: {cmd: "echo cleaning {{ host.name }} for {{ event.name }} {{ event.labels.instance | default('-') }} seen {{ event.occurrences }} times"}}
---
kind: blueprint
api_version: v1beta1
spec:
  name: flaky
  steps:
  - {name: break, action: cmd.run, params: {cmd: "exit 3"}}
---
kind: deployment
api_version: v1beta1
spec:
  name: cleanup
  stages: [{name: s, operations: [{blueprints: [clean], targets: [all]}]}]
---
kind: deployment
api_version: v1beta1
spec:
  name: flaky
  stages: [{name: s, operations: [{blueprints: [flaky], targets: [db-1]}]}]
`;

async function site(slug: string, reactions: string, options: { approvals?: number; autoApproval?: boolean } = {}) {
  await svc.sites.create({ slug, name: slug, files: [{ path: "site.yml", content: localInventory(["db-1", "web-1"]) + DEPLOYMENTS }, { path: "reactions.yml", content: reactions }], author: "t", message: "m" });
  await allowLocal(svc, slug);
  await svc.sites.setSettings(slug, { approvalsRequired: options.approvals ?? 1 });
  if (options.autoApproval) await svc.store.events.setSettings(slug, { allowAutoApproval: true });
}

const outcome = (e: StoredEvent) => e.outcome.map(({ reaction, result, until, runId, detail }) => ({ reaction, result, until, runId, detail }));

test("an alert posted twice within the window starts exactly one run (approved automatically, event in its templates); the third is held by re_react_delay until its end", async () => {
  await site(
    "disk",
    `kind: reaction
api_version: v1beta1
spec:
  name: disk-full-cleanup
  on: {event: "alertmanager/DiskFull", labels: {severity: critical}}
  when: "event.occurrences >= 1"
  limit: {min_occurrences: 2, within: 5m, re_react_delay: 10m}
  run: {deployment: cleanup, targets_from_label: instance}
  approval: auto
`,
    { autoApproval: true },
  );
  await svc.store.notifications.setRules("disk", [{ kinds: ["reaction_fired", "approval_requested"], channel: "email", target: "ops@example.com" }]);
  const alert = { name: "alertmanager/DiskFull", labels: { severity: "critical", instance: "db-1:9100", status: "firing" }, data: { annotations: { summary: "disk full" } } };
  now = T0;
  const first = await send("disk", alert);
  assert.deepEqual(outcome(first), [{ reaction: "disk-full-cleanup", result: "matched", until: undefined, runId: undefined, detail: "held by min_occurrences: 1 of 2 within 5m" }]);
  // Another alert name, or a warning, is not for it (and leaves its count alone).
  assert.deepEqual((await send("disk", { ...alert, labels: { ...alert.labels, severity: "warning" } })).outcome, []);

  now = T0 + 60_000;
  const second = await send("disk", alert);
  const [fired] = second.outcome;
  assert.equal(fired?.result, "fired", JSON.stringify(second.outcome));
  assert.match(fired.detail!, /^requested run #\d+ of cleanup on db-1, approved automatically$/);
  const run = await svc.runs.get(fired.runId!);
  assert.equal(run.requestedBy, "reaction:disk-full-cleanup");
  assert.equal(run.reason, `reaction disk-full-cleanup on event #${second.id}`);
  assert.deepEqual(run.plan.hosts, ["db-1"]);
  assert.deepEqual(run.options.event, { name: "alertmanager/DiskFull", labels: alert.labels, data: alert.data, occurrences: 2 });
  const [told] = (await svc.store.notifications.page("disk", { limit: 10 })).filter((n) => n.kind === "reaction_fired");
  assert.deepEqual([told?.target, told?.payload.reaction, told?.payload.run?.id], ["ops@example.com", { name: "disk-full-cleanup", event: { id: second.id, name: "alertmanager/DiskFull" } }, run.id]);
  // Approved as it was requested: no reviewer is told it waits for them.
  assert.deepEqual((await svc.store.notifications.page("disk", { limit: 10 })).filter((n) => n.kind === "approval_requested"), []);
  assert.equal(await svc.runner.done(run.id), "succeeded");
  const said = (await svc.runs.output(run.id, "db-1")).map((o) => o.data).join("");
  assert.equal(said, "cleaning db-1 for alertmanager/DiskFull db-1:9100 seen 2 times\n");

  now = T0 + 120_000;
  const third = await send("disk", alert);
  assert.deepEqual(outcome(third), [
    { reaction: "disk-full-cleanup", result: "held", until: T0 + 60_000 + 600_000, runId: undefined, detail: "held by re_react_delay (10m after the last reaction)" },
  ]);
  assert.equal((await svc.runs.list("disk")).length, 1, "exactly one run");
  // Stored as said, for the Events page.
  assert.deepEqual((await svc.store.events.get("disk", third.id)).outcome, third.outcome);
  const audit = await svc.store.audit.query({ sites: ["disk"], limit: 10 });
  assert.deepEqual(
    audit.filter((a) => a.actor === "reaction:disk-full-cleanup").map((a) => [a.action, a.target]),
    [
      ["run.approved", `run ${run.id}`],
      ["run.requested", `run ${run.id}`],
    ],
  );
});

test("wait_for_more with reset_on_more: each occurrence moves the wait; the loop fires it once when it passes, on the newest event; approval: auto the site does not allow waits for reviewers", async () => {
  await site(
    "burst",
    `kind: reaction
api_version: v1beta1
spec:
  name: after-burst
  on: {event: "deploy/*"}
  limit: {wait_for_more: {timeout: 30s, reset_on_more: true}}
  run: {deployment: cleanup, targets: [web-1]}
  approval: auto
`,
  );
  now = T0 + 1_000_000;
  const a = await send("burst", { name: "deploy/done" }, "api");
  assert.deepEqual(outcome(a), [{ reaction: "after-burst", result: "waiting", until: now + 30_000, runId: undefined, detail: "wait_for_more: reacting after 30s without another occurrence" }]);
  now += 20_000;
  const b = await send("burst", { name: "deploy/done" }, "api");
  assert.deepEqual(outcome(b), [{ reaction: "after-burst", result: "waiting", until: now + 30_000, runId: undefined, detail: "wait_for_more: another occurrence, waiting 30s again" }]);

  assert.deepEqual(outcome(await svc.store.events.get("burst", a.id)), [{ reaction: "after-burst", result: "matched", until: undefined, runId: undefined, detail: `counted; the wait for more continues with event #${b.id}` }], "the first no longer counts down");

  const loop = svc.reactions.loop;
  assert.equal(await loop.tick(T0 + 1_000_000 + 40_000), 0, "the first wait was moved: nothing due at +40s");
  assert.equal((await svc.runs.list("burst")).length, 0);
  now = T0 + 1_000_000 + 50_000;
  assert.equal(await loop.tick(now), 1);
  assert.equal(await loop.tick(now), 0, "a wait fires once");

  const fired = await svc.store.events.get("burst", b.id);
  assert.equal(fired.outcome[0]?.result, "fired");
  assert.match(fired.outcome[0].detail!, /^requested run #\d+ of cleanup; approval: auto, but the site's event settings do not allow automatic approval: it waits for reviewers$/);
  const run = await svc.runs.get(fired.outcome[0].runId!);
  assert.equal(run.status, "awaiting_approval");
  assert.deepEqual(run.plan.hosts, ["web-1"]);
  assert.equal(run.options.event?.occurrences, 2);
});

test("a step that fails three times (three runs) fires the failure reaction on the third, on that host; its own run's events do not feed it", async () => {
  await site(
    "flaky",
    `kind: reaction
api_version: v1beta1
spec:
  name: repair
  on: {event: "flightdeck/failure/step", labels: {step: "*break*"}}
  when: "event.occurrences >= 3"
  run: {deployment: cleanup, targets_from_label: host}
  approval: auto
---
kind: reaction
api_version: v1beta1
spec:
  name: after-cleanup
  on: {event: "flightdeck/run/finished", labels: {deployment: cleanup}}
  run: {deployment: cleanup, targets: [web-1]}
`,
    { approvals: 0 },
  );
  const own = ownEventsOf(svc);
  for (let i = 1; i <= 3; i++) {
    now = T0 + 2_000_000 + i * 1000;
    const id = await svc.runner.launch({ site: "flaky", deployment: "flaky", requestedBy: "ana", reason: `try ${i}` });
    assert.equal(await svc.runner.done(id), "failed");
    await own.flush();
  }
  const events = (await svc.store.events.page("flaky", { limit: 50 })).reverse();
  const failures = events.filter((e) => e.name === "flightdeck/failure/step");
  assert.equal(failures.length, 3);
  assert.deepEqual(failures[0]!.labels, { run: failures[0]!.labels.run!, deployment: "flaky", requested_by: "ana", host: "db-1", step: failures[0]!.labels.step! });
  assert.match(failures[0]!.labels.step, /break/);
  assert.equal(failures[0]!.source, "flightdeck");
  assert.deepEqual(failures.map((f) => f.outcome[0]?.result), ["condition_false", "condition_false", "fired"]);
  assert.equal(failures[0]!.outcome[0]!.detail, "when (event.occurrences >= 3) is false with 1 occurrence");

  const repairId = failures[2]!.outcome[0]!.runId!;
  assert.equal(failures[2]!.outcome[0]!.detail, `requested run #${repairId} of cleanup on db-1`, "the site runs without approval: nothing to approve");
  assert.equal(await svc.runner.done(repairId), "succeeded");
  await own.flush();
  const repair = await svc.runs.get(repairId);
  assert.deepEqual([repair.requestedBy, repair.plan.hosts], ["reaction:repair", ["db-1"]]);
  // The repair (a cleanup) finishing fires after-cleanup once; the end of after-cleanup's own run does not fire it again.
  const repaired = (await svc.store.events.page("flaky", { limit: 1, name: "flightdeck/run/finished" }))[0]!;
  assert.deepEqual([repaired.labels.requested_by, repaired.outcome[0]?.reaction, repaired.outcome[0]?.result], ["reaction:repair", "after-cleanup", "fired"]);
  assert.equal(await svc.runner.done(repaired.outcome[0]!.runId!), "succeeded");
  await own.flush();
  const finished = (await svc.store.events.page("flaky", { limit: 50, name: "flightdeck/run/finished" })).reverse();
  assert.deepEqual(
    finished.map((e) => [e.labels.status, e.labels.requested_by, e.outcome.map((o) => `${o.reaction}: ${o.result}`).join()]),
    [
      ["failed", "ana", ""],
      ["failed", "ana", ""],
      ["failed", "ana", ""],
      ["succeeded", "reaction:repair", "after-cleanup: fired"],
      ["succeeded", "reaction:after-cleanup", "after-cleanup: no_match"],
    ],
  );
  assert.equal(finished[4]!.outcome[0]!.detail, "an event of a run this reaction requested");
});

test("a reaction whose target label is missing or names no host says so in the outcome; no run, the event is kept", async () => {
  await site(
    "odd",
    `kind: reaction
api_version: v1beta1
spec:
  name: by-instance
  on: {event: "alertmanager/*"}
  run: {deployment: cleanup, targets_from_label: instance}
`,
  );
  const nohost = await send("odd", { name: "alertmanager/Down", labels: { instance: "db-9:9100" } });
  assert.deepEqual(outcome(nohost), [{ reaction: "by-instance", result: "error", until: undefined, runId: undefined, detail: "label instance='db-9:9100' names no host of the site (by name or address)" }]);
  const nolabel = await send("odd", { name: "alertmanager/Down" });
  assert.deepEqual(outcome(nolabel), [{ reaction: "by-instance", result: "error", until: undefined, runId: undefined, detail: "the event has no label 'instance' (targets_from_label)" }]);
  assert.equal((await svc.runs.list("odd")).length, 0);
});

test("a host that cannot be reached is an own event flightdeck/host/unreachable (once), which a reaction can answer", async () => {
  const files = [
    {
      path: "site.yml",
      content: `kind: inventory
api_version: v1beta1
spec:
  hosts: [{name: gone, connection: {transport: ssh, address: 127.0.0.1, port: 1, user: nobody, host_key_checking: off, connect_timeout: 2s}}]
---
kind: blueprint
api_version: v1beta1
spec:
  name: b
  steps: [{name: one, action: cmd.run, params: {cmd: "true"}}, {name: two, action: cmd.run, params: {cmd: "true"}}]
---
kind: deployment
api_version: v1beta1
spec:
  name: reach
  stages: [{name: s, operations: [{blueprints: [b], targets: [gone]}]}]
---
kind: reaction
api_version: v1beta1
spec:
  name: page-someone
  on: {event: "flightdeck/host/unreachable"}
  run: {deployment: reach, targets_from_label: host}
`,
    },
  ];
  await svc.sites.create({ slug: "far", name: "far", files, author: "t", message: "m" });
  await svc.sites.setSettings("far", { approvalsRequired: 1 });
  const id = await svc.runner.launch({ site: "far", deployment: "reach", requestedBy: "ana", approvedAs: { by: "ana", message: "test" } });
  assert.equal(await svc.runner.done(id), "failed");
  await ownEventsOf(svc).flush();
  const unreachable = await svc.store.events.page("far", { limit: 10, name: "flightdeck/host/unreachable" });
  assert.equal(unreachable.length, 1, "said once for the host");
  assert.deepEqual(unreachable[0]!.labels, { run: String(id), deployment: "reach", requested_by: "ana", host: "gone" });
  assert.deepEqual(unreachable[0]!.outcome.map((o) => [o.reaction, o.result]), [["page-someone", "fired"]]);
  assert.equal((await svc.runs.get(unreachable[0]!.outcome[0]!.runId!)).status, "awaiting_approval");
});
