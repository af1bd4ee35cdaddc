/**
 * Editing hosts, groups and variables in the site's YAML (server/inventory/edit): the edited file differs
 * from the original only in the lines of the change (compared line by line), new entries follow their siblings'
 * style, every document of a multi-document file is kept, and refusals say where.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { addGroup, addHost, deleteGroup, deleteHost, deleteVar, getVar, setVar, updateGroup, updateHost, type SiteEdit } from "../../server/inventory/edit";
import { formatDiagnostic, loadSite } from "../../server/inventory";
import { site, yml } from "./helpers";

/** The lines that differ between two texts: everything before and after one changed region must be equal. */
function hunk(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return { removed: a.slice(p, a.length - s), added: b.slice(p, b.length - s) };
}

function changed(edit: SiteEdit, path: string): string {
  const file = edit.changes.find((c) => c.path === path);
  assert.ok(file, `${path} should have changed (changed: ${edit.changes.map((c) => c.path).join(", ")})`);
  return file.content;
}

/** The site after the edit must lint as cleanly as before. */
function clean(files: Record<string, string>, edit: SiteEdit) {
  const after = loadSite(Object.entries({ ...files, ...Object.fromEntries(edit.changes.map((c) => [c.path, c.content])) }).map(([path, content]) => ({ path, content })));
  assert.deepEqual(after.diagnostics.map(formatDiagnostic), []);
  return after;
}

const inventory = yml`
  # The lab's machines.
  kind: inventory
  api_version: v1beta1
  spec:
    hosts:
    - name: web-1          # rack A
      labels: {role: web, env: prod}
      connection: {address: 10.0.0.1}

    - name: web-2
      labels: {role: web}
      data:
        # kept
        ntp: 'pool.ntp.org'
    groups:
    - name: web
      members: [web-1, web-2]   # the front
      data: {port: 80}
    - name: db
      members:
      - web-2
  ---
  kind: profile
  api_version: v1beta1
  spec:
    name: base
    data: {ntp: "time.lab"}
`;
const files = { "inv.yml": inventory };

describe("addHost", () => {
  test("appends after the last host in the siblings' style and adds it to its groups; nothing else changes", () => {
    const edit = addHost(site(files), { name: "web-3", profile: "base", labels: { role: "web" }, connection: { address: "10.0.0.3", port: 22 }, data: { ntp: "x", dns: { servers: ["1.1.1.1"] } }, groups: ["web", "db"] });
    assert.deepEqual(edit.message, "add host web-3");
    const after = changed(edit, "inv.yml");
    assert.equal(
      after,
      inventory
        .replace(
          "      ntp: 'pool.ntp.org'\n",
          "      ntp: 'pool.ntp.org'\n  - name: web-3\n    profile: base\n    labels: {role: web}\n    connection: {address: 10.0.0.3, port: 22}\n    data:\n      ntp: x\n      dns:\n        servers: [1.1.1.1]\n",
        )
        .replace("members: [web-1, web-2]   # the front", "members: [web-1, web-2, web-3]   # the front")
        .replace("    - web-2\n", "    - web-2\n    - web-3\n"),
    );
    const s = clean(files, edit);
    assert.deepEqual(s.resolver.resolve("web-3").groups.sort(), ["all", "db", "web"]);
    assert.equal(s.resolver.resolve("web-3").vars.port, 80);
  });

  test("a host's first line keeps the file's sequence indentation (indented dashes)", () => {
    const indented = "kind: inventory\napi_version: v1beta1\nspec:\n    hosts:\n        -   name: a\n    # end\n";
    const edit = addHost(site({ "i.yml": indented }), { name: "b" });
    assert.deepEqual(hunk(indented, changed(edit, "i.yml")), { removed: [], added: ["        - name: b"] });
  });

  test("into an empty flow list, a file of its own, or a new file", () => {
    const empty = "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: []  # none yet\n";
    assert.equal(changed(addHost(site({ "e.yml": empty }), { name: "a" }), "e.yml"), "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: a}]  # none yet\n");
    const edit = addHost(site({ "e.yml": empty }), { name: "b", labels: { role: "db" }, file: "more/db.yml" });
    assert.equal(changed(edit, "more/db.yml"), "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: b\n    labels: {role: db}\n");
    const none = addHost(site({}), { name: "c" });
    assert.equal(changed(none, "inventory.yml"), "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: c\n");
  });

  test("refuses a duplicate with where the first is, an unknown group or profile, and a bad name", () => {
    assert.throws(() => addHost(site(files), { name: "web-2" }), { code: "INVALID_INPUT", message: "name: host 'web-2' already exists (inv.yml:10:11)" });
    assert.throws(() => addHost(site(files), { name: "x", groups: ["web", "dbb"] }), { code: "INVALID_INPUT", message: /^groups\[1\]: no group 'dbb' in the site.*'db'/ });
    assert.throws(() => addHost(site(files), { name: "x", groups: ["all"] }), { code: "INVALID_INPUT", message: /^groups\[0\]: every host is in 'all'/ });
    assert.throws(() => addHost(site(files), { name: "x", profile: "bas" }), { code: "INVALID_INPUT", message: /^profile: no profile 'bas'/ });
    assert.throws(() => addHost(site(files), { name: "-x" }), { code: "INVALID_INPUT", message: /^name: host name '-x' must start/ });
    assert.throws(() => addHost(site(files), { name: "x", file: "../x.yml" }), { code: "INVALID_INPUT", message: /^file: / });
  });
});

