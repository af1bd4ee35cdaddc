/**
 * The site design (issue 6): `maas`, `network` and `hardware_profile` documents, the host data that refers to
 * them, and every design rule, asserted as `file:line:col: level: message` (and by rule id: the last test checks
 * that each rule of DESIGN_RULES was seen here).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { z } from "zod";
import { KIND_LIST } from "../../server/inventory/schemas";
import { fileURLToPath } from "node:url";
import {
  DESIGN_RULES,
  DesignDataError,
  designRuleTable,
  formatDiagnostic,
  hostDesign,
  hostHardwareProfile,
  hostNetworks,
  hostNetworkSchema,
  loadSite,
  machineSelector,
  machineSelectorSchema,
  readSiteDir,
  siteJsonSchema,
  type DesignRuleId,
} from "../../server/inventory";
import { writeSecretsFile } from "../../server/secrets";
import { explain, origin, site, yml } from "./helpers";

/** Rule ids seen in any diagnostic of this file. */
const seen = new Set<string>();

/** The site's diagnostics as `file:line:col: level: message`, noting which design rules fired. */
function lint(files: Record<string, string>): string[] {
  const s = site(files);
  for (const d of s.diagnostics) if (d.rule) seen.add(d.rule);
  return s.diagnostics.map(formatDiagnostic);
}

/** A clean design: two networks (IPv4 and IPv6), a hardware profile and a MAAS region. */
const DESIGN = yml`
  kind: network
  api_version: v1beta1
  spec:
    name: mgmt
    vlan: 100
    cidr: 10.0.0.0/24
    gateway: 10.0.0.1
    dns_servers: [10.0.0.2]
    mtu: 1500
    static_range: {start: 10.0.0.10, end: 10.0.0.99}
  ---
  kind: network
  api_version: v1beta1
  spec:
    name: storage
    vlan: 200
    cidr: fd00:20::/64
    gateway: fe80::1
    mtu: 9000
  ---
  kind: hardware_profile
  api_version: v1beta1
  spec:
    name: r650
    nics:
      eno1: {pci_address: 0000:18:00.0}
      eno2: {pci_address: 0000:18:00.1}
    disks:
      os: {path: /dev/sda}
    boot_disk: os
  ---
  kind: maas
  api_version: v1beta1
  spec:
    name: dc1
    url: http://10.0.0.2:5240/MAAS
    api_key: env:MAAS_API_KEY
`;

