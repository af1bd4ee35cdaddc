/** PRODUCT.md, "How a host's variables are resolved": every rule, with exact values and origins. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resolveAll } from "../../server/inventory";
import { DEFAULT_ORIGIN, explain, lint, origin, site, yml } from "./helpers";

describe("the four levels", () => {
  const files = {
    "inv.yml": yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: h-host
          profile: child
          data: {who: host}
        - name: h-child
          profile: child
        - name: h-root
          profile: root
        - name: h-group
        - name: h-all
        groups:
        - name: all
          data: {who: all, from_all: 1}
        - name: g
          members: [h-host, h-child, h-root, h-group]
          data: {who: group, from_group: 1}
    `,
    "profiles.yml": yml`
      kind: profile
      api_version: v1beta1
      spec:
        name: root
        data: {who: root-profile, from_root: 1, chain: root}
      ---
      kind: profile
      api_version: v1beta1
      spec:
        name: child
        parent: root
        data: {who: child-profile, chain: child}
    `,
  };
  const all = origin("inv.yml", 16, 22, "all", "all");
  const group = origin("inv.yml", 19, 24, "group", "g");
  const root = origin("profiles.yml", 5, 29, "profile", "root");

  test("host data is the highest level", () => {
    const h = explain(files, "h-host");
    assert.deepEqual(h.vars, { who: "host", from_all: 1, from_group: 1, from_root: 1, chain: "child" });
    assert.deepEqual(h.origins.vars, {
      who: origin("inv.yml", 7, 12, "host", "h-host"),
      from_all: all,
      from_group: group,
      from_root: root,
      chain: origin("profiles.yml", 12, 30, "profile", "child"),
    });
    assert.equal(h.profile, "child");
    assert.deepEqual(h.profiles, ["root", "child"]);
  });

  test("the profile chain is above the groups, root first and the host's own profile last", () => {
    const h = explain(files, "h-child");
    assert.equal(h.vars.who, "child-profile");
    assert.equal(h.vars.chain, "child");
    assert.deepEqual(h.origins.vars.who, origin("profiles.yml", 12, 10, "profile", "child"));
    const r = explain(files, "h-root");
    assert.deepEqual(r.vars, { who: "root-profile", from_all: 1, from_group: 1, from_root: 1, chain: "root" });
    assert.deepEqual(r.origins.vars.who, origin("profiles.yml", 5, 10, "profile", "root"));
    assert.deepEqual(r.profiles, ["root"]);
  });

  test("other groups are above the all group", () => {
    const h = explain(files, "h-group");
    assert.deepEqual(h.vars, { who: "group", from_all: 1, from_group: 1 });
    assert.deepEqual(h.origins.vars, { who: origin("inv.yml", 19, 12, "group", "g"), from_all: all, from_group: group });
    assert.equal(h.profile, null);
    assert.deepEqual(h.profiles, []);
  });

  test("the all group is the lowest level and holds every host", () => {
    const h = explain(files, "h-all");
    assert.deepEqual(h.groups, ["all"]);
    assert.deepEqual(h.vars, { who: "all", from_all: 1 });
    assert.deepEqual(h.origins.vars, { who: origin("inv.yml", 16, 12, "all", "all"), from_all: all });
  });
});

describe("group order", () => {
  test("parents before children whatever the declaration order; later siblings win", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: h
        groups:
        - name: child
          members: [h]
          data: {x: child}
        - name: parent
          children: [child]
          data: {x: parent, p: 1}
        - name: s1
          members: [h]
          data: {y: s1}
        - name: s2
          members: [h]
          data: {y: s2}
    `;
    const s = site(text);
    const h = s.resolver.resolve("h", true);
    assert.deepEqual(h.groups, ["all", "parent", "child", "s1", "s2"]);
    assert.deepEqual(h.vars, { x: "child", p: 1, y: "s2" });
    assert.deepEqual(h.origins.vars, {
      x: origin("inv.yml", 9, 12, "group", "child"),
      p: origin("inv.yml", 12, 23, "group", "parent"),
      y: origin("inv.yml", 18, 12, "group", "s2"),
    });
    // Siblings disagreeing is legal but warned about (see lint.test.ts for the exact text).
    assert.equal(s.diagnostics.length, 1);
    assert.equal(s.diagnostics[0]!.severity, "warning");
  });

  test("a host in a child group is in every ancestor, all first", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: deep
        - name: mid
        - name: lone
        groups:
        - name: c
          members: [deep]
        - name: a
          children: [b]
          data: {from_a: 1}
        - name: b
          children: [c]
          members: [mid]
    `;
    const s = site(text);
    assert.deepEqual(s.diagnostics, []);
    const hosts = resolveAll(s);
    assert.deepEqual(hosts.deep!.groups, ["all", "a", "b", "c"]);
    assert.deepEqual(hosts.mid!.groups, ["all", "a", "b"]);
    assert.deepEqual(hosts.lone!.groups, ["all"]);
    assert.deepEqual(hosts.deep!.vars, { from_a: 1 });
    assert.deepEqual(hosts.lone!.vars, {});
  });

  test("sibling groups in several files are ordered by file path, then position", () => {
    const group = (name: string, value: string) => yml`
      kind: inventory
      api_version: v1beta1
      spec:
        groups:
        - name: ${name}
          members: [h]
          data: {y: ${value}}
    `;
    const files = {
      "z.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: h}]\n",
      "b.yml": group("from-b", "b"),
      "a.yml": group("from-a", "a"),
    };
    const h = site(files).resolver.resolve("h", true);
    assert.deepEqual(h.groups, ["all", "from-a", "from-b"]);
    assert.equal(h.vars.y, "b");
    assert.deepEqual(h.origins.vars.y, origin("b.yml", 7, 12, "group", "from-b"));
  });
});

describe("merging", () => {
  const files = {
    "inv.yml": yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: h
          profile: p
          data:
            net: {mtu: 9000}
            pkgs: [c]
            n: 2
            thing: [1]
            s: {a: 1}
        groups:
        - name: all
          data:
            net:
              dns: {servers: [10.0.0.1], search: x}
              mtu: 1500
            pkgs: [a, b]
            n: 1
            s: 1
        - name: g
          members: [h]
          data:
            net:
              dns: {search: y}
            thing: {a: 1}
    `,
    "p.yml": yml`
      kind: profile
      api_version: v1beta1
      spec:
        name: p
        data:
          net:
            dns:
              options: {ndots: 2}
    `,
  };

  test("maps merge key by key at every depth", () => {
    const h = explain(files, "h");
    assert.deepEqual(h.vars.net, { dns: { servers: ["10.0.0.1"], search: "y", options: { ndots: 2 } }, mtu: 9000 });
    assert.deepEqual(h.origins.vars["net.dns.servers"], origin("inv.yml", 17, 15, "all", "all"));
    assert.deepEqual(h.origins.vars["net.dns.search"], origin("inv.yml", 26, 15, "group", "g"));
    assert.deepEqual(h.origins.vars["net.dns.options.ndots"], origin("p.yml", 8, 19, "profile", "p"));
    assert.deepEqual(h.origins.vars["net.mtu"], origin("inv.yml", 8, 13, "host", "h"));
  });

  test("lists and scalars replace; a list or a map replaces a value of another shape", () => {
    const h = explain(files, "h");
    assert.deepEqual(h.vars.pkgs, ["c"]);
    assert.equal(h.vars.n, 2);
    assert.deepEqual(h.vars.thing, [1]);
    assert.deepEqual(h.vars.s, { a: 1 });
    assert.deepEqual(h.origins.vars.pkgs, origin("inv.yml", 9, 7, "host", "h"));
    assert.deepEqual(h.origins.vars.n, origin("inv.yml", 10, 7, "host", "h"));
    assert.deepEqual(h.origins.vars.thing, origin("inv.yml", 11, 7, "host", "h"));
    assert.deepEqual(h.origins.vars["s.a"], origin("inv.yml", 12, 11, "host", "h"));
    assert.deepEqual(Object.keys(h.origins.vars).sort(), ["n", "net.dns.options.ndots", "net.dns.search", "net.dns.servers", "net.mtu", "pkgs", "s.a", "thing"]);
  });
});

describe("a level without a key never unsets it", () => {
  test("the all group's interface survives groups, profiles and hosts that do not mention it", () => {
    const files = {
      "inv.yml": yml`
        kind: inventory
        api_version: v1beta1
        spec:
          hosts:
          - name: kvm-1
            profile: kvm-host
            data: {ip_address: 192.168.100.11/24}
          groups:
          - name: all
            data:
              interface: eno1
              ntp: {servers: [a, b], enabled: true}
          - name: hypervisors
            members: [kvm-1]
            data:
              gateway: 192.168.100.1
              ntp: {enabled: false}
          - name: empty
            members: [kvm-1]
            data: {}
      `,
      "p.yml": "kind: profile\napi_version: v1beta1\nspec:\n  name: kvm-host\n  data: {packages: [qemu-kvm]}\n",
    };
    const h = explain(files, "kvm-1");
    assert.deepEqual(h.vars, {
      interface: "eno1",
      ntp: { servers: ["a", "b"], enabled: false },
      gateway: "192.168.100.1",
      packages: ["qemu-kvm"],
      ip_address: "192.168.100.11/24",
    });
    assert.deepEqual(h.origins.vars.interface, origin("inv.yml", 11, 7, "all", "all"));
    assert.deepEqual(h.origins.vars["ntp.servers"], origin("inv.yml", 12, 13, "all", "all"));
    assert.deepEqual(h.origins.vars["ntp.enabled"], origin("inv.yml", 17, 13, "group", "hypervisors"));
  });
});

describe("null and removal", () => {
  const files = {
    "inv.yml": yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: guest
          profile: vm-guest
        - name: guest-with-ntp
          profile: vm-guest
          data: {ntp: [b]}
        - name: plain
          data: {proxy: null, extra: {"!x": ~, y: 1}}
        groups:
        - name: all
          data:
            ntp: [a]
            proxy: http://proxy:3128
            disk: {size: 10}
            sysctl: {a: 1, b: 2}
        - name: g
          members: [guest, guest-with-ntp, plain]
          data:
            disk: ~
            sysctl: {"!a": ~, "!never-set": ~}
    `,
    "p.yml": yml`
      kind: profile
      api_version: v1beta1
      spec:
        name: vm-guest
        data:
          "!ntp": ~
          disk: {pool: fast}
    `,
  };

  test("an explicit null sets null, over a scalar or a map", () => {
    const h = explain(files, "plain");
    assert.equal(h.vars.proxy, null);
    assert.deepEqual(h.origins.vars.proxy, origin("inv.yml", 11, 12, "host", "plain"));
    assert.equal(h.vars.disk, null);
    assert.deepEqual(h.origins.vars.disk, origin("inv.yml", 22, 7, "group", "g"));
  });

  test("a map set over null does not bring back what null replaced", () => {
    const h = explain(files, "guest");
    assert.deepEqual(h.vars.disk, { pool: "fast" });
    assert.deepEqual(h.origins.vars["disk.pool"], origin("p.yml", 7, 12, "profile", "vm-guest"));
  });

  test('"!key": ~ removes an inherited key, at the top or nested', () => {
    const h = explain(files, "guest");
    assert.equal("ntp" in h.vars, false);
    assert.equal("ntp" in h.origins.vars, false);
    assert.deepEqual(h.vars.sysctl, { b: 2 });
    assert.deepEqual(h.origins.vars["sysctl.b"], origin("inv.yml", 18, 22, "all", "all"));
    assert.equal("sysctl.a" in h.origins.vars, false);
  });

  test("a higher level can set a removed key again", () => {
    const h = explain(files, "guest-with-ntp");
    assert.deepEqual(h.vars.ntp, ["b"]);
    assert.deepEqual(h.origins.vars.ntp, origin("inv.yml", 9, 12, "host", "guest-with-ntp"));
  });

  test("removal markers never reach the result", () => {
    const h = explain(files, "plain");
    assert.deepEqual(h.vars.extra, { y: 1 });
    assert.deepEqual(h.vars.sysctl, { b: 2 });
    for (const key of Object.keys(h.origins.vars)) assert.equal(key.includes("!"), false, key);
  });

  test("removing every key of a map leaves an empty map traced to the level that emptied it", () => {
    const text = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: h
          data: {disk: {"!a": ~}}
        groups:
        - name: all
          data: {disk: {a: 1}}
    `;
    const h = explain(text, "h");
    assert.deepEqual(h.vars, { disk: {} });
    assert.deepEqual(h.origins.vars, { disk: origin("inv.yml", 6, 12, "host", "h") });
  });
});

describe("connection", () => {
  const files = {
    "inv.yml": yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: kvm-1
          profile: p
          connection: {address: 10.0.0.1}
        - name: bare
        - name: nulled
          connection: {user: null, "!key_file": ~, host_key_checking: accept-new}
        groups:
        - name: all
          connection: {user: root, key_file: keys/deploy, port: 2222}
        - name: g
          members: [kvm-1]
          connection: {user: ubuntu}
    `,
    "p.yml": "kind: profile\napi_version: v1beta1\nspec:\n  name: p\n  connection: {\"!port\": ~, connect_timeout: 10s}\n",
  };

  test("resolves through the same levels, with defaults below every level", () => {
    const h = explain(files, "kvm-1");
    assert.deepEqual(h.connection, {
      user: "ubuntu",
      key_file: "keys/deploy",
      connect_timeout: "10s",
      address: "10.0.0.1",
      transport: "ssh",
      port: 22,
      host_key_checking: "strict",
    });
    assert.deepEqual(h.origins.connection, {
      user: origin("inv.yml", 16, 18, "group", "g"),
      key_file: origin("inv.yml", 13, 30, "all", "all"),
      connect_timeout: origin("p.yml", 5, 28, "profile", "p"),
      address: origin("inv.yml", 7, 18, "host", "kvm-1"),
      transport: DEFAULT_ORIGIN,
      port: DEFAULT_ORIGIN,
      host_key_checking: DEFAULT_ORIGIN,
    });
  });

  test("the default address is the host's name; a set port beats the default", () => {
    const h = explain(files, "bare");
    assert.deepEqual(h.connection, { user: "root", key_file: "keys/deploy", port: 2222, transport: "ssh", address: "bare", host_key_checking: "strict" });
    assert.deepEqual(h.origins.connection.port, origin("inv.yml", 13, 53, "all", "all"));
    assert.deepEqual(h.origins.connection.address, DEFAULT_ORIGIN);
  });

  test("null sets null, removal removes, and a set value replaces the default", () => {
    const h = explain(files, "nulled");
    assert.deepEqual(h.connection, { user: null, port: 2222, host_key_checking: "accept-new", transport: "ssh", address: "nulled" });
    assert.deepEqual(h.origins.connection.user, origin("inv.yml", 10, 18, "host", "nulled"));
    assert.deepEqual(h.origins.connection.host_key_checking, origin("inv.yml", 10, 46, "host", "nulled"));
  });
});

describe("labels", () => {
  test("labels pass through, scalar values as strings", () => {
    const h = explain(`kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: h, labels: {role: web, tier: 1, edge: true}}]\n`, "h");
    assert.deepEqual(h.labels, { role: "web", tier: "1", edge: "true" });
  });
});

describe("files and documents", () => {
  test("every YAML document of every file is read, in path order; other files are ignored", () => {
    const files = {
      "site/hosts.yaml": yml`
        kind: inventory
        api_version: v1beta1
        spec:
          hosts:
          - name: a
            profile: leaf
          - name: b
      `,
      "groups-and-profiles.yml": yml`
        # several documents in one file, and an empty one
        kind: inventory.hypervisor.kvm
        api_version: v1beta1
        spec:
          groups:
          - name: g
            members: [a, b]
            data: {from: g}
        ---
        ---
        kind: profile
        api_version: v1beta1
        spec:
          name: base
          data: {from: base, base: true}
        ---
        kind: profile
        api_version: v1beta1
        spec:
          name: leaf
          parent: base
      `,
      "README.md": "not: [yaml",
      ".sops.yaml": "creation_rules: []\n",
    };
    const s = site(files);
    assert.deepEqual(lint(files), []);
    assert.deepEqual([...s.model.hosts.keys()], ["a", "b"]);
    assert.deepEqual(s.docs.map((d) => `${d.file}#${d.index}`), [
      "groups-and-profiles.yml#0",
      "groups-and-profiles.yml#1",
      "groups-and-profiles.yml#2",
      "groups-and-profiles.yml#3",
      "site/hosts.yaml#0",
    ]);
    const a = s.resolver.resolve("a", true);
    assert.deepEqual(a.vars, { from: "base", base: true });
    assert.deepEqual(a.origins.vars.from, origin("groups-and-profiles.yml", 15, 10, "profile", "base"));
    assert.deepEqual(a.profiles, ["base", "leaf"]);
    const b = s.resolver.resolve("b", true);
    assert.deepEqual(b.vars, { from: "g" });
    assert.deepEqual(b.origins.vars.from, origin("groups-and-profiles.yml", 8, 12, "group", "g"));
  });
});

describe("YAML beyond the plain subset", () => {
  test("anchors, aliases and block scalars resolve and are traced like plain YAML", () => {
    // This file takes the general `yaml` path (fast-yaml.ts declines anchors); the other, the fast path.
    const files = {
      "a.yml": yml`
        kind: inventory
        api_version: v1beta1
        spec:
          hosts:
          - name: h
            data:
              motd: |
                hello
                world
              dns: &dns {servers: [10.0.0.2]}
              backup_dns: *dns
      `,
      "b.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  groups:\n  - name: all\n    data: {dns: {search: x}}\n",
    };
    const h = explain(files, "h");
    assert.deepEqual(h.vars, { dns: { search: "x", servers: ["10.0.0.2"] }, motd: "hello\nworld\n", backup_dns: { servers: ["10.0.0.2"] } });
    assert.deepEqual(h.origins.vars, {
      "dns.search": origin("b.yml", 6, 18, "all", "all"),
      "dns.servers": origin("a.yml", 10, 18, "host", "h"),
      motd: origin("a.yml", 7, 7, "host", "h"),
      // An alias is traced to where its value is written: the anchored map.
      "backup_dns.servers": origin("a.yml", 10, 18, "host", "h"),
    });
  });
});

describe("resolveAll", () => {
  test("returns every host, in definition order", () => {
    const s = site(`kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: b}, {name: a}]\n`);
    assert.deepEqual(Object.keys(resolveAll(s)), ["b", "a"]);
    assert.deepEqual(Object.keys(resolveAll(s, true).a!.origins), ["connection", "vars"]);
  });
});
