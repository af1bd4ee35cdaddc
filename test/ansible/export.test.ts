/**
 * `ansibleBundle`: the bundle, unpacked, gives `ansible-inventory --list` (the real one, run in the bundle's
 * directory) exactly what `flightdeck resolve` gives every host, with the connection mapped back; the same site
 * gives the same bytes; what Ansible cannot represent is refused by name.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { loadSite, readSiteDir } from "../../server/inventory";
import { ansibleBundle } from "../../server/ansible/export/bundle";
import { ansibleInventory } from "../../server/ansible/export/inventory";
import { inventoryList } from "../../server/ansible/export/script";
import { vaultDecrypt, vaultEncrypt } from "../../server/ansible/vault";
import { writeSecretsFile } from "../../server/secrets";
import { yml } from "../inventory/helpers";
import { ansibleList, assertSameAsResolve, siteOf, writeFiles } from "./export-helpers";

const HEAD = "kind: inventory\napi_version: v1beta1\n";

describe("every example site", () => {
  const root = join(import.meta.dirname, "../../examples");
  for (const name of readdirSync(root)) {
    test(name, async () => {
      const site = loadSite(readSiteDir(join(root, name)));
      const files = ansibleBundle(site);
      const listed = await ansibleList(writeFiles(files));
      assertSameAsResolve(site, listed);
      assert.doesNotMatch(listed.stderr, /WARNING/, "ansible-inventory has nothing to warn about");
      assert.deepEqual([...ansibleBundle(site)], [...files], "the same site gives the same files");
    });
  }
});

describe("Flightdeck's merging, written so that Ansible's replacing gives the same", () => {
  const files = {
    "inv.yml": HEAD + yml`
      spec:
        hosts:
        - {name: web-1, profile: web-big, labels: {role: web}}
        - {name: web-2, labels: {role: web}, data: {ntp: {servers: [host.example]}}}
        - {name: web-3, labels: {role: web}, data: {"!tuning": ~, extra: null}}
        - {name: db-1, labels: {role: db}, data: {sysctl: {vm.swappiness: 1}}}
        - {name: db-2, labels: {role: db}}
        - {name: lone}
        - name: both
          data: {mixed: host}
        groups:
        - name: all
          data:
            ntp: {servers: [a.example, b.example], iburst: true}
            sysctl: {vm.swappiness: 10, net.ipv4.ip_forward: 0}
            tuning: {level: 1}
            domain: example.org
        - name: web-servers
          members: [web-1, web-2, web-3, both]
          children: [web.edge]
          data:
            sysctl: {net.core.somaxconn: 1024}
            tuning: {level: 2}
            "!domain": ~
            role_text: web
        - name: web.edge
          members: [web-3]
          data: {edge: true, sysctl: {"!net.ipv4.ip_forward": ~}}
        - name: db
          members: [db-1, db-2, both]
          data: {role_text: db, mixed: db, sysctl: {vm.swappiness: 5}}
        - name: zz-last
          members: [both]
          data: {mixed: zz}
        - name: empty-group
          data: {never: seen}
    `,
    "profiles.yml": yml`
      kind: profile
      api_version: v1beta1
      spec:
        name: web-base
        data: {tuning: {cache: 64}, packages: [nginx]}
      ---
      kind: profile
      api_version: v1beta1
      spec:
        name: web-big
        parent: web-base
        data: {tuning: {cache: 256}, "!packages": ~}
    `,
  };

  test("every host resolves alike in ansible-inventory", async () => {
    const site = siteOf(files);
    const bundle = ansibleBundle(site);
    const listed = await ansibleList(writeFiles(bundle));
    const connection = assertSameAsResolve(site, listed);
    for (const [h, c] of Object.entries(connection)) assert.deepEqual(c, {}, `host ${h} sets no connection`);
    // Spot checks of the rules themselves, as ansible-inventory printed them.
    const hv = listed.hostvars;
    assert.deepEqual(hv["web-1"]!.tuning, { level: 2, cache: 256 }, "deep merge over group and profile");
    assert.equal(hv["web-1"]!.packages, undefined, "a profile's '!packages' removes its parent's");
    assert.equal(hv["web-3"]!.tuning, undefined, "a host's '!tuning' removes the groups'");
    assert.equal(hv["web-3"]!.extra, null, "an explicit null stays null");
    assert.deepEqual(hv["web-3"]!.sysctl, { "vm.swappiness": 10, "net.core.somaxconn": 1024 }, "a nested removal");
    assert.equal(hv["web-1"]!.domain, undefined, "a group's '!domain' removes all's");
    assert.equal(hv["db-1"]!.domain, "example.org");
    assert.equal(hv.both!.mixed, "host");
    assert.equal(hv.both!.role_text, "db", "Flightdeck's sibling order (db declared after web-servers), not Ansible's name order");
    assert.deepEqual(listed.groups["web-3"], ["all", "web-servers", "web.edge"], "a member of a nested group is in its parent");
    assert.deepEqual(listed.groups.lone, ["all", "ungrouped"]);
    assert.ok(listed.raw["empty-group"] === undefined || !listed.raw["empty-group"].hosts?.length);
    assert.doesNotMatch(listed.stderr, /WARNING/, "group names with '-' and '.' are kept without a warning");
  });

  test("values shared by a group's hosts go in group_vars, the rest in host_vars", () => {
    const bundle = ansibleBundle(siteOf(files));
    assert.deepEqual([...bundle.keys()], [...bundle.keys()].sort(), "paths are sorted");
    const all = bundle.get("hosts/group_vars/all.yml")!;
    assert.match(all, /^timezone|^ntp:\n {2}iburst: true\n {2}servers:\n {4}- a\.example\n {4}- b\.example$/m, "all's value, which most hosts keep");
    assert.doesNotMatch(all, /^domain:/m, "not on all, since web-servers removes it from its hosts: Ansible could not take it away again");
    assert.match(bundle.get("hosts/host_vars/lone.yml")!, /^domain: example\.org$/m, "nor on db, where 'both' has lost it");
    assert.match(bundle.get("hosts/group_vars/db.yml")!, /^role_text: db$/m);
    assert.match(bundle.get("hosts/host_vars/both.yml")!, /^role_text: db$/m, "the host in two sibling groups has its own value");
    assert.equal(bundle.get("hosts/group_vars/empty-group.yml"), undefined, "a group without hosts has nothing to carry");
    assert.match(bundle.get("hosts/hosts.yml")!, /^ {4}web-servers:\n {6}hosts:\n {8}web-1:\n {8}web-2:\n {8}web-3:\n {8}both:\n {6}children:\n {8}web\.edge:\n/m);
    assert.match(bundle.get("ansible.cfg")!, /^inventory = \.\/hosts$/m);
  });

  test("--limit: only those hosts, groups keep only members among them", async () => {
    const site = siteOf(files);
    const hosts = ["web-3", "db-2", "lone"];
    const listed = await ansibleList(writeFiles(ansibleBundle(site, { hosts })));
    assertSameAsResolve(site, listed, hosts);
    assert.deepEqual(Object.keys(listed.groups).sort(), [...hosts].sort());
    assert.deepEqual(listed.raw["web-servers"]?.hosts, ["web-3"]);
    assert.deepEqual(listed.raw["web.edge"]?.hosts, ["web-3"]);
    assert.throws(() => ansibleBundle(site, { hosts: ["nope"] }), /no host named 'nope'/);
  });
});

describe("connection fields", () => {
  const files = {
    "inv.yml": HEAD + yml`
      spec:
        hosts:
        - {name: plain}
        - name: full
          connection: {address: 10.0.0.5, port: 2222, user: deploy, key_file: /keys/deploy, connect_timeout: 1500ms, known_hosts: /etc/fd/known hosts, host_key_checking: accept-new}
        - {name: local-1, connection: {transport: local}}
        - {name: off, connection: {host_key_checking: "off"}}
        - {name: bastion, connection: {address: 192.0.2.1, user: jump, port: 2200}}
        - {name: inner, connection: {address: 10.1.0.1, jump: bastion}}
        - {name: guarded, connection: {address: 192.0.2.2, user: jump, key_file: /keys/jump, host_key_checking: accept-new}}
        - {name: deep, connection: {address: 10.2.0.1, user: app, jump: guarded}}
        - {name: deeper, connection: {address: 10.3.0.1, jump: deep, connect_timeout: 7}}
        - {name: reset, connection: {port: null, "!user": ~}}
        groups:
        - name: all
          connection: {user: root}
    `,
  };

  test("each field becomes its Ansible variable, and only fields the site sets", async () => {
    const site = siteOf(files);
    const listed = await ansibleList(writeFiles(ansibleBundle(site)));
    const c = assertSameAsResolve(site, listed);
    assert.deepEqual(c.plain, { ansible_user: "root" });
    assert.deepEqual(c.full, {
      ansible_host: "10.0.0.5",
      ansible_port: 2222,
      ansible_user: "deploy",
      ansible_ssh_private_key_file: "/keys/deploy",
      ansible_timeout: 2,
      ansible_ssh_common_args: `-o 'UserKnownHostsFile="/etc/fd/known hosts"' -o StrictHostKeyChecking=accept-new`,
    });
    assert.deepEqual(c["local-1"], { ansible_connection: "local", ansible_user: "root" });
    assert.deepEqual(c.off, { ansible_user: "root", ansible_ssh_common_args: "-o StrictHostKeyChecking=no" });
    assert.deepEqual(c.inner, { ansible_host: "10.1.0.1", ansible_user: "root", ansible_ssh_common_args: "-o ProxyJump=jump@192.0.2.1:2200" });
    // A hop with its own key and policy cannot be a ProxyJump (ssh gives options to the last hop only).
    assert.deepEqual(c.deep, {
      ansible_host: "10.2.0.1",
      ansible_user: "app",
      ansible_ssh_common_args: `-o 'ProxyCommand=ssh -W 10.2.0.1:22 -i /keys/jump -o StrictHostKeyChecking=accept-new jump@192.0.2.2'`,
    });
    assert.equal(
      c.deeper!.ansible_ssh_common_args,
      `-o 'ProxyCommand=ssh -W 10.3.0.1:22 -o '"'"'ProxyCommand=ssh -W 10.2.0.1:22 -i /keys/jump -o StrictHostKeyChecking=accept-new jump@192.0.2.2'"'"' app@10.2.0.1'`,
    );
    assert.equal(c.deeper!.ansible_timeout, 7);
    assert.deepEqual(c.reset, {}, "null and '!' put a field back to its default: nothing written");
  });

  test("the path hook maps key_file and known_hosts, for the jump hosts too", async () => {
    const site = siteOf(files);
    const seen: string[] = [];
    const bundle = ansibleBundle(site, {
      path: (kind, value, host) => {
        seen.push(`${kind}:${host}`);
        return `/run/fd/${host}/${kind}${value.length}`;
      },
    });
    const c = assertSameAsResolve(site, await ansibleList(writeFiles(bundle)));
    assert.equal(c.full!.ansible_ssh_private_key_file, "/run/fd/full/key_file12");
    assert.match(c.full!.ansible_ssh_common_args as string, /UserKnownHostsFile=\/run\/fd\/full\/known_hosts19 /);
    assert.match(c.deep!.ansible_ssh_common_args as string, /-i \/run\/fd\/guarded\/key_file10 /);
    assert.ok(seen.includes("key_file:guarded"));
  });

  test("a jump chain that loops leaves that host unreachable, saying why, as Flightdeck's own SSH does", async () => {
    const site = siteOf({ "inv.yml": HEAD + yml`
      spec:
        hosts:
        - {name: a, connection: {jump: b}}
        - {name: b, connection: {jump: a}}
        - {name: c}
    ` });
    const c = assertSameAsResolve(site, await ansibleList(writeFiles(ansibleBundle(site))));
    const args = c.a!.ansible_ssh_common_args as string;
    assert.match(args, /^-o 'ProxyCommand=sh -c /);
    // ssh runs the ProxyCommand and gives up: the host is unreachable with the reason on stderr.
    const ssh = spawnSync("sh", ["-c", `ssh ${args} -o BatchMode=yes a.invalid`], { encoding: "utf8" });
    assert.equal(ssh.status, 255);
    assert.match(ssh.stderr, /flightdeck: jump host loop: a -> b -> a/);
    assert.deepEqual(c.c, {});
  });
});

describe("secrets", () => {
  const files: Record<string, string> = {
    "inv.yml": HEAD + yml`
      spec:
        hosts:
        - {name: a, data: {db: {password: "secret:db.password", user: app}, token: "env:API_TOKEN"}}
        - {name: b, data: {db: {password: "secret:db.password", user: app}}}
        - {name: c, connection: {key_file: "secret:ssh.deploy"}}
    `,
  };
  before(async () => {
    const recipient = await identityToRecipient(await generateX25519Identity());
    files["secrets.yml"] = await writeSecretsFile(null, { db: { password: "pw" }, ssh: { deploy: "key" } }, [recipient]);
  });

  test("references stay references by default", async () => {
    const site = siteOf(files);
    const bundle = ansibleBundle(site);
    const c = assertSameAsResolve(site, await ansibleList(writeFiles(bundle)));
    assert.equal(c.c!.ansible_ssh_private_key_file, "secret:ssh.deploy");
    assert.match([...bundle.values()].join("\n"), /secret:db\.password/);
  });

  test("the secret hook substitutes values, and vault blocks are written as !vault", async () => {
    const site = siteOf(files);
    const calls: string[] = [];
    const vaulted = new Map<string, string>();
    const bundle = ansibleBundle(site, {
      secret: (ref, host) => {
        calls.push(`${ref}@${host}`);
        if (ref.startsWith("env:")) return "plain-token";
        let v = vaulted.get(ref);
        if (!v) vaulted.set(ref, (v = vaultEncrypt(`value of ${ref}`, "pw")));
        return { vault: v };
      },
    });
    assert.deepEqual(calls.sort(), ["env:API_TOKEN@a", "secret:db.password@a", "secret:db.password@b"]);
    const text = [...bundle.values()].join("\n");
    assert.doesNotMatch(text, /value of/);
    assert.match(text, /password: !vault \|\n\s+\$ANSIBLE_VAULT;1\.1;AES256\n/);
    const listed = await ansibleList(writeFiles(bundle));
    const password = listed.hostvars.b!.db as { password: { __ansible_vault: string }; user: string };
    assert.equal(vaultDecrypt(password.password.__ansible_vault, [{ password: "pw" }]).plaintext.toString(), "value of secret:db.password");
    assert.equal(listed.hostvars.a!.token, "plain-token");
    assert.equal(listed.hostvars.c!.ansible_ssh_private_key_file, "secret:ssh.deploy", "key_file goes through the path hook, not the secret hook");
  });
});

describe("what Ansible cannot represent is refused by name", () => {
  test("a variable Ansible sets itself", () => {
    const site = siteOf({ "inv.yml": HEAD + yml`
      spec:
        hosts:
        - {name: a}
        groups:
        - name: all
          data: {groups: [x]}
    ` });
    assert.throws(() => ansibleBundle(site), /inv\.yml:8:12: variable 'groups' of host 'a' is a name Ansible sets itself/);
  });

  test("a variable that the connection sets to something else", () => {
    const site = siteOf({ "inv.yml": HEAD + yml`
      spec:
        hosts:
        - {name: a, connection: {user: root}, data: {ansible_user: admin}}
        - {name: b, connection: {user: root}, data: {ansible_user: root}}
    ` });
    assert.throws(() => ansibleBundle(site), /inv\.yml:5:48: variable 'ansible_user' of host 'a' is "admin", but its connection makes it "root"/);
    const ok = siteOf({ "inv.yml": HEAD + "spec:\n  hosts:\n  - {name: b, connection: {user: root}, data: {ansible_user: root}}\n" });
    assert.equal(ansibleBundle(ok).get("hosts/host_vars/b.yml")?.includes("ansible_user: root"), true, "the same value is fine");
  });

  test("a group 'ungrouped' holding a host that is in another group", () => {
    const site = siteOf({ "inv.yml": HEAD + yml`
      spec:
        hosts:
        - {name: a}
        groups:
        - {name: ungrouped, members: [a]}
        - {name: web, members: [a]}
    ` });
    assert.throws(() => ansibleBundle(site), /group 'ungrouped' cannot be exported: .*host 'a' is also in 'web'/);
  });

  test("hosts whose variable files Ansible would mix up", () => {
    const site = siteOf({ "inv.yml": HEAD + yml`
      spec:
        hosts:
        - {name: db, data: {x: 1}}
        - {name: db.yml, data: {x: 2}}
    ` });
    assert.throws(() => ansibleBundle(site), /hosts 'db' and 'db\.yml' cannot be told apart/);
  });
});

describe("awkward names and values", () => {
  test("names and values YAML 1.1 would read as something else", async () => {
    const site = siteOf({ "inv.yml": HEAD + yml`
      spec:
        hosts:
        - name: "yes"
          data: {"on": "off", "1": "0777", t: "2001-12-14", s: "1:20", e: "1e3", big: 1e21, f: 1.5, neg: -0.0, ml: "a\\nb\\n", u: "é\\u2028x", eq: "=", merge: "<<", tilde: "~", empty: "", "": empty-key}
        - name: "007"
          data: {n: [1, "1", true, "true", null, "null"]}
        groups:
        - {name: "true", members: ["yes", "007"]}
        - {name: 1.2.3, members: ["007"]}
    ` });
    const listed = await ansibleList(writeFiles(ansibleBundle(site)));
    assertSameAsResolve(site, listed);
    assert.deepEqual(listed.groups["007"], ["1.2.3", "all", "true"]);
  });

  test("ansible_group_priority is only ever a host's variable (on a group it would reorder Ansible's groups)", async () => {
    const site = siteOf({ "inv.yml": HEAD + yml`
      spec:
        hosts:
        - {name: a}
        - {name: b}
        groups:
        - {name: g, members: [a, b], data: {ansible_group_priority: 10, other: 1}}
    ` });
    const inv = ansibleInventory(site);
    assert.deepEqual([...inv.groupVars.values()], [{ other: 1 }], "the shared value goes on a group, the priority does not");
    assert.deepEqual(inv.hostVars.get("a"), { ansible_group_priority: 10 });
    assert.doesNotMatch(inventoryList(inv), /"vars":\{[^}]*ansible_group_priority/);
    assertSameAsResolve(site, await ansibleList(writeFiles(ansibleBundle(site))));
  });
});