describe("design documents", () => {
  test("a clean design lints clean and is on the site for the engine", () => {
    const s = site({ "design.yml": DESIGN });
    assert.deepEqual(s.diagnostics.map(formatDiagnostic), []);
    const { src: _src, path: _path, ...region } = s.design.regions.get("dc1")!;
    assert.deepEqual(region, {
      name: "dc1",
      description: undefined,
      url: "http://10.0.0.2:5240/MAAS",
      api_key: "env:MAAS_API_KEY",
      default_distro_series: undefined,
      poll_interval_ms: 10_000,
      deploy_timeout_ms: 2_400_000,
      introspection_secrets: false,
    });
    const mgmt = s.design.networks.get("mgmt")!;
    assert.deepEqual([mgmt.vlan, mgmt.cidr, mgmt.gateway, mgmt.dns_servers, mgmt.mtu, mgmt.static_range], [100, "10.0.0.0/24", "10.0.0.1", ["10.0.0.2"], 1500, { start: "10.0.0.10", end: "10.0.0.99" }]);
    assert.equal(mgmt.subnet.prefix, 24);
    assert.equal(s.design.networks.get("storage")!.subnet.family, 6);
    assert.deepEqual(s.design.networks.get("storage")!.dns_servers, []);
    const r650 = s.design.hardwareProfiles.get("r650")!;
    assert.deepEqual(r650.nics, { eno1: { pci_address: "0000:18:00.0" }, eno2: { pci_address: "0000:18:00.1" } });
    assert.deepEqual(r650.boot_disk, { path: "/dev/sda", alias: "os" });
  });

  test("durations of a region, and a boot disk by path", () => {
    const s = site({
      "d.yml": yml`
        kind: maas
        api_version: v1beta1
        spec: {name: dc2, url: "https://maas.example.net/MAAS", api_key: "env:KEY", poll_interval: 5, deploy_timeout: 1h, default_distro_series: noble}
        ---
        kind: hardware_profile
        api_version: v1beta1
        spec: {name: small, boot_disk: {path: /dev/vda}}
      `,
    });
    assert.deepEqual(s.diagnostics.map(formatDiagnostic), []);
    const dc2 = s.design.regions.get("dc2")!;
    assert.deepEqual([dc2.poll_interval_ms, dc2.deploy_timeout_ms, dc2.default_distro_series], [5000, 3_600_000, "noble"]);
    assert.deepEqual(s.design.hardwareProfiles.get("small")!.boot_disk, { path: "/dev/vda" });
    assert.deepEqual(s.design.hardwareProfiles.get("small")!.nics, {});
  });

  test("networks: cidr host bits, gateway, static range, mtu, a name defined twice, VLANs shared, subnets that overlap", () => {
    const text = yml`
      kind: network
      api_version: v1beta1
      spec:
        name: mgmt
        vlan: 100
        cidr: 10.0.0.5/24
        gateway: 10.0.1.1
        mtu: 100
        static_range: {start: 10.0.0.99, end: 10.0.0.10}
      ---
      kind: network
      api_version: v1beta1
      spec:
        name: mgmt
        cidr: 10.9.0.0/24
      ---
      kind: network
      api_version: v1beta1
      spec:
        name: edge
        vlan: 100
        cidr: 10.1.0.0/24
        gateway: 10.1.0.255
        mtu: 9217
        static_range: {start: 10.1.0.0, end: 10.2.0.1}
      ---
      kind: network
      api_version: v1beta1
      spec:
        name: v6
        cidr: fd00::/64
        gateway: fe80::1
        mtu: 1000
      ---
      kind: network
      api_version: v1beta1
      spec:
        name: v6-wide
        cidr: fd00::/48
        gateway: fd01::1
    `;
    assert.deepEqual(lint({ "net.yml": text }), [
      "net.yml:6:9: error: cidr '10.0.0.5/24' has host bits set; the network is 10.0.0.0/24",
      "net.yml:7:12: error: gateway 10.0.1.1 is outside the subnet of network 'mgmt' (10.0.0.0/24)",
      "net.yml:8:8: error: mtu 100 is outside 576..9216",
      "net.yml:9:41: error: static_range end 10.0.0.10 comes before its start 10.0.0.99",
      "net.yml:14:9: error: network 'mgmt' is defined twice (first at net.yml:4:9); a network has one VLAN and one CIDR",
      "net.yml:21:9: warning: networks 'mgmt' (10.0.0.0/24, at net.yml:5:9) and 'edge' (10.1.0.0/24) share VLAN 100; use one network per VLAN, or give each its own VLAN",
      "net.yml:23:12: error: gateway 10.1.0.255 is the broadcast address of network 'edge' (10.1.0.0/24)",
      "net.yml:24:8: error: mtu 9217 is outside 576..9216",
      "net.yml:25:25: error: static_range start 10.1.0.0 is the network address of network 'edge'",
      "net.yml:25:40: error: static_range end 10.2.0.1 is outside network 'edge' (10.1.0.0/24)",
      // An IPv6 link-local gateway (fe80::1 on v6) is fine; the IPv6 minimum MTU is higher.
      "net.yml:33:8: error: mtu 1000 is outside 1280..9216 (1280 is the IPv6 minimum)",
      "net.yml:39:9: warning: network 'v6-wide' (fd00::/48) overlaps network 'v6' (fd00::/64, at net.yml:31:9)",
      "net.yml:40:12: error: gateway fd01::1 is outside the subnet of network 'v6-wide' (fd00::/48)",
    ]);
    const d = site({ "net.yml": text }).diagnostics.find((x) => x.line === 21)!;
    assert.deepEqual([d.rule, d.severity], ["network.vlan-shared", "warning"]);
  });

  test("network schema: vlan range, addresses, cidr form and unknown fields", () => {
    const text = yml`
      kind: network
      api_version: v1beta1
      spec:
        name: n
        vlan: 4095
        cidr: 10.0.0.0
        gateway: 10.0.0.256
        dns_servers: [10.0.0.2, dns.example.net]
        static_rnage: {start: 10.0.0.10, end: 10.0.0.99}
    `;
    assert.deepEqual(lint({ "net.yml": text }), [
      "net.yml:5:9: error: 'vlan' must be a VLAN id from 0 (untagged) to 4094",
      "net.yml:6:9: error: 'cidr' must be a network address and prefix such as 10.0.0.0/24 or fd00:10::/64",
      "net.yml:7:12: error: 'gateway' must be an IPv4 or IPv6 address such as 10.0.0.5 or fd00::5",
      "net.yml:8:27: error: '1' must be an IPv4 or IPv6 address such as 10.0.0.5 or fd00::5",
      "net.yml:9:3: error: unknown field 'static_rnage' (did you mean 'static_range'?); allowed: name, description, vlan, cidr, gateway, dns_servers, mtu, static_range",
    ]);
  });

  test("hardware profiles: a PCI address used twice, an unknown boot disk, a name defined twice, bad formats", () => {
    const text = yml`
      kind: hardware_profile
      api_version: v1beta1
      spec:
        name: r650
        nics:
          eno1: {pci_address: 0000:18:00.0}
          eno2: {pci_address: 0000:18:00.0}
        disks:
          os: {path: /dev/sda}
        boot_disk: oss
      ---
      kind: hardware_profile
      api_version: v1beta1
      spec:
        name: r650
      ---
      kind: hardware_profile
      api_version: v1beta1
      spec:
        name: bad
        nics:
          eth0: {pci_address: "18:00.0"}
          a-name-longer-than-15: {pci_address: "0000:18:00.2"}
        boot_disk: {path: sda}
    `;
    assert.deepEqual(lint({ "hw.yml": text }), [
      "hw.yml:7:25: error: nics 'eno1' and 'eno2' have the same pci_address 0000:18:00.0",
      "hw.yml:10:14: error: boot_disk 'oss' is not a disk of hardware profile 'r650' (did you mean 'os'?)",
      "hw.yml:15:9: error: duplicate hardware profile 'r650' (first defined at hw.yml:4:9)",
      "hw.yml:22:25: error: 'pci_address' must be a PCI address such as 0000:03:00.0 (domain:bus:device.function)",
      "hw.yml:23:5: error: key 'a-name-longer-than-15' must be an interface name: a letter or digit, then up to 14 letters, digits, '.', '_' or '-'",
      "hw.yml:24:21: error: 'path' must be a device path such as /dev/sda or /dev/disk/by-path/...",
    ]);
  });

  test("maas regions: a key written in the site, a bad env name, a bad url, a name defined twice", () => {
    const text = yml`
      kind: maas
      api_version: v1beta1
      spec:
        name: dc1
        url: http://10.0.0.2:5240/MAAS
        api_key: 3kZ9:aLmX:qwerty
      ---
      kind: maas
      api_version: v1beta1
      spec:
        name: dc1
        url: http://10.0.0.3:5240/MAAS
        api_key: env:1BAD
      ---
      kind: maas
      api_version: v1beta1
      spec:
        name: dc2
        url: ftp://maas
        api_key: env:MAAS_API_KEY
        poll_interval: soon
    `;
    assert.deepEqual(lint({ "maas.yml": text }), [
      "maas.yml:6:12: error: api_key of maas region 'dc1' must not be written in the site: store it with `flightdeck secrets set SITE maas.dc1_key` and write `api_key: secret:maas.dc1_key` (or `api_key: env:MAAS_API_KEY`)",
      "maas.yml:11:9: error: duplicate maas region 'dc1' (first defined at maas.yml:4:9)",
      "maas.yml:19:8: error: 'url' must be the region's API address, such as http://10.0.0.2:5240/MAAS",
      "maas.yml:21:18: error: 'poll_interval' must be a duration such as 500ms, 15s, 5m or 1h",
    ]);
    // The duplicate is not read, so its own api_key is not checked; alone, it is.
    assert.deepEqual(lint({ "maas.yml": text.split("---\n")[1]! }), [
      "maas.yml:6:12: error: api_key 'env:1BAD' of maas region 'dc1' does not name an environment variable (letters, digits and '_', not starting with a digit)",
    ]);
  });
});

