/**
 * The ansible.playbook step with the real ansible-playbook on the sshd test fleet, through the real
 * `flightdeck exec --json`: each task is a step STEP/TASK on each host, live (a task's result is out before the
 * playbook goes on), a failing task fails its host, an unreachable host is unreachable (never failed), serial
 * batches call Ansible once per batch with that batch's hosts, and cancel leaves no process behind.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { findAnsiblePlaybook } from "../../server/ansible/syntax-check";
import { encodedForms, MASK } from "../../server/engine/masking";
import { newIdentityFile, writeSecretsFile } from "../../server/secrets";
import { startFleet, type Fleet } from "../fleet/fleet";
import { eventually } from "../transports/helpers";
import { Exec, processesWith, writePlaybookSite, type JsonEvent } from "./playbook-site";

const skip = findAnsiblePlaybook(process.env.PATH ?? "") ? false : "ansible-playbook is not installed (apt-get install ansible-core)";
let fleet: Fleet;
const temp = mkdtempSync(join(tmpdir(), "fd-pb-"));

before(async () => {
  if (!skip) fleet = await startFleet({ hosts: 3, logLevel: "ERROR" });
});
after(async () => {
  await fleet?.stop();
  rmSync(temp, { recursive: true, force: true });
});

/** Every step that ended on a host had started there before (by sequence number). */
function startedBeforeEnded(events: JsonEvent[]) {
  for (const e of events) {
    if (e.type !== "step.status" || e.status === "running" || e.status === "pending" || !e.parent) continue;
    if ((typeof e.message === "string" && e.message.startsWith("not run")) || e.status === "unreachable") continue;
    const start = events.find((x) => x.type === "step.status" && x.host === e.host && x.step === e.step && x.status === "running");
    assert.ok(start && start.seq < e.seq, `${e.host} ${e.step}: ${e.status} at ${e.seq} after its start (${start?.seq})`);
  }
}

test("tasks are steps of their own, live; a failing task fails its host, an unreachable host is unreachable", { skip, timeout: 180_000 }, async () => {
  const gate = join(temp, "gate");
  const site = writePlaybookSite(join(temp, "live"), fleet, {
    data: "{greeting: hi, gate: " + gate + "}",
    // host-3's sshd is stopped below: connection refused.
    playbook: `- hosts: all
  gather_facts: false
  tasks:
  - name: hello
    command: echo hello {{ inventory_hostname }} {{ greeting }}
  - name: wait for the test
    wait_for: {path: "{{ gate }}", timeout: 120}
  - name: fail on host-2
    command: sh -c 'echo broken >&2; exit 3'
    when: inventory_hostname == 'host-2'
  - name: after
    debug: {msg: "after {{ inventory_hostname }}"}
`,
    runOptions: "{max_fail_percentage: 100}",
  });
  await fleet.stopHost(2);
  try {
    const run = new Exec(site);
    // The first task's results and the second task's start are out while the playbook waits for the gate.
    await run.until(() => run.status("host-1", "configure/wait for the test") === "running" && run.status("host-2", "configure/wait for the test") === "running");
    assert.equal(run.status("host-1", "configure/hello"), "changed");
    assert.equal(run.status("host-3", "configure/hello"), "unreachable");
    assert.equal(run.status("host-1", "configure"), "running", "the playbook is still running");
    writeFileSync(gate, "");
    assert.equal(await run.exited, 1, run.stderr);

    const first = run.events[0]!;
    assert.equal(first.type, "run.started");
    assert.equal(first.steps, 5, "the plan lists the playbook's 4 tasks (ansible-playbook --list-tasks)");
    assert.deepEqual(run.summary.type, "run.finished");
    assert.equal(run.summary.status, "failed");
    assert.deepEqual(run.summary.hosts, {
      "host-1": { status: "changed", steps: { configure: "changed", "configure/hello": "changed", "configure/wait for the test": "ok", "configure/fail on host-2": "skipped", "configure/after": "ok" } },
      "host-2": { status: "failed", steps: { configure: "failed", "configure/hello": "changed", "configure/wait for the test": "ok", "configure/fail on host-2": "failed", "configure/after": "skipped" } },
      "host-3": { status: "unreachable", steps: { configure: "unreachable", "configure/hello": "unreachable", "configure/wait for the test": "skipped", "configure/fail on host-2": "skipped", "configure/after": "skipped" } },
    });
    assert.equal(run.output("host-1", "configure/hello"), "hello host-1 hi\n", "Flightdeck's variables reach the playbook");
    assert.match(run.output("host-2", "configure/fail on host-2"), /broken/);
    assert.equal(run.steps("host-2", "configure/fail on host-2").at(-1)!.exitCode, 3);
    assert.match(String(run.steps("host-2", "configure").at(-1)!.message), /^failed at 'fail on host-2'/);
    assert.match(String(run.steps("host-3", "configure").at(-1)!.message), /^unreachable at 'hello': .*(refused|closed)/i);
    assert.equal(run.output("host-1", "configure/after"), "after host-1\n");
    startedBeforeEnded(run.events);
    // Sequence numbers are the order the events came in.
    assert.deepEqual(run.events.map((e) => e.seq), run.events.map((_, i) => i + 1));
  } finally {
    await fleet.startHost(2);
  }
});