describe("updateHost", () => {
  test("sets and removes fields; flow values stay flow, block values stay block", () => {
    const edit = updateHost(site(files), "web-2", { labels: { role: "db" }, data: { ntp: "a", extra: 1 }, profile: "base" });
    const after = changed(edit, "inv.yml");
    assert.deepEqual(hunk(inventory, after), {
      removed: ["    labels: {role: web}", "    data:", "      # kept", "      ntp: 'pool.ntp.org'"],
      added: ["    labels: {role: db}", "    data:", "      ntp: a", "      extra: 1", "    profile: base"],
    });
    clean(files, edit);
    const removed = changed(updateHost(site(files), "web-1", { labels: null }), "inv.yml");
    assert.deepEqual(hunk(inventory, removed), { removed: ["    labels: {role: web, env: prod}"], added: [] });
  });

  test("groups: leaves the lists it no longer belongs to and joins the new ones", () => {
    const edit = updateHost(site(files), "web-2", { groups: ["web"] });
    const after = changed(edit, "inv.yml");
    assert.deepEqual(hunk(inventory, after), { removed: ["    members:", "    - web-2"], added: ["    members: []"] });
    assert.deepEqual(clean(files, edit).resolver.resolve("web-2").groups.sort(), ["all", "web"]);
  });

  test("an unknown host is not found", () => {
    assert.throws(() => updateHost(site(files), "web-9", { labels: null }), { code: "NOT_FOUND" });
  });
});