describe("a region's secret: api_key is linted like any secret reference", () => {
  let secrets = "";
  before(async () => {
    const recipient = await identityToRecipient(await generateX25519Identity());
    secrets = await writeSecretsFile(null, { maas: { dc1_key: "k" } }, [recipient]);
  });
  const region = (key: string) => `kind: maas\napi_version: v1beta1\nspec:\n  name: dc1\n  url: http://10.0.0.2:5240/MAAS\n  api_key: ${key}\n`;

  test("a key of secrets.yml passes; a missing one is an error at the value, with did-you-mean", () => {
    assert.deepEqual(lint({ "maas.yml": region("secret:maas.dc1_key"), "secrets.yml": secrets }), []);
    assert.deepEqual(lint({ "maas.yml": region("secret:maas.dc1_kye"), "secrets.yml": secrets }), [
      "maas.yml:6:12: error: secret 'maas.dc1_kye' is not a key of secrets.yml (did you mean 'maas.dc1_key'?)",
    ]);
    assert.deepEqual(lint({ "maas.yml": region("secret:maas.dc1_key") }), ["maas.yml:6:12: error: secret 'maas.dc1_key' is referenced, but the site has no secrets.yml"]);
  });
});

/** Hosts on the clean design; `hv` is a profile, `all` a group, both with design data. */
describe("host design data", () => {
  test("references that do not exist, interfaces not on the hardware profile, and data of the wrong shape, each at the line that writes it", () => {
    const inventory = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: kvm-1
          profile: hv
          data:
            hardware_profile: r65O
            networks:
              mgnt: {address: 10.0.0.11}
              storage: {address: fd00:20::11, interface: eno3}
        - name: kvm-2
          profile: hv
          data:
            maas: {region: dc2, system_id: abc123}
            networks:
              mgmt: {address: 10.0.0.12, interface: eth0}
        - name: kvm-3
          profile: hv
          data:
            maas: {system_id: XYZ, sytem_id: abc}
            networks: [mgmt]
        - name: kvm-4
          profile: hv
          data:
            networks: {storage: {address: "fd00:20::14"}}
        groups:
        - name: all
          data:
            networks:
              mgmt: {interface: eno1}
              storage: {interface: eno3}
      ---
      kind: profile
      api_version: v1beta1
      spec:
        name: hv
        data:
          hardware_profile: r650
          maas: {region: dc1, pool: compute}
    `;
    assert.deepEqual(lint({ "design.yml": DESIGN, "inv.yml": inventory }), [
      // kvm-1's hardware profile does not exist: its interfaces are not checked against anything.
      "inv.yml:8:25: error: hardware profile 'r65O' does not exist (did you mean 'r650'?)",
      "inv.yml:10:9: error: network 'mgnt' does not exist (did you mean 'mgmt'?)",
      "inv.yml:15:22: error: maas region 'dc2' does not exist (did you mean 'dc1'?)",
      "inv.yml:17:47: error: interface 'eth0' is not a NIC of hardware profile 'r650' (its nics: eno1, eno2)",
      "inv.yml:21:25: error: 'system_id' must be a MAAS system id such as 4y3h7n",
      "inv.yml:21:30: error: unknown field 'sytem_id' (did you mean 'system_id'?); allowed: region, system_id, hostname, zone, pool, tags, arch, distro_series",
      "inv.yml:22:17: error: 'networks' must be a map, not a list",
      // kvm-2, kvm-3 and kvm-4 inherit storage's interface from the all group: one error, where it is written.
      "inv.yml:32:30: error: interface 'eno3' is not a NIC of hardware profile 'r650' (did you mean 'eno1'?)",
    ]);
  });

  test("data of the wrong shape in a profile is reported once, in the profile", () => {
    const files = {
      "design.yml": DESIGN,
      "inv.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: a, profile: p}, {name: b, profile: p}]\n",
      "p.yml": "kind: profile\napi_version: v1beta1\nspec:\n  name: p\n  data:\n    maas: {region: dc1, zone: [a]}\n    hardware_profile: 5\n",
    };
    assert.deepEqual(lint(files), ["p.yml:6:31: error: 'zone' must be a string, not a list", "p.yml:7:23: error: 'hardware_profile' must be a string, not number 5"]);
    const missing = { ...files, "p.yml": "kind: profile\napi_version: v1beta1\nspec:\n  name: p\n  data:\n    maas: {pool: x}\n" };
    assert.deepEqual(lint(missing), ["p.yml:6:5: error: missing required field 'region' in maas"]);
  });

  test("addresses: outside the CIDR, of the other family, reserved, and duplicates naming both hosts", () => {
    const inventory = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: a
          data:
            networks: {mgmt: {address: 10.0.1.5}}
        - name: b
          data:
            networks: {mgmt: {address: 10.0.0.1}, storage: {address: 10.0.0.7}}
        - name: c
          data:
            networks: {mgmt: {address: 10.0.0.255}}
        - name: d
          data:
            networks: {mgmt: {address: 10.0.0.20}}
        - name: e
          data:
            networks: {mgmt: {address: 10.0.0.20}}
        - name: f
        - name: g
        - name: h
        - name: i
        groups:
        - name: pair
          members: [f, g]
          data:
            networks: {mgmt: {address: 10.0.0.30}, storage: {address: "fd00:20:0::30"}}
        - name: other
          members: [a]
          data:
            networks: {storage: {address: "fd00:20::30"}}
        - name: far
          members: [h, i]
          data:
            networks: {mgmt: {address: 10.5.0.1}}
    `;
    assert.deepEqual(lint({ "design.yml": DESIGN, "inv.yml": inventory }), [
      "inv.yml:7:34: error: address 10.0.1.5 of host 'a' is outside network 'mgmt' (10.0.0.0/24)",
      "inv.yml:10:34: error: address 10.0.0.1 of host 'b' is the gateway address of network 'mgmt'",
      "inv.yml:10:64: error: address 10.0.0.7 of host 'b' is outside network 'storage' (fd00:20::/64)",
      "inv.yml:13:34: error: address 10.0.0.255 of host 'c' is the broadcast address of network 'mgmt'",
      "inv.yml:19:34: error: address 10.0.0.20 on network 'mgmt' is given to hosts 'd' and 'e' (first at inv.yml:16:34)",
      // One group giving one address to its two members: one error, at the group.
      "inv.yml:28:34: error: address 10.0.0.30 on network 'mgmt' is given to hosts 'f' and 'g', all inheriting it from here",
      // Two spellings of one IPv6 address are one address.
      "inv.yml:28:65: error: address fd00:20::30 on network 'storage' is given to hosts 'a', 'f' and 'g' (first at inv.yml:32:37)",
      // Hosts that inherit one bad address share one error, naming them.
      "inv.yml:36:34: error: address 10.5.0.1 of hosts 'h' and 'i' is outside network 'mgmt' (10.0.0.0/24)",
    ]);
  });

  test("MAAS: duplicate system ids and MAAS host names, and host names that are not hostnames", () => {
    const inventory = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: web_1
          data: {maas: {region: dc1}}
        - name: web-2
          data: {maas: {region: dc1, hostname: web_2}}
        - name: n1
          data: {maas: {region: dc1, system_id: abc123, hostname: WEB-3}}
        - name: n2
          data: {maas: {region: dc1, system_id: abc123}}
        - name: web-3
          data: {maas: {region: dc1}}
        - name: db_1
        - name: db_2
          connection: {address: 10.0.0.40}
        - name: db_3
          connection: {transport: local}
        - name: r1
          profile: racked
        - name: r2
          profile: racked
      ---
      kind: profile
      api_version: v1beta1
      spec:
        name: racked
        data:
          maas: {region: dc1, system_id: qqq111}
    `;
    assert.deepEqual(lint({ "design.yml": DESIGN, "inv.yml": inventory }), [
      "inv.yml:5:11: error: host name 'web_1' is not a valid hostname (RFC 1123: dot-separated labels of letters, digits and '-', no '_'); rename the host or set maas.hostname",
      "inv.yml:8:42: error: maas.hostname 'web_2' is not a valid hostname (RFC 1123: dot-separated labels of letters, digits and '-', no '_')",
      "inv.yml:12:43: error: system_id 'abc123' is given to hosts 'n1' and 'n2' (first at inv.yml:10:43); a system id names one machine",
      // MAAS host names are case-insensitive: n1's WEB-3 is web-3's name.
      "inv.yml:13:11: error: MAAS host name 'web-3' in region 'dc1' is given to hosts 'n1' and 'web-3' (first at inv.yml:10:61)",
      // Without maas data, an invalid name is a warning only where SSH would use it as the address.
      "inv.yml:15:11: warning: host name 'db_1' is not a valid hostname (RFC 1123: dot-separated labels of letters, digits and '-', no '_') but is the host's connection address; set connection.address or rename the host",
      "inv.yml:30:36: error: system_id 'qqq111' is given to hosts 'r1' and 'r2', all inheriting it from here; a system id names one machine",
    ]);
  });

  test("a broken design document is not reported again as missing where hosts name it", () => {
    const files = {
      "design.yml": "kind: network\napi_version: v1beta1\nspec: {name: mgmt, cidr: 10.0.0.0/33}\n",
      "inv.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: a, data: {networks: {mgmt: {address: 10.0.0.5}}}}]\n",
    };
    assert.deepEqual(lint(files), ["design.yml:3:26: error: 'cidr' must be a network address and prefix such as 10.0.0.0/24 or fd00:10::/64"]);
  });

  test("without design documents, maas, networks and hardware_profile are plain variables", () => {
    const inventory = yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: web_1
          data:
            maas: {key: x}
            networks: [a, b]
            hardware_profile: {any: thing}
    `;
    assert.deepEqual(lint({ "inv.yml": inventory }), []);
    assert.equal(site({ "inv.yml": inventory }).design.networks.size, 0);
  });
});