test("serial batches: one ansible-playbook per batch, limited to its hosts; max_fail_percentage stops the next batches", { skip, timeout: 180_000 }, async () => {
  const site = writePlaybookSite(join(temp, "serial"), fleet, {
    playbook: `- hosts: all
  gather_facts: false
  tasks:
  - name: who
    debug: {msg: "{{ ansible_play_hosts_all | join(',') }}"}
  - name: fail on host-2
    command: /bin/false
    when: inventory_hostname == 'host-2'
`,
    runOptions: "{serial: 1, max_fail_percentage: 0}",
  });
  const run = new Exec(site);
  assert.equal(await run.exited, 1, run.stderr);
  const batches = run.events.filter((e) => e.type === "batch.started");
  assert.deepEqual(batches.map((b) => b.hosts), [["host-1"], ["host-2"]], "the third batch never starts");
  assert.equal(run.output("host-1", "configure/who"), "host-1\n", "the first run of Ansible saw only host-1");
  assert.equal(run.output("host-2", "configure/who"), "host-2\n", "the second only host-2");
  const end1 = run.steps("host-1", "configure").at(-1)!;
  const start2 = run.steps("host-2", "configure/who")[0]!;
  assert.ok(end1.seq < start2.seq, "the second batch starts after the first has ended");
  assert.deepEqual(run.summary.hosts["host-3"], { status: "skipped", steps: { configure: "skipped", "configure/who": "skipped", "configure/fail on host-2": "skipped" } });
  assert.match(String(run.summary.message), /max_fail_percentage 0%/);
});

test("a playbook Ansible cannot load fails every host with Ansible's own error", { skip, timeout: 120_000 }, async () => {
  const site = writePlaybookSite(join(temp, "broken"), fleet, {
    playbook: `- hosts: all
  roles: [no-such-role]
`,
  });
  const run = new Exec(site);
  assert.equal(await run.exited, 1, run.stderr);
  for (const h of ["host-1", "host-2", "host-3"]) {
    assert.equal(run.summary.hosts[h]!.status, "failed");
    assert.match(String(run.steps(h, "configure").at(-1)!.message), /ERROR! the role 'no-such-role' was not found/);
  }
});

test("cancel mid-playbook ends ansible-playbook and every ssh process it started", { skip, timeout: 180_000 }, async () => {
  // The run's private directory is made in this test's own TMPDIR, so its processes can be told apart by it.
  const own = mkdtempSync(join(temp, "cancel-"));
  const site = writePlaybookSite(join(temp, "cancel"), fleet, {
    playbook: `- hosts: all
  gather_facts: false
  tasks:
  - name: long
    command: sleep 300
`,
  });
  const run = new Exec(site, { TMPDIR: own });
  await run.until(() => ["host-1", "host-2", "host-3"].every((h) => run.status(h, "configure/long") === "running"));
  // A task is reported running when Ansible starts it, a moment before its forks have spawned ssh (longer under load).
  const both = (ps: string[]) => (ps.some((l) => l.includes("ansible-playbook")) && ps.some((l) => /\bssh\b/.test(l)) ? ps : undefined);
  const during = await eventually(() => Promise.resolve(both(processesWith(own))), "ansible-playbook and its ssh processes", 200);
  assert.ok(during.length > 0);
  run.child.kill("SIGINT");
  assert.equal(await run.exited, 1, run.stderr);
  assert.equal(run.summary.status, "cancelled");
  for (const h of ["host-1", "host-2", "host-3"]) assert.deepEqual(run.summary.hosts[h], { status: "cancelled", steps: { configure: "cancelled", "configure/long": "cancelled" } });
  assert.deepEqual(processesWith(own), [], "nothing of the run is left");
  assert.deepEqual(readdirSync(own).filter((f) => f.startsWith("flightdeck-ansible-")), [], "the private directory is gone");
});

test("secrets reach the playbook as inventory variables and extra_vars, and are masked in everything it says", { skip, timeout: 120_000 }, async () => {
  const PASSWORD = "pb-s3cr3t-Value-42";
  const key = await newIdentityFile();
  const secrets = await writeSecretsFile(null, { db: { password: PASSWORD }, ssh: { key: readFileSync(fleet.clientKeyPath, "utf8") } }, [key.recipient]);
  const own = mkdtempSync(join(temp, "secrets-"));
  const site = writePlaybookSite(join(temp, "secrets"), fleet, {
    data: "{password: secret:db.password}",
    // The login key is a secret too: written 0600 in the run's private directory only.
    inventory: (text) => text.replace(`key_file: ${fleet.clientKeyPath}`, "key_file: secret:ssh.key"),
    params: `extra_vars: {from_params: "{{ vars.password }}"}`,
    playbook: `- hosts: all
  gather_facts: false
  tasks:
  - name: show
    debug: {msg: "inventory {{ password }}"}
  - name: echo
    command: echo params {{ from_params }} {{ password | b64encode }}
`,
    files: { "secrets.yml": secrets },
  });
  const run = new Exec(site, { SOPS_AGE_KEY: key.identity, SOPS_AGE_KEY_FILE: "", TMPDIR: own });
  assert.equal(await run.exited, 0, run.stderr);
  assert.equal(run.output("host-1", "configure/show"), `inventory ${MASK}\n`);
  assert.equal(run.output("host-2", "configure/echo"), `params ${MASK} ${MASK}\n`);
  const everything = JSON.stringify(run.events) + run.stderr;
  for (const form of [PASSWORD, ...encodedForms(PASSWORD)]) assert.ok(!everything.includes(form), `the output holds the password (${form})`);
  assert.deepEqual(readdirSync(own).filter((f) => f.startsWith("flightdeck-ansible-")), [], "the private directory with the decrypted values is gone");
});
