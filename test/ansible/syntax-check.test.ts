/**
 * Lint of `ansible.playbook` steps against the real ansible-playbook (Debian's ansible-core) in the real
 * bubblewrap sandbox: a good playbook is clean, Ansible's errors are located where Ansible says (file, line,
 * column), a missing playbook is an error at the step, and a missing Ansible or sandbox is a warning. The
 * check runs user code (a lookup in import_playbook runs a command): it must see no network, no server
 * environment and none of the server's files.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ansibleLint, BINARY_LEFT_OUT } from "../../server/ansible/lint";
import { ANSIBLE_MISSING, PlaybookChecker, syntaxDiagnostic } from "../../server/ansible/syntax-check";
import { formatDiagnostic, loadSite, playbookRefs, readSiteDirectory, type SiteFile } from "../../server/inventory";
import { findSandbox } from "../../server/transports/sandbox";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin", "flightdeck.mjs");
const EXAMPLE = join(ROOT, "examples", "ansible-web");

const ansibleMissing = spawnSync("ansible-playbook", ["--version"]).status === 0 ? undefined : "ansible-playbook is not installed (apt-get install ansible-core)";
const sandbox = findSandbox({ hide: [], runUser: "nobody" });
const skip = ansibleMissing ?? (sandbox.ok ? undefined : sandbox.message);

const temp = mkdtempSync(join(tmpdir(), "fd-syntax-check-"));
after(() => rmSync(temp, { recursive: true, force: true }));

const INVENTORY = "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n  groups:\n  - name: web\n    members: [web-1]\n";
/** A blueprint running `playbook` (line 8, the value at column 24) and a deployment of it. */
function deployment(playbook: string): string {
  return (
    "kind: blueprint\napi_version: v1beta1\nspec:\n  name: web.configure\n  steps:\n  - name: site\n    action: ansible.playbook\n" +
    `    params: {playbook: ${playbook}}\n---\nkind: deployment\napi_version: v1beta1\nspec:\n  stages:\n  - name: configure\n    operations: [{blueprints: [web.configure], targets: [web]}]\n`
  );
}
const GOOD = "- name: Web\n  hosts: web\n  gather_facts: false\n  roles: [web]\n";
const ROLE = "- name: Page\n  ansible.builtin.template: {src: index.html.j2, dest: /tmp/index.html}\n";

function files(extra: Record<string, string>, playbook = "playbooks/site.yml"): SiteFile[] {
  const all: Record<string, string> = {
    "inventory.yml": INVENTORY,
    "deploy.yml": deployment(playbook),
    "playbooks/site.yml": GOOD,
    "roles/web/tasks/main.yml": ROLE,
    "roles/web/templates/index.html.j2": "<h1>{{ inventory_hostname }}</h1>\n",
    ...extra,
  };
  return Object.entries(all).map(([path, content]) => ({ path, content }));
}

let dirs = 0;
function siteDir(list: readonly SiteFile[]): string {
  const dir = join(temp, `site-${++dirs}`);
  for (const f of list) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  return dir;
}

/** Lint as the CLI does, minus the process: the site model's diagnostics and Ansible's. */
async function lint(list: readonly SiteFile[], options: { path?: string } = {}): Promise<string[]> {
  const site = loadSite(list);
  return [...site.diagnostics, ...(await ansibleLint(site, [], options))].map(formatDiagnostic);
}

function flightdeck(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: temp, encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  return r;
}