describe("the engine's view of a host", () => {
  const files = {
    "design.yml": DESIGN,
    "inv.yml": yml`
      kind: inventory
      api_version: v1beta1
      spec:
        hosts:
        - name: node-1
          profile: compute
          data:
            maas: {system_id: 4y3h7n}
            networks: {mgmt: {address: 10.0.0.31}, storage: null}
        - name: plain
    `,
    "profiles.yml": yml`
      kind: profile
      api_version: v1beta1
      spec:
        name: compute
        data:
          hardware_profile: r650
          maas: {region: dc1, pool: compute, tags: [virtual]}
          networks:
            mgmt: {interface: eno1}
            storage: {interface: eno2}
    `,
  };

  test("the maas selector is inherited from the profile, and the host adds its system_id", () => {
    const h = explain(files, "node-1");
    assert.deepEqual(machineSelector(h.vars), { region: "dc1", pool: "compute", tags: ["virtual"], system_id: "4y3h7n" });
    assert.deepEqual(h.origins.vars["maas.region"], origin("profiles.yml", 7, 12, "profile", "compute"));
    assert.deepEqual(h.origins.vars["maas.system_id"], origin("inv.yml", 8, 14, "host", "node-1"));
    // A network set to null is one the host left.
    assert.deepEqual(hostNetworks(h.vars), { mgmt: { address: "10.0.0.31", interface: "eno1" } });
    assert.equal(hostHardwareProfile(h.vars), "r650");
  });

  test("a host without design data, and invalid data (lint reports it; the accessors refuse it)", () => {
    const s = loadSite(Object.entries(files).map(([path, content]) => ({ path, content })));
    const vars = s.resolver.resolve("plain").vars;
    assert.equal(machineSelector(vars), undefined);
    assert.deepEqual(hostNetworks(vars), {});
    assert.equal(hostHardwareProfile(vars), undefined);
    assert.equal(machineSelector({ maas: null }), undefined);
    assert.throws(() => machineSelector({ maas: { pool: "x" } }), (e: unknown) => e instanceof DesignDataError && e.message === "invalid 'maas' data: missing required field 'region' in maas");
    assert.throws(() => hostNetworks({ networks: { mgmt: { address: "10.0.0.300" } } }), /invalid 'networks' data: 'address' must be an IPv4 or IPv6 address/);
  });

  test("the demo site's design", () => {
    const demo = loadSite(readSiteDir(fileURLToPath(new URL("../../examples/ha-kvm", import.meta.url))));
    assert.deepEqual(demo.diagnostics.map(formatDiagnostic), []);
    assert.deepEqual([...demo.design.networks.keys()], ["mgmt", "storage"]);
    assert.deepEqual([...demo.design.regions.keys()], ["dc1"]);
    assert.equal(demo.design.regions.get("dc1")!.api_key, "env:MAAS_API_KEY");
    const kvm = demo.resolver.resolve("kvm-1", true);
    assert.deepEqual(hostNetworks(kvm.vars), { mgmt: { address: "192.168.100.11", interface: "mgmt0" }, storage: { address: "10.20.0.11", interface: "storage0" } });
    assert.equal(kvm.origins.vars["networks.mgmt.interface"]?.source, "kvm-host");
    assert.equal(kvm.origins.vars["networks.mgmt.address"]?.source, "kvm-1");
    const node = demo.resolver.resolve("node-1", true);
    assert.deepEqual(machineSelector(node.vars), { region: "dc1", pool: "compute", tags: ["virtual"], system_id: "x7kq3n" });
    assert.equal(node.origins.vars["maas.region"]?.source, "compute-nodes");
    assert.equal(machineSelector(demo.resolver.resolve("infra-1").vars), undefined);
  });

  test("hostDesign: a host's region, hardware and networks with the documents they name", () => {
    const demo = loadSite(readSiteDir(fileURLToPath(new URL("../../examples/ha-kvm", import.meta.url))));
    const kvm = hostDesign(demo, "kvm-1")!;
    assert.equal(kvm.machine, undefined);
    assert.equal(kvm.hardware?.name, "kvm-hypervisor");
    assert.deepEqual(
      kvm.networks.map((n) => [n.network.name, n.network.vlan, n.address, n.interface, n.nic?.pci_address]),
      [
        ["mgmt", 100, "192.168.100.11", "mgmt0", "0000:18:00.0"],
        ["storage", 200, "10.20.0.11", "storage0", "0000:3b:00.0"],
      ],
    );
    const node = hostDesign(demo, "node-2")!;
    assert.deepEqual([node.machine?.region.name, node.machine?.region.url, node.machine?.selector.system_id], ["dc1", "http://192.168.100.21:5240/MAAS", "p4w8md"]);
    assert.deepEqual(node.networks.map((n) => [n.network.name, n.address, n.interface, n.nic]), [["mgmt", "192.168.100.32", "enp1s0", undefined]]);
    // Without design documents there is no design, whatever the variables say.
    assert.equal(hostDesign(site({ "inv.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: a, data: {maas: {key: x}}}]\n" }), "a"), undefined);
    // On a site lint rejects, it refuses rather than guess.
    const broken = site({ "design.yml": DESIGN, "inv.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: a, data: {maas: {region: dc9}}}]\n" });
    assert.throws(() => hostDesign(broken, "a"), /host 'a': maas region 'dc9' does not exist/);
  });
});