describe("deleteHost", () => {
  test("removes its entry (with its comment lines) and its names in member lists, flow and block", () => {
    const edit = deleteHost(site(files), "web-1");
    const after = changed(edit, "inv.yml");
    assert.equal(
      after,
      inventory.replace("  - name: web-1          # rack A\n    labels: {role: web, env: prod}\n    connection: {address: 10.0.0.1}\n", "").replace("[web-1, web-2]", "[web-2]"),
    );
    clean(files, edit);
    const second = changed(deleteHost(site(files), "web-2"), "inv.yml");
    assert.ok(!/web-2/.test(second));
    assert.match(second, /members: \[web-1\] {3}# the front/);
    assert.match(second, /\n {2}- name: db\n {4}members: \[\]\n---/);
    assert.match(second, /kind: profile\napi_version: v1beta1\nspec:\n {2}name: base\n {2}data: \{ntp: "time.lab"\}\n$/);
  });
});

describe("groups", () => {
  test("addGroup with a parent joins the parent's children; deleteGroup leaves it", () => {
    const edit = addGroup(site(files), { name: "edge", members: ["web-1"], parent: "web", data: { zone: "a" } });
    const after = changed(edit, "inv.yml");
    assert.deepEqual(hunk(inventory, after).added.slice(-4), ["    - web-2", "  - name: edge", "    members: [web-1]", "    data: {zone: a}"]);
    assert.match(after, /members: \[web-1, web-2\] {3}# the front\n {4}data: \{port: 80\}\n {4}children: \[edge\]\n/);
    const s = clean(files, edit);
    assert.deepEqual(s.resolver.resolve("web-1").groups.sort(), ["all", "edge", "web"]);
    const removed = deleteGroup(s, "edge");
    assert.equal(changed(removed, "inv.yml"), after.replace("    children: [edge]\n", "    children: []\n").replace("  - name: edge\n    members: [web-1]\n    data: {zone: a}\n", ""));
  });

  test("updateGroup replaces members, moves parents, refuses unknown members and a second parent", () => {
    const edit = updateGroup(site(files), "db", { members: ["web-1"], parent: "web" });
    const after = changed(edit, "inv.yml");
    assert.match(after, /- name: db\n {4}members:\n {4}- web-1\n---/);
    clean(files, edit);
    assert.throws(() => updateGroup(site(files), "db", { members: ["nope"] }), { code: "INVALID_INPUT", message: /^members\[0\]: no host 'nope'/ });
    assert.throws(() => addGroup(site(files), { name: "web" }), { code: "INVALID_INPUT", message: "name: group 'web' already exists (inv.yml:16:11)" });
  });
});

describe("variables at a level", () => {
  test("get, set (creating maps along a dotted path) and delete, at host, group and profile level", () => {
    const s = site(files);
    assert.deepEqual(getVar(s, "host", "web-2", "ntp"), { found: true, value: "pool.ntp.org", where: "inv.yml:14:7" });
    assert.deepEqual(getVar(s, "group", "web", "dns.servers"), { found: false, value: null, where: null });
    const set = changed(setVar(s, "group", "web", "dns.servers", ["1.1.1.1"]), "inv.yml");
    assert.deepEqual(hunk(inventory, set), { removed: ["    data: {port: 80}"], added: ["    data: {port: 80, dns: {servers: [1.1.1.1]}}"] });
    const host = changed(setVar(s, "host", "web-1", "ntp", "a"), "inv.yml");
    // web-2 (a sibling) writes its data as a block: so does web-1's new one.
    assert.deepEqual(hunk(inventory, host), { removed: [], added: ["    data:", "      ntp: a"] });
    const profile = changed(setVar(s, "profile", "base", "ntp", "b"), "inv.yml");
    assert.deepEqual(hunk(inventory, profile), { removed: ['  data: {ntp: "time.lab"}'], added: ["  data: {ntp: b}"] });
    const deleted = changed(deleteVar(s, "host", "web-2", "ntp"), "inv.yml");
    assert.deepEqual(hunk(inventory, deleted), { removed: ["    data:", "      # kept", "      ntp: 'pool.ntp.org'"], added: ["    data: {}"] });
    assert.throws(() => deleteVar(s, "host", "web-2", "nope"), { code: "NOT_FOUND" });
    assert.throws(() => setVar(s, "host", "web-2", "a..b", 1), { code: "INVALID_INPUT", message: /^key: / });
  });
});

describe("multi-document files and block styles", () => {
  const multi = yml`
    kind: profile
    api_version: v1beta1
    spec: {name: p}
    ---
    # second document
    kind: inventory
    api_version: v1beta1
    spec:
      hosts:
        - labels:
            role: db   # block labels
          name: db-1
        - name: db-2
          labels:
            role: db
    ---
    kind: inventory
    api_version: v1beta1
    spec:
      groups:
        - name: dbs
          members:
            - db-1
            - db-2
  `;
  const mfiles = { "m.yml": multi };

  test("a host in the second document: labels stay block, dashes stay indented, the other documents are untouched", () => {
    const edit = addHost(site(mfiles), { name: "db-3", labels: { role: "db" }, groups: ["dbs"] });
    const after = changed(edit, "m.yml");
    assert.equal(after, multi.replace("        role: db\n---", "        role: db\n    - name: db-3\n      labels:\n        role: db\n---").replace("        - db-2\n", "        - db-2\n        - db-3\n"));
    clean(mfiles, edit);
  });

  test("deleting a host whose first key shares the dash's line, and its block member entry", () => {
    const edit = deleteHost(site(mfiles), "db-1");
    assert.equal(changed(edit, "m.yml"), multi.replace("    - labels:\n        role: db   # block labels\n      name: db-1\n", "").replace("        - db-1\n", ""));
    const key = changed(updateHost(site(mfiles), "db-1", { labels: null }), "m.yml");
    assert.deepEqual(hunk(multi, key), { removed: ["    - labels:", "        role: db   # block labels", "      name: db-1"], added: ["    - name: db-1"] });
  });
});

describe("documents without lists yet, and CRLF files", () => {
  test("an empty spec and an empty flow spec get their first host", () => {
    const bare = "kind: inventory\napi_version: v1beta1\nspec:\n";
    assert.equal(changed(addHost(site({ "b.yml": bare }), { name: "a" }), "b.yml"), "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: a\n");
    const flow = "kind: inventory\napi_version: v1beta1\nspec: {}   # empty\n";
    assert.equal(changed(addHost(site({ "f.yml": flow }), { name: "a", labels: { role: "web" } }), "f.yml"), "kind: inventory\napi_version: v1beta1\nspec: {hosts: [{name: a, labels: {role: web}}]}   # empty\n");
  });

  test("a CRLF file keeps CRLF on every line, old and new", () => {
    const crlf = "kind: inventory\r\napi_version: v1beta1\r\nspec:\r\n  hosts:\r\n  - name: a   # one\r\n    data:\r\n      x: 1\r\n  - name: b\r\n  groups:\r\n  - name: g\r\n    members:\r\n    - a\r\n    - b\r\n";
    const files = { "c.yml": crlf };
    const added = changed(addHost(site(files), { name: "c", data: { y: 2 }, groups: ["g"] }), "c.yml");
    assert.equal(added, crlf.replace("  - name: b\r\n", "  - name: b\r\n  - name: c\r\n    data:\r\n      y: 2\r\n").replace("    - b\r\n", "    - b\r\n    - c\r\n"));
    const removed = changed(deleteHost(site(files), "a"), "c.yml");
    assert.equal(removed, crlf.replace("  - name: a   # one\r\n    data:\r\n      x: 1\r\n", "").replace("    - a\r\n", ""));
    const set = changed(setVar(site(files), "host", "a", "x", 3), "c.yml");
    assert.equal(set, crlf.replace("x: 1", "x: 3"));
    clean(files, { changes: [{ path: "c.yml", content: added }], message: "" });
  });
});