describe("ansible-playbook --syntax-check in lint", { skip }, () => {
  test("a good playbook with a role and a template: no diagnostic", async () => {
    assert.deepEqual(await lint(files({})), []);
    assert.deepEqual(await lint(readSiteDirectory(EXAMPLE).files), []);
  });

  test("a playbook that does not parse: an error at Ansible's file, line and column", async () => {
    const broken = "- name: Web\n  hosts: web\n  tasks:\n  - debug: msg=a\n   - debug: msg=b\n";
    assert.deepEqual(await lint(files({ "playbooks/site.yml": broken })), ["playbooks/site.yml:4:15: error: ansible-playbook --syntax-check: YAML syntax: did not find expected key"]);
  });

  test("errors in a role are located in the role's file, naming the playbook checked", async () => {
    const got = await lint(files({ "roles/web/tasks/main.yml": "- name: Page\n  ansible.builtin.debug:\n    msg: hi\n  no_such_keyword: 1\n" }));
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(got[0]!, /^roles\/web\/tasks\/main\.yml:1:3: error: ansible-playbook --syntax-check: .*no_such_keyword.* \(syntax check of playbooks\/site\.yml\)$/);
  });

  test("a role the site lacks: located at the play, with the site's own paths", async () => {
    const got = await lint(files({ "playbooks/site.yml": "- hosts: web\n  roles:\n  - nosuch\n" }));
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(got[0]!, /^playbooks\/site\.yml:3:5: error: ansible-playbook --syntax-check: the role 'nosuch' was not found in .*roles/);
    assert.doesNotMatch(got[0]!, /\/home\/flightdeck/);
  });

  test("a missing playbook: an error at the step's playbook:, and Ansible is not run for it", async () => {
    const list = files({}, "playbooks/missing.yml");
    assert.deepEqual(await lint(list), ["deploy.yml:8:24: error: playbook 'playbooks/missing.yml' does not exist in the site (did you mean 'playbooks/site.yml'?)"]);
    const checker = new PlaybookChecker({ sandbox: () => sandbox });
    assert.deepEqual(await checker.check(list, playbookRefs(loadSite(list).workflows)), []);
    assert.equal(checker.started, 0);
  });

  test("no ansible-playbook on PATH: a warning at the step, and no error", async () => {
    assert.deepEqual(await lint(files({}), { path: "/nonexistent" }), [`deploy.yml:8:24: warning: ${ANSIBLE_MISSING}`]);
  });

  test("no sandbox: a warning saying why the playbook was not checked", async () => {
    const list = files({});
    const checker = new PlaybookChecker({ sandbox: () => ({ ok: false, message: "this server has none: install bubblewrap (apt-get install bubblewrap)" }) });
    const got = (await checker.check(list, playbookRefs(loadSite(list).workflows))).map(formatDiagnostic);
    assert.deepEqual(got, ["deploy.yml:8:24: warning: playbook not checked: Ansible's syntax check runs in the sandbox of local steps, and this server has none: install bubblewrap (apt-get install bubblewrap)"]);
    assert.equal(checker.started, 0);
  });

  test("results are cached by content: the same content runs Ansible once, a change runs it again", async () => {
    const checker = new PlaybookChecker({ sandbox: () => sandbox });
    const list = files({});
    const refs = playbookRefs(loadSite(list).workflows);
    // Two at once share one run; later ones come from the cache, also when only documents changed.
    await Promise.all([checker.check(list, refs), checker.check(list, refs)]);
    assert.equal(checker.started, 1);
    const edited = list.map((f) => (f.path === "inventory.yml" ? { ...f, content: `${f.content}# edited\n` } : f));
    assert.deepEqual(await checker.check(edited, refs), []);
    assert.equal(checker.started, 1);
    const broken = list.map((f) => (f.path === "roles/web/tasks/main.yml" ? { ...f, content: "- name: x\n  debug: [\n" } : f));
    assert.equal((await checker.check(broken, refs)).length, 1);
    assert.equal(checker.started, 2);
  });

  describe("the check runs user code, sandboxed", () => {
    let server: Server;
    let port: number;
    let connections = 0;
    before(async () => {
      server = createServer((s) => {
        connections++;
        s.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as { port: number }).port;
    });
    after(() => server.close());

    test("a lookup that runs a command sees no network, no server environment and none of the server's files", async () => {
      process.env.FLIGHTDECK_PROBE_SECRET = "must-not-leak";
      try {
        const probe = [
          "import os, socket, sys",
          "try:",
          "    socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=2).close()",
          "    net = 'connected'",
          "except OSError:",
          "    net = 'unreachable'",
          "print('probe env=%s net=%s sees-temp=%s' % ('+'.join(sorted(os.environ)), net, os.path.exists(sys.argv[2])))",
        ].join("\n");
        const playbook = `- import_playbook: "{{ lookup('pipe', 'python3 ' ~ playbook_dir ~ '/probe.py ${port} ${temp}') }}.yml"\n`;
        const got = await lint(files({ "playbooks/site.yml": playbook, "playbooks/probe.py": `${probe}\n` }));
        assert.equal(got.length, 1, got.join("\n"));
        const said = /probe env=(\S+) net=(\S+) sees-temp=(True|False)/.exec(got[0]!);
        assert.ok(said, got[0]);
        const [, env, net, seesTemp] = said;
        assert.equal(net, "unreachable");
        assert.equal(seesTemp, "False");
        assert.doesNotMatch(env!, /FLIGHTDECK|SOPS|NODE/);
        assert.equal(connections, 0);
      } finally {
        delete process.env.FLIGHTDECK_PROBE_SECRET;
      }
    });
  });

  test("a check that takes too long is stopped: a warning, not an error", async () => {
    const list = files({ "playbooks/site.yml": `- import_playbook: "{{ lookup('pipe', 'sleep 30') }}x.yml"\n` });
    const checker = new PlaybookChecker({ sandbox: () => sandbox, timeoutMs: 1500 });
    const started = performance.now();
    const got = (await checker.check(list, playbookRefs(loadSite(list).workflows))).map(formatDiagnostic);
    assert.ok(performance.now() - started < 10_000);
    assert.deepEqual(got, ["deploy.yml:8:24: warning: playbook not checked: ansible-playbook --syntax-check took longer than 2 s and was stopped"]);
  });

  describe("flightdeck lint", () => {
    test("the example site: clean, exit 0", () => {
      const r = flightdeck(["lint", EXAMPLE]);
      assert.equal(r.stdout, "");
      assert.equal(r.status, 0, r.stderr);
    });

    test("a playbook that does not parse: file:line:col: error, exit 1", () => {
      const dir = siteDir(files({ "playbooks/site.yml": "- hosts: web\n  tasks: [\n" }));
      const r = flightdeck(["lint", dir]);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stdout, /^playbooks\/site\.yml:3:1: error: ansible-playbook --syntax-check: YAML syntax: /m);
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at |Traceback/);
    });

    test("a missing playbook: an error at the step, exit 1", () => {
      const dir = siteDir(files({}, "playbooks/nope.yml"));
      const r = flightdeck(["lint", dir]);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout, "deploy.yml:8:24: error: playbook 'playbooks/nope.yml' does not exist in the site (did you mean 'playbooks/site.yml'?)\n");
    });

    test("ansible-playbook not on PATH: a warning, exit 0; a binary role file is said to be left out", () => {
      const dir = siteDir(files({}));
      writeFileSync(join(dir, "roles/web/templates/logo.png"), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]));
      const r = flightdeck(["lint", dir], { PATH: "/nonexistent" });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `deploy.yml:8:24: warning: ${ANSIBLE_MISSING}\nroles/web/templates/logo.png:1:1: warning: ${BINARY_LEFT_OUT}\n`);
    });
  });
});

describe("Ansible's error messages, parsed", () => {
  test("a location outside the site is named in the message, at the playbook", () => {
    const out = "ERROR! couldn't resolve module/action 'x.y.z'\n\nThe error appears to be in '/usr/share/ansible/collections/a.yml': line 3, column 5, but may\nbe elsewhere";
    const d = syntaxDiagnostic(out, "playbooks/site.yml", 4);
    assert.equal(formatDiagnostic(d), "playbooks/site.yml:1:1: error: ansible-playbook --syntax-check: couldn't resolve module/action 'x.y.z' (at /usr/share/ansible/collections/a.yml:3:5)");
  });

  test("no ERROR! line: the exit status and the last line said", () => {
    const d = syntaxDiagnostic("[WARNING]: something\nTraceback-free failure\n", "playbooks/site.yml", 250);
    assert.equal(d.message, "ansible-playbook --syntax-check failed (exit status 250): Traceback-free failure");
  });
});
