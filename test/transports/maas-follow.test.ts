/**
 * followMachine against the simulator: status changes and events in order and exactly once, and each way a
 * follow ends (target, failure status, timeout, abort, too many failed polls). Synchronised on the follower's
 * own callbacks and the simulator's status changes; the only clock is the follow timeout under test.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  describeStatusChange,
  followMachine,
  formatEvent,
  MaasApiError,
  MaasClient,
  MaasFollowTimeoutError,
  MaasMachineFailedError,
  type MaasEvent,
  type Machine,
} from "../../server/transports/maas";
import { randomApiKey, startMaasSimulator, type MaasSimulator } from "../maas/simulator";

const T = { timeout: 10_000 };
const KEY = randomApiKey();

interface Log {
  lines: string[];
  statuses: string[];
  events: MaasEvent[];
}

function recorder(): Log & { onStatus: (m: Machine, p: Machine | undefined) => void; onEvents: (e: MaasEvent[]) => void } {
  const log: Log = { lines: [], statuses: [], events: [] };
  return {
    ...log,
    onStatus: (m, p) => {
      log.statuses.push(m.status_name);
      log.lines.push(`status ${describeStatusChange(m, p)}`);
    },
    onEvents: (events) => {
      log.events.push(...events);
      for (const e of events) log.lines.push(`event ${e.type}${e.description ? `: ${e.description}` : ""}`);
    },
  };
}

describe("followMachine", () => {
  let sim: MaasSimulator;
  let client: MaasClient;

  before(async () => {
    sim = await startMaasSimulator({
      machines: [
        { system_id: "happy1", hostname: "happy-1" },
        { system_id: "fails1", hostname: "fails-1", deployFault: "fail", faultMessage: "curtin: no disk matched the storage layout" },
        { system_id: "stuck1", hostname: "stuck-1", deployFault: "stuck" },
        { system_id: "abort1", hostname: "abort-1" },
        { system_id: "break1", hostname: "break-1" },
        { system_id: "flaky1", hostname: "flaky-1" },
        { system_id: "flaky2", hostname: "flaky-2", status: "Deployed" },
      ],
      keys: [{ key: KEY, username: "ops" }],
      timings: { deployMs: 150, releaseMs: 20 },
    });
    client = new MaasClient({ url: sim.url, apiKey: KEY, region: "dc1", retry: { attempts: 1 } });
  });
  after(async () => {
    await sim?.close();
  });

  test("a deployment: every status change, and every event once, oldest first, before the status it led to", T, async () => {
    const since = await client.lastEventId("happy1");
    await client.deploy("happy1");
    const log = recorder();
    // Pages of 2 events: each poll reads several pages, newest first, and must still deliver each event once.
    const result = await followMachine(client, "happy1", { until: "Deployed", intervalMs: 5, afterEventId: since, eventPageSize: 2, onStatus: log.onStatus, onEvents: log.onEvents });
    assert.equal(result.machine.status_name, "Deployed");
    assert.deepEqual(log.statuses, ["Deploying", "Deployed"]);
    const expected = sim.events("happy1").map((e) => e.id).filter((id) => id > since);
    assert.deepEqual(log.events.map((e) => e.id), expected, "every event after the baseline, once, in order");
    assert.equal(log.events[0]?.type, "User acquiring node");
    // Events that led to a status come before it.
    const changed = log.lines.indexOf("event Node changed status: From 'Deploying' to 'Deployed'");
    const deployed = log.lines.indexOf("status happy-1 (happy1): Deploying -> Deployed");
    assert.ok(changed >= 0 && deployed > changed, log.lines.join("\n"));
    assert.equal(log.lines[0], "event User acquiring node");
    assert.ok(log.lines.includes("event Loading ephemeral"));
    assert.deepEqual(result.lastEvents.map((e) => e.id), expected.slice(-20));
    const first = log.events[0];
    assert.ok(first);
    assert.match(formatEvent(first), /^\w{3}, \d\d \w{3}\. \d{4} \d\d:\d\d:\d\d AUDIT User acquiring node$/);

    // Releasing it: a new follow from the newest event on, until Ready.
    const release = recorder();
    await client.release("happy1");
    const released = await followMachine(client, "happy1", { until: ["Ready"], intervalMs: 5, eventLevel: "INFO", onStatus: release.onStatus, onEvents: release.onEvents });
    assert.equal(released.machine.status_name, "Ready");
    assert.deepEqual(release.statuses.at(-1), "Ready");
    assert.ok(release.events.every((e) => e.id > (expected.at(-1) ?? 0)), "no event of the deployment again");
    assert.ok(release.events.every((e) => ["INFO", "WARNING", "ERROR", "CRITICAL"].includes(e.level)));
  });

  test("a failed deployment rejects with the machine's error and its last events", T, async () => {
    const since = await client.lastEventId("fails1");
    await client.deploy("fails1");
    const log = recorder();
    const error = await followMachine(client, "fails1", { until: "Deployed", intervalMs: 5, afterEventId: since, onStatus: log.onStatus, onEvents: log.onEvents }).then(
      () => assert.fail("the follow succeeded"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof MaasMachineFailedError, String(error));
    assert.equal(error.machine.status_name, "Failed deployment");
    assert.equal(error.machine.error_description, "curtin: no disk matched the storage layout");
    assert.equal(log.statuses.at(-1), "Failed deployment");
    const errors = error.events.filter((e) => e.level === "ERROR");
    assert.deepEqual(errors.map((e) => e.type), ["Node installation failure", "Marking node failed"]);
    assert.deepEqual(error.events.map((e) => e.id), log.events.map((e) => e.id).slice(-20));
    assert.match(error.message, /^machine fails-1 \(fails1\) in MAAS region dc1 went to 'Failed deployment': curtin: no disk matched the storage layout; last events: .*ERROR Node installation failure: curtin: no disk matched/);
  });

  test("a deployment stuck in Deploying times out, naming the status and how long", T, async () => {
    await client.deploy("stuck1");
    await sim.waitForEvent("stuck1", "Loading ephemeral");
    const statuses: string[] = [];
    const error = await followMachine(client, "stuck1", { until: "Deployed", intervalMs: 10, timeoutMs: 150, onStatus: (m) => statuses.push(m.status_name) }).then(
      () => assert.fail("the follow succeeded"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof MaasFollowTimeoutError, String(error));
    assert.deepEqual(statuses, ["Deploying"]);
    assert.equal(error.machine?.status_name, "Deploying");
    assert.ok(error.elapsedMs >= 150);
    assert.match(error.message, /^machine stuck-1 \(stuck1\) in MAAS region dc1 is still 'Deploying' \(Loading ephemeral\) after \d+ ms, waiting for Deployed$/);
  });

  test("an abort ends the follow with the caller's reason, at once", T, async () => {
    await client.deploy("abort1");
    const controller = new AbortController();
    const reason = new Error("run cancelled");
    const follow = followMachine(client, "abort1", {
      until: "Deployed",
      intervalMs: 10_000,
      signal: controller.signal,
      onStatus: (m) => {
        if (m.status_name === "Deploying") controller.abort(reason);
      },
    });
    const started = performance.now();
    await assert.rejects(follow, (e) => e === reason);
    assert.ok(performance.now() - started < 5_000, "did not wait for the next poll");
    const already = new AbortController();
    already.abort(reason);
    await assert.rejects(followMachine(client, "abort1", { until: "Deployed", signal: already.signal }), (e) => e === reason);
  });

  test("a machine that goes Broken ends the follow as a failure", T, async () => {
    await client.deploy("break1");
    const follow = followMachine(client, "break1", {
      until: "Deployed",
      intervalMs: 5,
      onStatus: (m) => {
        if (m.status_name === "Deploying") sim.inject({ type: "broken", machine: "break1", message: "BMC reports PSU failure" });
      },
    });
    await assert.rejects(follow, (e) => e instanceof MaasMachineFailedError && e.machine.status_name === "Broken" && /went to 'Broken': BMC reports PSU failure/.test(e.message));
  });

  test("a failed poll is tolerated up to maxPollErrors, then the error ends the follow", T, async () => {
    const pollErrors: string[] = [];
    // attempts: 1 in the client, so each injected 503 fails one poll.
    sim.inject({ type: "unavailable", count: 2 });
    const ok = await followMachine(client, "flaky2", { until: "Deployed", intervalMs: 5, afterEventId: 0, eventLevel: false, onPollError: (e, n) => pollErrors.push(`${n} ${e.name}`) });
    assert.equal(ok.machine.status_name, "Deployed");
    assert.deepEqual(pollErrors, ["1 MaasApiError", "2 MaasApiError"]);

    sim.inject({ type: "unavailable", count: 3 });
    await assert.rejects(
      followMachine(client, "flaky1", { until: "Deployed", intervalMs: 5, afterEventId: 0, maxPollErrors: 2 }),
      (e) => e instanceof MaasApiError && e.status === 503,
    );
  });

  test("until can end a follow as a failure of its own", T, async () => {
    const error = await followMachine(client, "flaky2", { until: (m) => (m.power_state === "on" ? "failed" : false), intervalMs: 5 }).then(
      () => assert.fail("the follow succeeded"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof MaasMachineFailedError);
    assert.match(error.message, /went to 'Deployed'/);
  });
});
