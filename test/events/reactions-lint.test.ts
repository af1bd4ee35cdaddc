/** Reaction documents: their schema, lint (located), and what the reactor reads of them; the pure limiter. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { claimWait, duration, occur, type LimitSpec } from "../../server/events/reactions/limiter";
import { hostFromLabel, hostPart, matches } from "../../server/events/reactions/match";
import type { ReactionState } from "../../server/events/types";
import { localInventory, workflow } from "../engine/fleet-site";
import { lint, site, yml } from "../inventory/helpers";

const SITE = `${localInventory(["db-1", "web-1"])}---\n${workflow(`  - {name: one, action: cmd.run, params: {cmd: "echo {{ event.labels.instance }}"}}`, "", "[all]", "cleanup")}`;

/** A reaction document around a spec written at the left margin. */
const reaction = (spec: string) => `kind: reaction\napi_version: v1beta1\nspec:\n${spec.replace(/^(?=.)/gm, "  ")}`;

test("the issue's reaction document lints clean and is read as written", () => {
  const s = site({
    "site.yml": SITE,
    "reactions.yml": reaction(yml`
      name: disk-full-cleanup
      on: {event: "alertmanager/DiskFull", labels: {severity: critical}}
      when: "event.occurrences >= 1"
      limit: {min_occurrences: 2, within: 5m, re_react_delay: 10m, wait_for_more: {timeout: 30s, reset_on_more: true}}
      run: {deployment: cleanup, targets_from_label: instance}
      approval: auto
    `),
  });
  assert.deepEqual(s.diagnostics, []);
  const def = s.reactions.get("disk-full-cleanup")!;
  assert.deepEqual(def.limit, { minOccurrences: 2, withinMs: 300_000, reReactDelayMs: 600_000, waitForMore: { timeoutMs: 30_000, resetOnMore: true } });
  assert.deepEqual(def.run, { deployment: "cleanup", targetsFromLabel: "instance", targets: undefined });
  assert.equal(def.approval, "auto");
  assert.equal(def.when, "event.occurrences >= 1");
  assert.ok(matches(def, { name: "alertmanager/DiskFull", labels: { severity: "critical", instance: "db-1:9100" } }));
  assert.ok(!matches(def, { name: "alertmanager/DiskFull", labels: { severity: "warning" } }));
  assert.ok(!matches(def, { name: "alertmanager/DiskFull", labels: {} }));
  assert.ok(!matches(def, { name: "alertmanager/DiskFullSoon", labels: { severity: "critical" } }));
});

test("globs over names and labels; a disabled reaction matches nothing", () => {
  const s = site({
    "site.yml": SITE,
    "r.yml": reaction(yml`
      name: any-failure
      on: {event: "flightdeck/failure/*", labels: {host: "db-?"}}
      run: {deployment: cleanup}
    `) + "---\n" + reaction(yml`
      name: off
      enabled: false
      on: {event: "*"}
      run: {deployment: cleanup}
    `),
  });
  assert.deepEqual(s.diagnostics, []);
  const def = s.reactions.get("any-failure")!;
  assert.ok(matches(def, { name: "flightdeck/failure/step", labels: { host: "db-1" } }));
  assert.ok(!matches(def, { name: "flightdeck/failure/step", labels: { host: "db-10" } }));
  assert.ok(!matches(def, { name: "flightdeck/run/finished", labels: { host: "db-1" } }));
  assert.ok(!matches(s.reactions.get("off")!, { name: "x", labels: {} }));
});

test("lint: a missing deployment, a bad glob, a `when` that does not parse or reads something else, durations: each located", () => {
  const got = lint({
    "site.yml": SITE,
    "r.yml": reaction(yml`
      name: r1
      on: {event: "alertmanager/[Disk"}
      run: {deployment: clenaup}
    `) + "---\n" + reaction(yml`
      name: r2
      on: {event: "a/b"}
      when: "event.occurrences >="
      limit: {within: 5 minutes, re_react_delay: 10m}
      run: {deployment: cleanup}
    `) + "---\n" + reaction(yml`
      name: r3
      on: {event: "a/b"}
      when: "event.occurences > 1 and vars.x"
      limit: {min_occurrences: 3}
      run: {deployment: cleanup, targets: [nosuch]}
    `) + "---\n" + reaction(yml`
      name: r3
      on: {event: "a/c"}
      run: {deployment: cleanup}
      approval: sometimes
    `),
  });
  assert.deepEqual(got, [
    "r.yml:5:15: error: 'event' must be an event name or a glob over one: letters, digits, _ . : @ + - / and the wildcards * and ?",
    "r.yml:6:21: error: deployment 'clenaup' does not exist (did you mean 'cleanup'?)",
    "r.yml:13:9: error: when: unexpected end of expression",
    "r.yml:14:19: error: 'within' must be a duration such as 500ms, 15s, 5m or 1h",
    "r.yml:22:9: error: when: 'event.occurences' is undefined (did you mean 'occurrences'?); event has name, labels, data, occurrences",
    "r.yml:22:9: error: when: 'vars' is undefined; a reaction's condition sees only event (name, labels, data, occurrences)",
    "r.yml:23:28: warning: min_occurrences without 'within' counts every occurrence since the last reaction, however old; give a window such as within: 5m",
    "r.yml:24:40: error: target 'nosuch' matches no host",
    "r.yml:29:9: error: duplicate reaction 'r3' (first defined at r.yml:20:9)",
    'r.yml:32:13: error: \'approval\' must be one of: auto, required; got "sometimes"',
  ]);
});

