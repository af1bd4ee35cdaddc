/**
 * Data shared between hosts, step conditions and macros on a fleet of real sshd processes: a token made once on one
 * host used by the others, a directory fetched from one host placed on two others, a `continue` condition holding a
 * batch until a file appears on a host, a `success` condition failing a step that exited 0, macros in a condition
 * and in params. The hosts share this machine's disk, so each host works under its own directory.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fleetInventory, Recorder, runSite, siteOf, workflow } from "../engine/fleet-site";
import { startFleet, type Fleet } from "./fleet";

let fleet: Fleet;
let dir: string;

before(async () => {
  fleet = await startFleet({ hosts: 3, namePrefix: "node-" });
  dir = mkdtempSync(join(tmpdir(), "fd-shared-"));
  for (const h of fleet.hosts) mkdirSync(join(dir, h.name));
});
after(async () => {
  await fleet.stop();
  rmSync(dir, { recursive: true, force: true });
});

const macro = (spec: string) => `kind: macro\napi_version: v1beta1\nspec: ${spec}\n`;

describe("data shared between hosts on a real sshd fleet", () => {
  test("a token made once on one host is used by the two others (steps[...] and hosts[...].steps[...])", async () => {
    const site = siteOf(
      fleetInventory(fleet),
      workflow(`  - {name: generate token, action: cmd.run, run_once: true, params: {cmd: "head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \\\\n'"}}
  - {name: join, action: cmd.run, params: {cmd: "echo {{ steps['generate token'].stdout }} > ${dir}/{{ host.name }}/token"}}
  - {name: check, action: cmd.run, params: {cmd: "echo {{ hosts['node-1'].steps['generate token'].stdout }}"}}`),
    );
    const { status, rec } = await runSite(site);
    assert.equal(status, "succeeded");
    const token = rec.output_of("node-1", "generate token");
    assert.match(token, /^[0-9a-f]{24}$/);
    assert.deepEqual(
      fleet.hosts.map((h) => rec.final(h.name)["generate token"]),
      ["changed", "skipped", "skipped"],
    );
    assert.equal(rec.steps("node-2", "generate token").at(-1)!.message, "run_once: runs on node-1 only; its result is this host's too");
    for (const h of fleet.hosts) {
      assert.equal(readFileSync(join(dir, h.name, "token"), "utf8"), `${token}\n`, `${h.name} joined with node-1's token`);
      assert.equal(rec.output_of(h.name, "check"), `${token}\n`);
    }
  });

  test("a directory fetched from one host is placed on two others; a file fetched once is placed by every host", async () => {
    const src = join(dir, "node-1", "pki");
    mkdirSync(join(src, "etcd"), { recursive: true });
    writeFileSync(join(src, "ca.crt"), "-----BEGIN CERTIFICATE-----\nca\n");
    writeFileSync(join(src, "etcd", "peer.key"), Buffer.from([0, 1, 2, 255, 254, 10]));
    const site = siteOf(
      fleetInventory(fleet),
      `kind: blueprint
api_version: v1beta1
spec:
  name: master
  steps:
  - {name: get certs, action: file.fetch, params: {path: ${src}, max_size: 1MiB}}
---
kind: blueprint
api_version: v1beta1
spec:
  name: workers
  steps:
  - {name: place certs, action: file.managed, params: {path: "${dir}/{{ host.name }}/pki", from: {step: get certs, host: node-1}}}
  - {name: get ca, action: file.fetch, run_once: true, params: {path: "${src}/ca.crt"}}
  - {name: place ca, action: file.managed, params: {path: "${dir}/{{ host.name }}/ca-copy.crt", from: {step: get ca}, mode: "0600"}}
---
kind: deployment
api_version: v1beta1
spec:
  name: d
  stages:
  - name: s
    operations:
    - {blueprints: [master], targets: [node-1]}
    - {blueprints: [workers], targets: [node-2, node-3]}
`,
    );
    const first = await runSite(site);
    assert.equal(first.status, "succeeded");
    assert.match(first.rec.steps("node-1", "get certs").at(-1)!.message ?? "", new RegExp(`^fetched directory ${src} \\(\\d+ bytes\\)$`));
    for (const h of ["node-2", "node-3"]) {
      assert.deepEqual(first.rec.final(h), { "place certs": "changed", "get ca": h === "node-2" ? "ok" : "skipped", "place ca": "changed" });
      assert.equal(readFileSync(join(dir, h, "pki", "ca.crt"), "utf8"), "-----BEGIN CERTIFICATE-----\nca\n");
      assert.deepEqual(readFileSync(join(dir, h, "pki", "etcd", "peer.key")), Buffer.from([0, 1, 2, 255, 254, 10]));
      assert.equal(readFileSync(join(dir, h, "ca-copy.crt"), "utf8"), "-----BEGIN CERTIFICATE-----\nca\n");
    }
    // Placed again, nothing differs.
    const second = await runSite(site);
    assert.equal(second.status, "succeeded");
    for (const h of ["node-2", "node-3"]) assert.deepEqual(second.rec.final(h), { "place certs": "ok", "get ca": h === "node-2" ? "ok" : "skipped", "place ca": "ok" });
  });

  test("file.fetch refuses what is over max_size, and file.managed says what it could not place", async () => {
    writeFileSync(join(dir, "node-1", "big"), "x".repeat(100));
    const site = siteOf(
      fleetInventory(fleet),
      workflow(
        `  - {name: get big, action: file.fetch, when: "host.name == 'node-1'", params: {path: "${dir}/node-1/big", max_size: 64}}
  - {name: place, action: file.managed, sync: true, when: "host.name == 'node-2'", params: {path: "${dir}/node-2/big", from: {step: get big, host: node-1}}}`,
        "",
        "[node-1, node-2]",
      ),
    );
    const { status, rec } = await runSite(site);
    assert.equal(status, "failed");
    assert.equal(rec.steps("node-1", "get big").at(-1)!.message, `${dir}/node-1/big is 100 bytes, over max_size (64 bytes)`);
    assert.equal(rec.steps("node-2", "place").at(-1)!.message, "from: step 'get big' fetched nothing for node-1 (it ended failed there)");
    assert.equal(existsSync(join(dir, "node-2", "big")), false);
  });

  test("continue holds the batch until a file appears on a fleet host, made there by a parallel step", async () => {
    const checked = join(dir, "checked");
    const site = siteOf(
      fleetInventory(fleet),
      workflow(
        `  - name: wait for flag
    action: cmd.run
    when: "host.name == 'node-1'"
    params: {cmd: "true"}
    continue: {condition: "macros.flag_on('node-2')", retry: {interval: 50ms, limit: 400}}
  - name: make flag
    action: cmd.run
    when: "host.name == 'node-2'"
    params: {cmd: "while [ ! -e ${checked} ]; do sleep 0.05; done; touch ${dir}/node-2/flag"}`,
        "{serial: 2}",
      ),
      // Runs on node-2 over its own connection; each check leaves a mark, so the flag is made after one was false.
      macro(`{name: flag_on, params: [h], command: "touch ${checked}; test -e ${dir}/{{ h }}/flag && echo true || echo false", on: {host: node-2}}`),
    );
    const rec = new Recorder();
    const { status } = await runSite(site, { rec });
    assert.equal(status, "succeeded");
    const held = rec.steps("node-1", "wait for flag").filter((e) => e.message?.startsWith("continue: macros.flag_on('node-2') is false"));
    assert.ok(held.length >= 1, "node-1 was held at least once");
    const done = rec.steps("node-1", "wait for flag").at(-1)!;
    assert.equal(done.status, "changed");
    const flagMade = rec.steps("node-2", "make flag").at(-1)!;
    assert.equal(flagMade.status, "changed");
    assert.ok(flagMade.seq < done.seq, "the condition held once node-2 made the flag");
    const batch2 = rec.events.find((e) => e.type === "batch.started" && e.batch === 1)!;
    assert.ok(batch2.type === "batch.started" && batch2.hosts.join() === "node-3" && batch2.seq > done.seq, "node-3's batch started after node-1 was released");
  });

  test("success fails a step that exited 0; a macro on another host gives params their value", async () => {
    const site = siteOf(
      fleetInventory(fleet),
      workflow(`  - {name: status, action: cmd.run, params: {cmd: "echo {{ macros.state_of(host.name) }}"}, success: {condition: "result.stdout | trim == 'healthy'"}}`, "", "[node-1, node-2]"),
      macro(`{name: state_of, params: [h], command: "if [ {{ h | quote }} = node-1 ]; then echo healthy; else echo degraded; fi", on: {host: node-3}}`),
    );
    const { status, rec } = await runSite(site);
    assert.equal(status, "failed");
    assert.equal(rec.output_of("node-1", "status"), "healthy\n");
    assert.equal(rec.final("node-1").status, "changed");
    assert.equal(rec.output_of("node-2", "status"), "degraded\n");
    const failed = rec.steps("node-2", "status").at(-1)!;
    assert.deepEqual([failed.status, failed.exitCode, failed.message], ["failed", 0, "success condition false: result.stdout | trim == 'healthy'"]);
  });
});
