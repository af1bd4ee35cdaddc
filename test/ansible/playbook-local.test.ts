/**
 * What a playbook's tasks become, with the real ansible-playbook on `transport: local` hosts (ansible_connection
 * local, run by `flightdeck exec --json` on this machine): a failure a block rescued and one `ignore_errors`
 * ignored are ok and say so, tasks the plan could not list (fact gathering, included tasks, handlers) appear
 * where they ran, loop items and retries are in the task's output, tags select the tasks.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { findAnsiblePlaybook } from "../../server/ansible/syntax-check";
import { localInventory } from "../engine/fleet-site";
import { Exec } from "./playbook-site";

const skip = findAnsiblePlaybook(process.env.PATH ?? "") ? false : "ansible-playbook is not installed (apt-get install ansible-core)";
const temp = mkdtempSync(join(tmpdir(), "fd-pb-local-"));
after(() => rmSync(temp, { recursive: true, force: true }));

function writeSite(name: string, files: Record<string, string>, params = "", stepOptions = ""): string {
  const dir = join(temp, name);
  const all: Record<string, string> = {
    "inventory.yml": localInventory(["a", "b"], "{greeting: hello}"),
    "deploy.yml": `kind: blueprint
api_version: v1beta1
spec:
  name: web
  steps:
  - {name: pb, action: ansible.playbook, params: {playbook: playbooks/site.yml${params}}${stepOptions}}
  - {name: after, action: cmd.run, params: {cmd: "echo done"}}
---
kind: deployment
api_version: v1beta1
spec: {name: d, stages: [{name: s, operations: [{blueprints: [web], targets: [all], run_options: {max_fail_percentage: 100}}]}]}
`,
    ...files,
  };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

test("rescued and ignored failures are ok and say so; unlisted tasks appear where they ran; items and retries are output", { skip, timeout: 180_000 }, async () => {
  const site = writeSite("kinds", {
    "playbooks/site.yml": `- hosts: all
  gather_facts: true
  gather_subset: [min]
  roles: [greeter]
  tasks:
  - block:
    - name: breaks
      command: sh -c 'echo oops >&2; exit 2'
    rescue:
    - name: mends
      debug: {msg: mended}
  - name: ignored
    command: /bin/false
    ignore_errors: true
  - name: include
    include_tasks: extra.yml
  - name: loop
    command: echo item-{{ item }}
    loop: [1, 2]
    notify: tell
  - name: retry
    command: sh -c 'test -e {{ playbook_dir }}/../never'
    register: r
    until: r.rc == 0
    retries: 1
    delay: 0
    when: inventory_hostname == 'b'
    ignore_errors: true
  handlers:
  - name: tell
    debug: {msg: "handler on {{ inventory_hostname }}"}
`,
    "playbooks/extra.yml": "- name: included\n  debug: {msg: included}\n",
    "roles/greeter/tasks/main.yml": "- name: greet\n  debug: {msg: '{{ greeting }} from the role'}\n- debug: {msg: unnamed}\n",
  });
  const run = new Exec(site);
  assert.equal(await run.exited, 0, run.stderr);
  assert.equal(run.summary.status, "succeeded");
  const a = run.summary.hosts.a!;
  assert.deepEqual(Object.keys(a.steps), [
    "pb",
    "pb/Gathering Facts",
    "pb/greeter : greet",
    "pb/debug",
    "pb/breaks",
    "pb/mends",
    "pb/ignored",
    "pb/include",
    "pb/included",
    "pb/loop",
    "pb/retry",
    "pb/tell",
    "after",
  ]);
  assert.deepEqual(a.steps, {
    pb: "changed",
    "pb/Gathering Facts": "ok",
    "pb/greeter : greet": "ok",
    "pb/debug": "ok",
    "pb/breaks": "ok",
    "pb/mends": "ok",
    "pb/ignored": "ok",
    "pb/include": "ok",
    "pb/included": "ok",
    "pb/loop": "changed",
    "pb/retry": "skipped",
    "pb/tell": "ok",
    after: "changed",
  });
  const final = (host: string, step: string) => run.steps(host, step).at(-1)!;
  assert.match(String(final("a", "pb/breaks").message), /^failed, rescued by its block: /);
  assert.match(run.output("a", "pb/breaks"), /oops/);
  assert.match(String(final("a", "pb/ignored").message), /^failed, ignored \(ignore_errors\)/);
  assert.equal(run.output("a", "pb/greeter : greet"), "hello from the role\n");
  assert.match(run.output("a", "pb/loop"), /item 1: changed\nitem-1\nitem 2: changed\nitem-2\n/);
  assert.equal(run.output("b", "pb/tell"), "handler on b\n");
  assert.equal(run.summary.hosts.b!.steps["pb/retry"], "ok");
  assert.match(run.output("b", "pb/retry"), /failed, retrying \(1 of 2 attempts made\): non-zero return code/);
  assert.match(String(final("a", "pb").message), /^ok=\d+ changed=\d+ skipped=\d+ rescued=1 ignored=1$/);
  // The plan listed what --list-tasks lists: the role's 2 tasks (the unnamed one by its action, as it ran) and
  // the playbook's 5, not facts, rescue sections, included tasks or handlers.
  assert.equal(run.events[0]!.steps, 1 + 7 + 1);
});

test("tags: only the tagged tasks are planned and run", { skip, timeout: 120_000 }, async () => {
  const site = writeSite(
    "tags",
    {
      "playbooks/site.yml": `- hosts: all
  gather_facts: false
  tasks:
  - {name: one, debug: {msg: one}, tags: [first]}
  - {name: two, debug: {msg: two}}
`,
    },
    ", tags: [first]",
  );
  const run = new Exec(site);
  assert.equal(await run.exited, 0, run.stderr);
  assert.deepEqual(run.summary.hosts.a!.steps, { pb: "ok", "pb/one": "ok", after: "changed" });
});

test("the step's when, timeout and params: per host, for the whole batch, the same for every host", { skip, timeout: 180_000 }, async () => {
  const playbook = { "playbooks/site.yml": "- hosts: all\n  gather_facts: false\n  tasks:\n  - {name: nap, command: sleep 30}\n" };
  // when: b never reaches the playbook; the timeout ends it on a, and the task that ran fails with it.
  const timed = new Exec(writeSite("when", playbook, "", `, when: "host.name == 'a'", timeout: 3s`));
  assert.equal(await timed.exited, 1, timed.stderr);
  assert.deepEqual(timed.summary.hosts.b, { status: "changed", steps: { pb: "skipped", "pb/nap": "skipped", after: "changed" } });
  assert.equal(timed.steps("b", "pb/nap").at(-1)!.message, "pb did not run on this host");
  assert.deepEqual(timed.summary.hosts.a!.steps, { pb: "failed", "pb/nap": "failed", after: "skipped" });
  assert.equal(timed.steps("a", "pb").at(-1)!.message, "timed out after 3000 ms");
  assert.equal(timed.steps("a", "pb/nap").at(-1)!.message, "pb ended while this ran");

  // One ansible-playbook for the batch: params that render differently per host are refused, saying why.
  const differing = new Exec(writeSite("differing", playbook, `, extra_vars: {who: "{{ host.name }}"}`));
  assert.equal(await differing.exited, 1, differing.stderr);
  for (const h of ["a", "b"]) {
    assert.equal(differing.summary.hosts[h]!.steps.pb, "failed");
    assert.match(String(differing.steps(h, "pb").at(-1)!.message), /^params render differently on a and b, and ansible\.playbook runs once for its whole batch/);
  }
});