describe("the resolver's helpers for design checks", () => {
  test("setterOf names the level explain names as the origin, for every value of every host", () => {
    const s = site({
      "inv.yml": yml`
        kind: inventory
        api_version: v1beta1
        spec:
          hosts:
          - {name: a, profile: child, data: {networks: {mgmt: {address: 10.0.0.5}}, tags: [x]}}
          - {name: b, profile: child, data: {"!maas": ~, maas: {region: x}}}
          - {name: c, data: {networks: {"!mgmt": ~, storage: {}}}}
          groups:
          - name: all
            data: {maas: {region: dc1, pool: a}, networks: {mgmt: {interface: eno1}}, tags: [y, z]}
          - name: g
            members: [a, c]
            data: {networks: {mgmt: {interface: eno2, address: 10.0.0.9}}}
        ---
        kind: profile
        api_version: v1beta1
        spec: {name: root, data: {maas: {pool: b}}}
        ---
        kind: profile
        api_version: v1beta1
        spec: {name: child, parent: root, data: {maas: {zone: z}, hardware_profile: r650}}
      `,
    });
    let checked = 0;
    for (const name of s.model.hosts.keys()) {
      const h = s.resolver.resolve(name, true);
      const walk = (v: unknown, path: (string | number)[]) => {
        if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length) {
          for (const [k, c] of Object.entries(v)) walk(c, [...path, k]);
          return;
        }
        const o = h.origins.vars[path.map(String).join(".")]!;
        const setter = s.resolver.setterOf(name, path)!;
        assert.deepEqual([setter.kind, setter.source], [o.level, o.source], `${name} ${path.join(".")}`);
        checked++;
      };
      walk(h.vars, []);
    }
    assert.equal(checked, 15);
    // A map: the most specific level that sets anything in it.
    assert.equal(s.resolver.setterOf("b", ["maas"])!.source, "b");
    assert.equal(s.resolver.setterOf("a", ["maas"])!.source, "child");
    assert.equal(s.resolver.setterOf("a", ["tags", 0])!.source, "a");
    assert.equal(s.resolver.setterOf("a", ["nothing"]), undefined);
  });


  test("gives exactly the keys resolve gives, removals and merges included", () => {
    const s = site({
      "inv.yml": yml`
        kind: inventory
        api_version: v1beta1
        spec:
          hosts:
          - {name: a, profile: p, data: {networks: {mgmt: {address: 10.0.0.5}}, other: 1}}
          - {name: b, profile: p, data: {"!networks": ~}}
          - {name: c, profile: p, data: {"!maas": ~, maas: {region: x}}}
          - {name: d}
          - {name: e, data: {hardware_profile: null, networks: {"!mgmt": ~, storage: {}}}}
          groups:
          - name: all
            data: {maas: {region: dc1, pool: a}, networks: {mgmt: {interface: eno1}}}
        ---
        kind: profile
        api_version: v1beta1
        spec: {name: p, data: {maas: {pool: b}, hardware_profile: r650}}
      `,
    });
    const keys = ["maas", "networks", "hardware_profile"] as const;
    for (const name of s.model.hosts.keys()) {
      const all = s.resolver.resolve(name).vars;
      const expected = Object.fromEntries(keys.filter((k) => k in all).map((k) => [k, all[k]]));
      assert.deepEqual(s.resolver.resolveVars(name, keys), expected, name);
    }
    assert.deepEqual(s.resolver.resolveVars("c", keys).maas, { region: "x" });
    assert.deepEqual(s.resolver.resolveVars("e", keys), { maas: { region: "dc1", pool: "a" }, networks: { storage: {} }, hardware_profile: null });
  });
});