test("duplicate reaction names are an error at the second", () => {
  const got = lint({ "site.yml": SITE, "r.yml": reaction("  name: x\n  on: {event: a}\n  run: {deployment: cleanup}\n") + "---\n" + reaction("  name: x\n  on: {event: b}\n  run: {deployment: cleanup}\n") });
  assert.deepEqual(got, ["r.yml:11:11: error: duplicate reaction 'x' (first defined at r.yml:4:11)"]);
});

test("templates of the deployment may read `event`, only its fields", () => {
  assert.deepEqual(lint({ "site.yml": SITE }), []);
  const typo = SITE.replace("event.labels.instance", "event.labls.instance");
  assert.deepEqual(lint({ "site.yml": typo }), ["site.yml:12:57: error: 'event.labls.instance' is undefined (did you mean 'labels'?); event has name, labels, data, occurrences"]);
});

test("a label value names a host: by name, or by address, with the port stripped", () => {
  const s = site(`${localInventory(["db-1"])}`.replace("{name: db-1}", "{name: db-1, connection: {address: 10.0.0.5}}"));
  assert.equal(hostPart("db-1:9100"), "db-1");
  assert.equal(hostPart("[::1]:9100"), "::1");
  assert.equal(hostPart("::1"), "::1");
  assert.equal(hostFromLabel(s, "db-1:9100"), "db-1");
  assert.equal(hostFromLabel(s, "10.0.0.5:9100"), "db-1");
  assert.equal(hostFromLabel(s, "db-2:9100"), undefined);
});

// --- The limiter, pure: state in, state and decision out ---------------------------------------------------------

function run(limit: Partial<LimitSpec>, times: number[], when: (n: number) => boolean = () => true) {
  let state: ReactionState | null = null;
  return times.map((t, i) => {
    const r = occur(state, { minOccurrences: 1, ...limit }, i + 1, t, when);
    state = r.state;
    return r.decision;
  });
}

test("limiter: min_occurrences within the window, then re_react_delay holds with its until", () => {
  const m = 60_000;
  const d = run({ minOccurrences: 2, withinMs: 5 * m, reReactDelayMs: 10 * m }, [0, 1 * m, 2 * m, 12 * m, 14 * m]);
  assert.deepEqual(d.map((x) => x.kind), ["counted", "fire", "held", "counted", "fire"]);
  assert.deepEqual(d[2], { kind: "held", occurrences: 1, until: 11 * m, detail: "held by re_react_delay (10m after the last reaction)" });
  // Occurrences older than the window do not count: 6 minutes apart never reach 2.
  assert.deepEqual(run({ minOccurrences: 2, withinMs: 5 * m }, [0, 6 * m, 12 * m]).map((x) => x.kind), ["counted", "counted", "counted"]);
});

test("limiter: `when` sees the occurrences (this one included) and a false condition still counts", () => {
  const d = run({}, [1, 2, 3, 4], (n) => n >= 3);
  assert.deepEqual(d.map((x) => [x.kind, x.occurrences]), [["condition_false", 1], ["condition_false", 2], ["fire", 3], ["condition_false", 1]]);
  const broken = occur(null, { minOccurrences: 1 }, 1, 0, () => ({ error: "when: 'event.data.x' is undefined" }));
  assert.deepEqual(broken.decision, { kind: "condition_error", occurrences: 1, error: "when: 'event.data.x' is undefined" });
});

test("limiter: wait_for_more with reset_on_more moves the wait; without, it keeps the first; a due wait fires once", () => {
  const s = 1000;
  let state: ReactionState | null = null;
  const step = (t: number, id: number, reset: boolean) => {
    const r = occur(state, { minOccurrences: 1, waitForMore: { timeoutMs: 30 * s, resetOnMore: reset } }, id, t, () => true);
    state = r.state;
    return r.decision;
  };
  assert.deepEqual(step(0, 1, true), { kind: "waiting", occurrences: 1, until: 30 * s, detail: "wait_for_more: reacting after 30s without another occurrence" });
  assert.equal(step(20 * s, 2, true).kind === "waiting" && state!.waitUntil, 50 * s);
  // Not due yet at 40s (the reset moved it), due at 50s; the first claim fires event 2 with 2 occurrences, a second finds nothing.
  assert.deepEqual(claimWait(state, 30 * s, 40 * s), {});
  const claim = claimWait(state, 50 * s, 50 * s);
  assert.deepEqual(claim.fire, { eventId: 2, occurrences: 2 });
  assert.deepEqual(claimWait(claim.state!, 50 * s, 50 * s), {});
  assert.equal(claim.state!.lastFiredAt, 50 * s);

  state = null;
  step(0, 1, false);
  assert.equal(step(20 * s, 2, false).kind === "waiting" && state!.waitUntil, 30 * s);
});

test("durations read as they are written", () => {
  assert.deepEqual([duration(500), duration(30_000), duration(600_000), duration(5_430_000)], ["500ms", "30s", "10m", "1h30m30s"]);
});
