/**
 * A site's Ansible content (playbooks, roles with templates, requirements.yml) is kept like any site file: in
 * revisions on a real SQLite file, and through our own archives (export, GNU tar, import) byte for byte.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { zipSync } from "fflate";
import { loadSite, readSiteDirectory, type SiteFile } from "../../server/inventory";
import { readArchive, writeTgz } from "../../server/store/archive";
import { InvalidInputError } from "../../server/store/errors";
import { checkPath } from "../../server/store/sites";
import { openSqliteStore, type SqliteStore } from "../../server/store/sqlite";
import type { SiteStore } from "../../server/store/types";

const FILES: SiteFile[] = [
  { path: "inventory.yml", content: "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n  groups:\n  - name: web\n    members: [web-1]\n" },
  {
    path: "deploy.yml",
    content:
      "kind: blueprint\napi_version: v1beta1\nspec:\n  name: web.configure\n  steps:\n  - name: site\n    action: ansible.playbook\n    params: {playbook: playbooks/site.yml}\n---\n" +
      "kind: deployment\napi_version: v1beta1\nspec:\n  stages:\n  - name: configure\n    operations: [{blueprints: [web.configure], targets: [web]}]\n",
  },
  { path: "playbooks/site.yml", content: "- name: Web\n  hosts: all\n  roles: [web]\n" },
  { path: "roles/web/tasks/main.yml", content: "- name: Page\n  ansible.builtin.template: {src: index.html.j2, dest: /srv/www/index.html}\n" },
  { path: "roles/web/templates/index.html.j2", content: "<h1>{{ site_title }}</h1>\n{% for n in range(3) %}<p>{{ n }} ✓</p>{% endfor %}\n" },
  { path: "roles/web/library/probe.py", content: "#!/usr/bin/python3\nimport json\nprint(json.dumps({'changed': False}))\n" },
  { path: "requirements.yml", content: "collections:\n- name: community.general\n  version: '>=8.0.0'\n" },
].sort((a, b) => (a.path < b.path ? -1 : 1));

const temp = mkdtempSync(join(tmpdir(), "fd-ansible-content-"));
after(() => rmSync(temp, { recursive: true, force: true }));
let dirs = 0;
function siteDir(files: readonly { path: string; content: string | Uint8Array }[]): string {
  const dir = join(temp, `site-${++dirs}`);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  return dir;
}

describe("Ansible content in revisions", () => {
  let opened: SqliteStore;
  let store: SiteStore;
  before(() => {
    opened = openSqliteStore(mkdtempSync(join(temp, "db-")));
    store = opened.sites;
  });
  after(() => opened.close());

  test("a site with playbooks, a role and requirements.yml is stored, edited and read back exactly", async () => {
    const first = await store.create({ slug: "web", name: "Web", files: FILES, author: "ann", message: "import" });
    assert.deepEqual({ errors: first.errors, warnings: first.warnings, hosts: first.hosts }, { errors: 0, warnings: 0, hosts: 1 });
    const template = "<h1>{{ site_title | upper }}</h1>\n";
    const second = await store.save("web", {
      baseRevision: 1,
      changes: [
        { path: "roles/web/templates/index.html.j2", content: template },
        { path: "roles/web/files/motd", content: "Managed by Ansible\n" },
        { path: "roles/web/library/probe.py", content: null },
      ],
      author: "ann",
      message: "template",
    });
    assert.equal(second.number, 2);
    assert.deepEqual((await store.files("web", 1)).files, FILES);
    const now = (await store.files("web", 2)).files;
    assert.deepEqual(
      now.map((f) => f.path),
      ["deploy.yml", "inventory.yml", "playbooks/site.yml", "requirements.yml", "roles/web/files/motd", "roles/web/tasks/main.yml", "roles/web/templates/index.html.j2"],
    );
    assert.equal(now.find((f) => f.path === "roles/web/templates/index.html.j2")!.content, template);
    assert.equal((await store.list()).find((s) => s.slug === "web")!.files, 7);
  });

  test("paths: Ansible content of any extension is accepted; other files are refused, naming the rule", () => {
    for (const p of ["roles/web/templates/nginx.conf.j2", "ansible/filter_plugins/x.py", "collections/ansible_collections/a/b/README.md", "requirements.yml"]) assert.equal(checkPath(p), p);
    for (const p of ["README.md", "notes/todo.txt", ".github/workflows/ci.yml", "roles/web/.gitkeep"]) {
      assert.throws(() => checkPath(p), (e: Error) => e instanceof InvalidInputError && /Ansible content under playbooks\/, roles\/, collections\/, ansible\//.test(e.message), p);
    }
  });
});

describe("Ansible content in archives", () => {
  test("our export, unpacked by GNU tar, reads back as the same site; imported again, the same files", async () => {
    const tgz = writeTgz(FILES, new Date("2026-03-04T05:06:07Z"));
    const out = join(temp, "unpacked");
    mkdirSync(out);
    writeFileSync(join(temp, "web.tgz"), tgz);
    execFileSync("tar", ["-xzf", join(temp, "web.tgz"), "-C", out]);
    for (const f of FILES) assert.equal(readFileSync(join(out, f.path), "utf8"), f.content, f.path);
    assert.deepEqual(readSiteDirectory(out), { files: FILES, binary: [] });
    const back = await readArchive("web.tgz", tgz);
    assert.deepEqual(back, { files: FILES, skipped: [], binary: [] });
  });

  test("binary Ansible files are skipped and listed, even past the size of a site file; the rest imports", async () => {
    const big = new Uint8Array(5 << 20); // all NUL: more than the 4 MiB a site file may be
    big.set([0x7f, 0x45, 0x4c, 0x46]);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]);
    const dir = siteDir([...FILES, { path: "roles/web/files/tool.bin", content: big }, { path: "roles/web/files/logo.png", content: png }, { path: "roles/web/files/latin1.txt", content: latin1 }, { path: "README.md", content: "# web\n" }]);
    execFileSync("tar", ["-czf", join(temp, "gnu.tgz"), "-C", dir, "."]);
    const got = await readArchive("gnu.tgz", readFileSync(join(temp, "gnu.tgz")));
    assert.deepEqual(got.files, FILES);
    assert.deepEqual([...got.binary].sort(), ["roles/web/files/latin1.txt", "roles/web/files/logo.png", "roles/web/files/tool.bin"]);
    assert.deepEqual([...got.skipped].sort(), ["README.md", ...got.binary].sort());

    const enc = new TextEncoder();
    const zip = zipSync({ ...Object.fromEntries(FILES.map((f) => [f.path, enc.encode(f.content)])), "roles/web/files/logo.png": png });
    const fromZip = await readArchive("web.zip", zip);
    assert.deepEqual({ files: fromZip.files, binary: fromZip.binary }, { files: FILES, binary: ["roles/web/files/logo.png"] });
  });

  test("a document that is not UTF-8 still refuses the import: it cannot be a document", async () => {
    const dir = siteDir([{ path: "inventory.yml", content: new Uint8Array([0x78, 0xff]) }]);
    execFileSync("tar", ["-czf", join(temp, "bad.tgz"), "-C", dir, "."]);
    await assert.rejects(readArchive("bad.tgz", readFileSync(join(temp, "bad.tgz"))), /inventory\.yml is not UTF-8 text/);
  });

  test("the example site lints clean and round-trips through an archive", async () => {
    const { files, binary } = readSiteDirectory(fileURLToPath(new URL("../../examples/ansible-web", import.meta.url)));
    assert.deepEqual(binary, []);
    assert.ok(files.some((f) => f.path === "roles/web/templates/index.html.j2"));
    assert.deepEqual(loadSite(files).diagnostics, []);
    assert.deepEqual((await readArchive("x.tgz", writeTgz(files, new Date()))).files, files);
  });
});