describe("the editor's JSON Schema", () => {
  test("knows the design kinds and their fields, with descriptions", () => {
    const schema = siteJsonSchema() as { allOf: { if: { properties: { kind: { const?: string } } }; then: { properties: { spec: { properties: Record<string, { description?: string }> } } } }[] };
    const byKind = new Map(schema.allOf.map((b) => [b.if.properties.kind.const, b.then.properties.spec.properties]));
    assert.deepEqual(Object.keys(byKind.get("maas")!), ["name", "description", "url", "api_key", "default_distro_series", "poll_interval", "deploy_timeout", "introspection"]);
    assert.deepEqual(Object.keys(byKind.get("network")!), ["name", "description", "vlan", "cidr", "gateway", "dns_servers", "mtu", "static_range"]);
    assert.deepEqual(Object.keys(byKind.get("hardware_profile")!), ["name", "description", "vendor", "model", "nics", "disks", "boot_disk"]);
    for (const kind of ["maas", "network", "hardware_profile"]) {
      for (const [field, s] of Object.entries(byKind.get(kind)!)) assert.ok(s.description, `${kind}.${field} has a description`);
    }
  });

  test("every field of the host data schemas is described too", () => {
    const fields = (schema: z.ZodType) => Object.entries((z.toJSONSchema(schema) as { properties: Record<string, { description?: string }> }).properties);
    for (const [field, s] of [...fields(machineSelectorSchema), ...fields(hostNetworkSchema)]) assert.ok(s.description, field);
  });

  test("an unknown kind close to a design kind gets a suggestion", () => {
    assert.deepEqual(lint({ "n.yml": "kind: networks\napi_version: v1beta1\nspec: {}\n" }), [
      `n.yml:1:7: error: unknown kind 'networks' (did you mean 'network'?); expected one of: ${KIND_LIST}`,
    ]);
  });
});

describe("the rule table", () => {
  test("each rule has a level and a summary", () => {
    const table = designRuleTable();
    assert.equal(table.length, Object.keys(DESIGN_RULES).length);
    for (const row of table) assert.ok((row.level === "error" || row.level === "warning") && row.summary.length > 10, row.id);
    assert.deepEqual(
      table.filter((r) => r.level === "warning").map((r) => r.id),
      ["network.vlan-shared", "network.overlap", "host.hostname-address"],
    );
  });

  after(() => {
    const missing = (Object.keys(DESIGN_RULES) as DesignRuleId[]).filter((id) => !seen.has(id));
    assert.deepEqual(missing, [], "every design rule is exercised by a test in this file");
  });
});
