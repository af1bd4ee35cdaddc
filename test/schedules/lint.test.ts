/** Lint of schedule and maintenance_window documents: every problem at its file:line:col, with croner's words for a bad cron. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { lint, site, yml } from "../inventory/helpers";

const BASE = {
  "inv.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: web-1}, {name: db-1}]\n  groups: [{name: web, members: [web-1]}]\n",
  "deploy.yml": yml`
    kind: blueprint
    api_version: v1beta1
    spec: {name: b, steps: [{name: s, action: cmd.run, params: {cmd: "true"}}]}
    ---
    kind: deployment
    api_version: v1beta1
    spec: {name: patch, stages: [{name: s, operations: [{blueprints: [b], targets: [all]}]}]}
  `,
};

test("a clean schedule and window are read into the site", () => {
  const s = site({
    ...BASE,
    "sched.yml": yml`
      kind: schedule
      api_version: v1beta1
      spec: {name: nightly, cron: "0 3 * * 1-5", timezone: Europe/Paris, deployment: patch, targets: [web]}
      ---
      kind: maintenance_window
      api_version: v1beta1
      spec:
        name: weeknights
        weekly: [{days: [mon, tue, wed, thu, fri], start: "22:00", end: "05:00"}]
        timezone: Europe/Paris
        blackout: ["2026-12-24..2026-12-26"]
        applies_to: {deployments: [patch]}
    `,
  });
  assert.deepEqual(s.diagnostics, []);
  assert.deepEqual([...s.schedules.schedules.keys()], ["nightly"]);
  assert.deepEqual([...s.schedules.windows.keys()], ["weeknights"]);
});

test("bad input is located: cron (croner's message), time zone, deployment, duration, never-opening window, blackout", () => {
  assert.deepEqual(
    lint({
      ...BASE,
      "sched.yml": yml`
        kind: schedule
        api_version: v1beta1
        spec:
          name: nightly
          cron: "61 3 * * *"
          timezone: Mars/Olympus
          deployment: pach
        ---
        kind: maintenance_window
        api_version: v1beta1
        spec:
          name: shut
          cron: "0 1 * * *"
          duration: 1h
          blackout: ["2026-01-01..2099-12-31"]
        ---
        kind: maintenance_window
        api_version: v1beta1
        spec:
          name: half
          cron: "0 1 * * *"
          blackout: ["2026-02-30", "2026-12-05..2026-12-01"]
        ---
        kind: maintenance_window
        api_version: v1beta1
        spec:
          name: none
          on_close: continue
        ---
        kind: schedule
        api_version: v1beta1
        spec: {name: nightly, cron: "bad", deployment: patch}
      `,
    }),
    [
      "sched.yml:5:9: error: cron '61 3 * * *': Invalid value for minute: 61",
      "sched.yml:6:13: error: unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Paris or UTC)",
      "sched.yml:7:15: error: deployment 'pach' does not exist (did you mean 'patch'?)",
      "sched.yml:13:9: error: maintenance window 'shut' never opens in the next 366 days (its blackout dates included)",
      "sched.yml:21:9: error: `cron` says when the window opens: give `duration` too (how long it stays open)",
      "sched.yml:22:14: error: '2026-02-30' is not a calendar date",
      "sched.yml:22:28: error: blackout range '2026-12-05..2026-12-01' ends before it starts",
      "sched.yml:27:3: error: a maintenance window needs `cron` with `duration`, or `weekly` ranges",
      "sched.yml:32:14: error: duplicate schedule 'nightly' (first defined at sched.yml:4:9)",
    ],
  );
});

test("schema problems of the new kinds read like every other document's", () => {
  assert.deepEqual(
    lint({
      ...BASE,
      "w.yml": yml`
        kind: maintenance_window
        api_version: v1beta1
        spec: {name: w, weekly: [{days: [monday], start: "25:00", end: "04:00"}], on_close: stop}
      `,
    }),
    [
      `w.yml:3:34: error: '0' must be one of: sun, mon, tue, wed, thu, fri, sat; got "monday"`,
      "w.yml:3:50: error: 'start' must be a time HH:MM",
      `w.yml:3:85: error: 'on_close' must be one of: stop_new_batches, continue; got "stop"`,
    ],
  );
});
