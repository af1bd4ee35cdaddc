/**
 * The executor against a fleet of real sshd processes on loopback: the behaviours PRODUCT.md and the engine
 * issue list, each observed through the events a run emits and, where it matters, on the hosts themselves.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startFleet, type Fleet } from "../fleet/fleet";
import { fleetInventory, Recorder, runSite, siteOf, workflow } from "./fleet-site";

let fleet: Fleet;
let scratch: string;

before(async () => {
  fleet = await startFleet({ hosts: 5, namePrefix: "host-" });
  scratch = mkdtempSync(join(tmpdir(), "fd-exec-"));
});
after(async () => {
  await fleet.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const pgrep = (pattern: string) => {
  try {
    return execFileSync("pgrep", ["-f", pattern], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
};

/** Polls a condition on the hosts (no event announces it), bounded: fails after `ms`. */
async function eventually(check: () => boolean, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("executor on a real sshd fleet", () => {
  test("a normal run: every step on every host, output streamed, earlier results visible to templates", async () => {
    const site = siteOf(
      fleetInventory(fleet),
      workflow(`  - {name: hello, action: cmd.run, params: {cmd: "echo hello from {{ host.name }}"}}
  - {name: token, action: cmd.run, params: {cmd: "echo tok-{{ host.name }}"}}
  - {name: use token, action: cmd.run, params: {cmd: "echo got {{ steps['token'].stdout | trim }}"}}`),
    );
    const { status, rec, plan } = await runSite(site);
    assert.equal(status, "succeeded");
    assert.equal(plan.hosts.length, 5);
    for (const h of fleet.hosts) {
      assert.deepEqual(rec.final(h.name), { hello: "changed", token: "changed", "use token": "changed" });
      assert.equal(rec.output_of(h.name, "hello"), `hello from ${h.name}\n`);
      assert.equal(rec.output_of(h.name, "use token"), `got tok-${h.name}\n`);
    }
    const finished = rec.events.at(-1)!;
    assert.deepEqual(finished.type === "run.finished" && finished.status, "succeeded");
  });

  test("a host that is down is unreachable (not failed); the others go on", async () => {
    await fleet.stopHost(1);
    try {
      const site = siteOf(fleetInventory(fleet), workflow(`  - {name: one, action: cmd.run, params: {cmd: "true"}}\n  - {name: two, action: cmd.run, params: {cmd: "true"}}`));
      const { status, rec } = await runSite(site);
      assert.equal(status, "failed");
      assert.deepEqual(rec.final("host-2"), { one: "unreachable", two: "skipped" });
      const down = rec.steps("host-2", "one").at(-1)!;
      assert.match(down.message ?? "", /connection refused/);
      assert.deepEqual(rec.final("host-1"), { one: "changed", two: "changed" });
      const hostStatus = rec.events.find((e) => e.type === "host.status" && e.host === "host-2");
      assert.equal(hostStatus?.type === "host.status" && hostStatus.status, "unreachable");
    } finally {
      await fleet.startHost(1);
    }
  });

  test("a wrong host key fails that host with the key's fingerprint", async () => {
    const otherKnown = join(scratch, "known_hosts_wrong");
    const h = fleet.hosts[2]!;
    // host-3's entry names another host's key.
    writeFileSync(otherKnown, `[${h.address}]:${h.port} ${fleet.hosts[0]!.hostKeyPub.split(" ").slice(0, 2).join(" ")}\n`);
    const site = siteOf(fleetInventory(fleet, { "host-3": `known_hosts: ${otherKnown}` }), workflow(`  - {name: one, action: cmd.run, params: {cmd: "true"}}`));
    const { rec } = await runSite(site);
    const e = rec.steps("host-3", "one").at(-1)!;
    assert.equal(e.status, "failed");
    assert.match(e.message ?? "", /host key/i);
    assert.match(e.message ?? "", /SHA256:[A-Za-z0-9+/]{43}/);
    assert.equal(rec.final("host-1").one, "changed");
  });

  test("a failing command stops that host's later steps (skipped); exit code and stderr are recorded", async () => {
    const site = siteOf(
      fleetInventory(fleet),
      workflow(`  - {name: first, action: cmd.run, params: {cmd: "true"}}
  - {name: breaks, action: cmd.run, params: {cmd: "if [ {{ host.name }} = host-4 ]; then echo boom >&2; exit 3; fi"}}
  - {name: third, action: cmd.run, params: {cmd: "true"}}`),
    );
    const { status, rec } = await runSite(site);
    assert.equal(status, "failed");
    assert.deepEqual(rec.final("host-4"), { first: "changed", breaks: "failed", third: "skipped" });
    const failed = rec.steps("host-4", "breaks").at(-1)!;
    assert.equal(failed.exitCode, 3);
    assert.equal(rec.output_of("host-4", "breaks"), "boom\n");
    assert.deepEqual(rec.final("host-5"), { first: "changed", breaks: "changed", third: "changed" });
  });

  test("a step timeout fails the step and ends the remote command", async () => {
    const marker = `fd-timeout-${process.pid}`;
    const site = siteOf(fleetInventory(fleet), workflow(`  - {name: slow, action: cmd.run, timeout: 700ms, params: {cmd: "sh -c 'sleep 30; echo ${marker}'"}}`, "", "[host-1]"));
    const started = Date.now();
    const { status, rec } = await runSite(site);
    assert.equal(status, "failed");
    const e = rec.steps("host-1", "slow").at(-1)!;
    assert.equal(e.status, "failed");
    assert.match(e.message ?? "", /timed out after 700 ms/);
    assert.ok(Date.now() - started < 10_000, "the run did not wait for the command");
    assert.equal(pgrep(`sleep 30; echo ${marker}`), "", "the remote command is gone");
  });

  test("retry: a step that fails twice then succeeds is retried and ends ok", async () => {
    const counter = join(scratch, "attempts");
    const site = siteOf(
      fleetInventory(fleet),
      workflow(`  - name: flaky
    action: cmd.run
    retry: {interval: 100ms, limit: 3}
    params: {cmd: "n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ge 3 ]"}`, "", "[host-1]"),
    );
    const { status, rec } = await runSite(site);
    assert.equal(status, "succeeded");
    const attempts = rec.steps("host-1", "flaky").filter((e) => e.status === "running").map((e) => e.attempt);
    assert.deepEqual([...new Set(attempts)], [1, 2, 3]);
  });

  test("serial batches: sizes as asked, and a batch starts only when the one before finished", async () => {
    const site = siteOf(fleetInventory(fleet), workflow(`  - {name: work, action: cmd.run, params: {cmd: "sleep 0.2"}}`, "{serial: 2}"));
    const { rec } = await runSite(site);
    const batches = rec.events.filter((e) => e.type === "batch.started");
    assert.deepEqual(batches.map((b) => b.type === "batch.started" && b.hosts), [["host-1", "host-2"], ["host-3", "host-4"], ["host-5"]]);
    for (let i = 1; i < batches.length; i++) {
      const prevHosts = batches[i - 1]!.type === "batch.started" ? (batches[i - 1] as { hosts: string[] }).hosts : [];
      const lastDone = Math.max(...prevHosts.map((h) => rec.steps(h, "work").at(-1)!.seq));
      assert.ok(lastDone < batches[i]!.seq, `batch ${i + 1} started after batch ${i} finished`);
    }
  });

  test("serial as a percentage", async () => {
    const site = siteOf(fleetInventory(fleet), workflow(`  - {name: work, action: cmd.run, params: {cmd: "true"}}`, '{serial: "40%"}'));
    const { rec } = await runSite(site);
    assert.deepEqual(rec.events.filter((e) => e.type === "batch.started").map((b) => b.type === "batch.started" && b.hosts.length), [2, 2, 1]);
  });

  test("max_fail_percentage: once too many hosts failed, no new batch starts", async () => {
    const site = siteOf(
      fleetInventory(fleet),
      workflow(`  - {name: work, action: cmd.run, params: {cmd: "[ {{ host.name }} != host-1 ]"}}`, "{serial: 1, max_fail_percentage: 10}"),
    );
    const { status, rec } = await runSite(site);
    assert.equal(status, "failed");
    assert.equal(rec.events.filter((e) => e.type === "batch.started").length, 1);
    assert.equal(rec.final("host-1").work, "failed");
    for (const h of ["host-2", "host-3", "host-4", "host-5"]) {
      assert.equal(rec.steps(h).some((e) => e.status === "running"), false, `${h} never ran`);
      assert.equal(rec.final(h).work, "skipped");
    }
    const notice = rec.events.find((e) => e.type === "notice");
    assert.match(notice?.type === "notice" ? notice.message : "", /1 of 5 hosts failed .* more than max_fail_percentage 10%/);
  });

  test("sync: no host starts the barrier step before every host reached it", async () => {
    const site = siteOf(
      fleetInventory(fleet),
      workflow(`  - {name: arrive, action: cmd.run, params: {cmd: "sleep 0.{{ host.labels.n }}"}}
  - {name: barrier, action: cmd.run, sync: true, params: {cmd: "true"}}`),
    );
    const { rec } = await runSite(site);
    const arrived = Math.max(...fleet.hosts.map((h) => rec.steps(h.name, "arrive").at(-1)!.seq));
    const firstBarrier = Math.min(...fleet.hosts.map((h) => rec.steps(h.name, "barrier").find((e) => e.status === "running")!.seq));
    assert.ok(arrived < firstBarrier, `every 'arrive' finished (seq ${arrived}) before any 'barrier' started (seq ${firstBarrier})`);
  });

  test("sync does not wait for a host that failed before the barrier", async () => {
    const site = siteOf(
      fleetInventory(fleet),
      workflow(`  - {name: arrive, action: cmd.run, params: {cmd: "[ {{ host.name }} != host-2 ]"}}
  - {name: barrier, action: cmd.run, sync: true, params: {cmd: "true"}}`, "{max_fail_percentage: 100}"),
    );
    const { rec } = await runSite(site);
    assert.equal(rec.final("host-2").barrier, "skipped");
    assert.equal(rec.final("host-1").barrier, "changed");
  });

  test("when and run_once", async () => {
    const site = siteOf(
      fleetInventory(fleet),
      workflow(`  - {name: only odd, action: cmd.run, when: "host.labels.n | int is odd", params: {cmd: "true"}}
  - {name: once, action: cmd.run, run_once: true, params: {cmd: "true"}}`),
    );
    const { rec } = await runSite(site);
    assert.deepEqual(fleet.hosts.map((h) => rec.final(h.name)["only odd"]), ["changed", "skipped", "changed", "skipped", "changed"]);
    assert.deepEqual(fleet.hosts.map((h) => rec.final(h.name).once), ["changed", "skipped", "skipped", "skipped", "skipped"]);
  });

  test("cancel in the middle: no new step starts and running remote commands end", async () => {
    const marker = `fd-cancel-${process.pid}`;
    const site = siteOf(
      fleetInventory(fleet),
      workflow(`  - {name: long, action: cmd.run, params: {cmd: "sh -c 'sleep 40; echo ${marker}'"}}
  - {name: never, action: cmd.run, params: {cmd: "true"}}`),
    );
    const cancel = new AbortController();
    const rec = new Recorder();
    const running = runSite(site, { signal: cancel.signal, rec });
    await rec.until(() => fleet.hosts.every((h) => rec.steps(h.name, "long").some((e) => e.status === "running")));
    await eventually(() => pgrep(`sleep 40; echo ${marker}`).split("\n").filter(Boolean).length >= 5, "5 remote commands running");
    cancel.abort();
    const { status } = await running;
    assert.equal(status, "cancelled");
    for (const h of fleet.hosts) assert.deepEqual(rec.final(h.name), { long: "cancelled", never: "cancelled" });
    assert.equal(pgrep(`sleep 40; echo ${marker}`), "", "every remote command ended");
  });

  test("forks bounds how many steps run at once", async () => {
    const site = siteOf(fleetInventory(fleet), workflow(`  - {name: work, action: cmd.run, params: {cmd: "sleep 0.2"}}`));
    const { rec } = await runSite(site, { forks: 2 });
    let running = 0;
    let peak = 0;
    for (const e of rec.steps()) {
      if (e.status === "running") running++;
      else running--;
      peak = Math.max(peak, running);
    }
    assert.equal(peak, 2);
  });

  test("re-running only the failed hosts", async () => {
    const flag = join(scratch, "fixed");
    const steps = `  - {name: check, action: cmd.run, params: {cmd: "[ {{ host.name }} != host-3 ] || [ -e ${flag} ]"}}`;
    const site = siteOf(fleetInventory(fleet), workflow(steps, "{max_fail_percentage: 100}"));
    const first = await runSite(site);
    assert.equal(first.status, "failed");
    const failed = fleet.hosts.map((h) => h.name).filter((h) => first.rec.final(h).check === "failed");
    assert.deepEqual(failed, ["host-3"]);
    writeFileSync(flag, "");
    const again = await runSite(site, { limit: failed });
    assert.equal(again.status, "succeeded");
    assert.deepEqual(again.plan.hosts, ["host-3"]);
    assert.equal(again.rec.final("host-3").check, "changed");
  });

  test("file.managed changes a file only when its content differs", async () => {
    const path = join(scratch, "managed.conf");
    const site = siteOf(
      fleetInventory(fleet),
      workflow(`  - {name: conf, action: file.managed, params: {path: "${path}", template: "port={{ host.labels.n }}\\n", mode: "0640"}}`, "", "[host-1]"),
    );
    assert.equal((await runSite(site)).rec.final("host-1").conf, "changed");
    assert.equal((await runSite(site)).rec.final("host-1").conf, "ok");
    assert.equal(execFileSync("stat", ["-c", "%a", path], { encoding: "utf8" }).trim(), "640");
  });
});
