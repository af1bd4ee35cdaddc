/** Which files a site holds (documents, Ansible content, neither), and how the site model treats each. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { formatDiagnostic, loadSite, playbookRefs, readSiteDir, readSiteDirectory, siteFileKind, siteText } from "../../server/inventory";
import { yml } from "./helpers";

const INVENTORY = yml`
  kind: inventory
  api_version: v1beta1
  spec:
    hosts:
    - name: web-1
    groups:
    - name: web
      members: [web-1]
`;

/** A blueprint whose one step runs `playbook`, and a deployment of it on `web`. */
function deployment(playbook: string): string {
  return yml`
    kind: blueprint
    api_version: v1beta1
    spec:
      name: web.configure
      steps:
      - name: site
        action: ansible.playbook
        params: {playbook: ${playbook}}
    ---
    kind: deployment
    api_version: v1beta1
    spec:
      stages:
      - name: configure
        operations: [{blueprints: [web.configure], targets: [web]}]
  `;
}

const PLAYBOOK = "- name: Web\n  hosts: all\n  roles: [web]\n";
const ROLE_TASKS = "- name: Page\n  ansible.builtin.template: {src: index.html.j2, dest: /tmp/index.html}\n";

describe("siteFileKind: documents, Ansible content, and neither", () => {
  const cases: [string, ReturnType<typeof siteFileKind>][] = [
    ["inventory.yml", "document"],
    ["profiles/base.yaml", "document"],
    ["secrets.yml", "document"],
    ["deploy/playbooks/site.yml", "document"], // only top-level folders are Ansible's
    ["my-roles/web.yml", "document"],
    ["playbooks/site.yml", "ansible"],
    ["playbooks/group_vars/all.yml", "ansible"],
    ["roles/web/tasks/main.yml", "ansible"],
    ["roles/web/templates/index.html.j2", "ansible"],
    ["roles/web/files/motd", "ansible"],
    ["roles/web/library/probe.py", "ansible"],
    ["collections/ansible_collections/acme/net/galaxy.yml", "ansible"],
    ["ansible/filter_plugins/util.py", "ansible"],
    ["requirements.yml", "ansible"],
    ["requirements.yaml", "ansible"],
    ["playbooks", null], // a folder name alone is no file
    ["README.md", null],
    ["keys/deploy", null],
    ["notes/requirements.txt", null],
    [".sops.yaml", null],
    [".github/workflows/ci.yml", null],
    ["roles/web/.gitkeep", null],
    ["playbooks/../inventory.yml", null],
    ["/inventory.yml", null],
    ["roles//x.yml", null],
  ];
  for (const [path, kind] of cases) {
    test(`${path}: ${kind}`, () => assert.equal(siteFileKind(path), kind));
  }

  test("text is UTF-8 without NUL; anything else is binary", () => {
    assert.equal(siteText(new TextEncoder().encode("port: 80 ✓\n")), "port: 80 ✓\n");
    assert.equal(siteText(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1])), undefined);
    assert.equal(siteText(new Uint8Array([0x61, 0xff, 0x62])), undefined);
  });
});

describe("a site with Ansible content", () => {
  const files = [
    { path: "inventory.yml", content: INVENTORY },
    { path: "deploy.yml", content: deployment("playbooks/site.yml") },
    { path: "playbooks/site.yml", content: PLAYBOOK },
    { path: "roles/web/tasks/main.yml", content: ROLE_TASKS },
    { path: "roles/web/templates/index.html.j2", content: "<h1>{{ inventory_hostname }}</h1>\n" },
    { path: "requirements.yml", content: "collections: []\n" },
  ];

  test("playbooks and roles are not read as documents: the site lints clean", () => {
    const site = loadSite(files);
    assert.deepEqual(site.diagnostics.map(formatDiagnostic), []);
    assert.deepEqual(
      site.docs.map((d) => d.file),
      ["deploy.yml", "deploy.yml", "inventory.yml"],
    );
    // They stay site files all the same.
    assert.equal(site.files.length, files.length);
  });

  test("playbookRefs names each step's playbook and where it is written", () => {
    const refs = playbookRefs(loadSite(files).workflows);
    assert.deepEqual(
      refs.map((r) => ({ playbook: r.playbook, at: `${r.at.file}:${r.at.line}:${r.at.col}`, blueprint: r.blueprint, step: r.step })),
      [{ playbook: "playbooks/site.yml", at: "deploy.yml:8:24", blueprint: "web.configure", step: "site" }],
    );
  });

  test("a missing playbook is an error at the step's playbook:, with a suggestion", () => {
    const site = loadSite([...files.filter((f) => f.path !== "deploy.yml"), { path: "deploy.yml", content: deployment("playbooks/sites.yml") }]);
    assert.deepEqual(site.diagnostics.map(formatDiagnostic), ["deploy.yml:8:24: error: playbook 'playbooks/sites.yml' does not exist in the site (did you mean 'playbooks/site.yml'?)"]);
  });

  test("a playbook outside the Ansible folders is refused: it would be a document", () => {
    const site = loadSite([...files.filter((f) => f.path !== "deploy.yml"), { path: "deploy.yml", content: deployment("site.yml") }]);
    assert.deepEqual(site.diagnostics.map(formatDiagnostic), [
      "deploy.yml:8:24: error: playbook 'site.yml' would be a Flightdeck document, not Ansible content: keep playbooks under playbooks/ (Ansible content is playbooks/, roles/, collections/, ansible/)",
    ]);
  });

  test("a playbook path that leaves the site is refused by the step's schema, at the same place", () => {
    const site = loadSite([...files.filter((f) => f.path !== "deploy.yml"), { path: "deploy.yml", content: deployment("../site.yml") }]);
    const lines = site.diagnostics.map(formatDiagnostic);
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0]!, /^deploy\.yml:8:24: error: .*inside the site/);
  });
});

describe("reading a site directory", () => {
  const root = mkdtempSync(join(tmpdir(), "fd-site-files-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, content: string | Uint8Array) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  write("inventory.yml", INVENTORY);
  write("deploy.yml", deployment("playbooks/site.yml"));
  write("playbooks/site.yml", PLAYBOOK);
  write("roles/web/tasks/main.yml", ROLE_TASKS);
  write("roles/web/templates/index.html.j2", "<h1>{{ inventory_hostname }}</h1>\n");
  write("roles/web/library/probe.py", "#!/usr/bin/python3\nprint('{}')\n");
  write("roles/web/files/logo.png", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
  write("roles/web/files/latin1.txt", new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]));
  write("requirements.yml", "roles: []\n");
  write("README.md", "# not a site file\n");
  write(".github/workflows/ci.yml", "on: push\n");
  write("keys/deploy", "not a key\n");

  test("documents and text Ansible content are read; binary Ansible files are listed, the rest ignored", () => {
    const { files, binary } = readSiteDirectory(root);
    assert.deepEqual(
      files.map((f) => f.path),
      ["deploy.yml", "inventory.yml", "playbooks/site.yml", "requirements.yml", "roles/web/library/probe.py", "roles/web/tasks/main.yml", "roles/web/templates/index.html.j2"],
    );
    assert.deepEqual(binary, ["roles/web/files/latin1.txt", "roles/web/files/logo.png"]);
    assert.equal(files.find((f) => f.path === "roles/web/templates/index.html.j2")!.content, "<h1>{{ inventory_hostname }}</h1>\n");
    assert.deepEqual(readSiteDir(root), files);
    assert.deepEqual(loadSite(files).diagnostics.map(formatDiagnostic), []);
  });
});
