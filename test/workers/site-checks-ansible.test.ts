/**
 * The dashboard's site checks (lint while typing, saves, imports) include Ansible's syntax check of the site's
 * playbooks: after the checking thread, sandboxed, once per content (live lint of an inventory edit runs no
 * Ansible), counted in what a revision stores, and only for sites whose local steps may run (it runs the
 * site's code on the server).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { readEnv } from "../../server/env";
import { formatDiagnostic, readSiteDir } from "../../server/inventory";
import { lintCounts, lintSite, playbookChecker } from "../../server/site-checks";
import { findSandbox } from "../../server/transports/sandbox";
import { closeCheckPool } from "../../server/workers/check-pool";

const ansible = spawnSync("ansible-playbook", ["--version"]).status === 0;
const sandbox = findSandbox({ hide: [], runUser: "nobody" });
const skip = !ansible ? "ansible-playbook is not installed (apt-get install ansible-core)" : sandbox.ok ? undefined : sandbox.message;

const data = mkdtempSync(join(tmpdir(), "fd-checks-ansible-"));
after(async () => {
  await closeCheckPool();
  rmSync(data, { recursive: true, force: true });
});
const env = readEnv({ FLIGHTDECK_DATA: data });
const EXAMPLE = readSiteDir("examples/ansible-web");
/** A site whose local steps may run (a server admin turned on local execution and the sandbox works). */
const ALLOWED = { envAllow: [] };

describe("site checks with playbooks", { skip }, () => {
  test("a broken role is an error in the live lint and in a revision's counts; unchanged content runs Ansible once", async () => {
    const checker = playbookChecker(env);
    const before = checker.started;
    assert.deepEqual(await lintSite(env, EXAMPLE, "ann", ALLOWED), []);
    const broken = EXAMPLE.map((f) => (f.path === "roles/web/tasks/main.yml" ? { ...f, content: "- name: Web root\n  ansible.builtin.file: {path: /srv, state: directory\n" } : f));
    const got = (await lintSite(env, broken, "ann", ALLOWED)).map(formatDiagnostic);
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(got[0]!, /^roles\/web\/tasks\/main\.yml:\d+:\d+: error: ansible-playbook --syntax-check: YAML syntax: .* \(syntax check of playbooks\/site\.yml\)$/);
    assert.equal(checker.started - before, 2);

    // Edits of documents only (as while typing in the inventory) and the save that follows: from the cache.
    const edited = broken.map((f) => (f.path === "inventory.yml" ? { ...f, content: `${f.content}# edited\n` } : f));
    assert.deepEqual((await lintSite(env, edited, "bob", ALLOWED)).map(formatDiagnostic), got);
    assert.deepEqual(await lintCounts(env, edited, "bob", ALLOWED), { errors: 1, warnings: 0, hosts: 2 });
    assert.equal(checker.started - before, 2);
  });

  test("a site that may not run local steps: its playbooks are not run through Ansible", async () => {
    const checker = playbookChecker(env);
    const before = checker.started;
    const broken = EXAMPLE.map((f) => (f.path === "playbooks/site.yml" ? { ...f, content: "- hosts: all\n  tasks: [\n" } : f));
    const refused = { localRefused: "this site may not run local steps" };
    const got = (await lintSite(env, broken, "ann", refused)).map(formatDiagnostic);
    assert.ok(got.every((line) => !line.includes("--syntax-check")), got.join("\n"));
    assert.equal((await lintCounts(env, broken, "ann")).errors, 0);
    assert.equal(checker.started, before);
  });
});
