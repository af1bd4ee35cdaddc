/**
 * A synthetic but realistic site for benchmarks: hosts spread over several inventory files, a three-level
 * group tree (regions > datacenters > racks) plus flat role groups, and profiles with parent chains. Data has
 * nested maps, lists, per-host addresses and some `"!key": ~` removals, so every resolution rule is exercised.
 * Output is deterministic for given options.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { SiteFile } from "../server/inventory";

export interface SiteShape {
  hosts: number;
  /** Named groups, `all` not counted: a tree of regions, datacenters and racks, plus role groups. */
  groups: number;
  profiles: number;
  /** Inventory files the hosts are spread over. */
  hostFiles: number;
}

export const LARGE: SiteShape = { hosts: 10_000, groups: 200, profiles: 20, hostFiles: 10 };

const ROLES = ["web", "api", "db", "cache", "queue", "search", "worker", "proxy", "monitor", "storage"];
const OSES = ["ubuntu", "debian"];

interface Tree {
  regions: string[];
  datacenters: { name: string; region: string }[];
  racks: { name: string; dc: string }[];
  roles: string[];
}

/** Split `groups` into roles (about a tenth), then regions : datacenters : racks about 1 : 4 : 30. */
function groupTree(total: number): Tree {
  const roleCount = Math.max(1, Math.min(ROLES.length * 2, Math.round(total / 10)));
  const treeCount = Math.max(3, total - roleCount);
  const regionCount = Math.max(1, Math.round(treeCount / 45));
  const dcCount = Math.max(regionCount, Math.round(treeCount / 9));
  const rackCount = treeCount - regionCount - dcCount;
  const regions = Array.from({ length: regionCount }, (_, i) => `region-${i + 1}`);
  const datacenters = Array.from({ length: dcCount }, (_, i) => ({ name: `dc-${i + 1}`, region: regions[i % regionCount]! }));
  const racks = Array.from({ length: rackCount }, (_, i) => ({ name: `rack-${String(i + 1).padStart(3, "0")}`, dc: datacenters[i % dcCount]!.name }));
  const roles = Array.from({ length: roleCount }, (_, i) => (i < ROLES.length ? ROLES[i]! : `${ROLES[i % ROLES.length]!}-${Math.floor(i / ROLES.length) + 1}`));
  return { regions, datacenters, racks, roles };
}

/** Profiles: base, one per OS under it, then role profiles under an OS, some of them a level deeper. */
function profileChains(count: number): { name: string; parent?: string; role?: string; os: string }[] {
  const out: { name: string; parent?: string; role?: string; os: string }[] = [{ name: "base", os: "any" }];
  for (const os of OSES) if (out.length < count) out.push({ name: `${os}-server`, parent: "base", os });
  for (let i = 0; out.length < count; i++) {
    const os = OSES[i % OSES.length]!;
    const role = ROLES[i % ROLES.length]!;
    const name = `${role}-${os}${i >= ROLES.length ? `-${Math.floor(i / ROLES.length) + 1}` : ""}`;
    // Every third role profile inherits from an earlier role profile: chains four or five deep.
    const earlier = out.slice(3).filter((p) => p.os === os);
    const parent = i % 3 === 2 && earlier.length ? earlier[earlier.length - 1]!.name : `${os}-server`;
    out.push({ name, parent, role, os });
  }
  return out;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

function ip(i: number, net: number): string {
  return `10.${net}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
}

export function generateSite(shape: SiteShape): SiteFile[] {
  const tree = groupTree(shape.groups);
  const profiles = profileChains(shape.profiles);
  const leafProfiles = profiles.filter((p) => p.role);
  const width = String(shape.hosts).length;
  const hostNames = Array.from({ length: shape.hosts }, (_, i) => `node-${pad(i + 1, width)}`);
  const rackOf = (i: number) => tree.racks[i % tree.racks.length]!;
  const roleOf = (i: number) => tree.roles[Math.floor(i / 7) % tree.roles.length]!;
  // A host's profile is one made for its role when there is one (web-2 hosts use the web profiles).
  const profileOf = (i: number) => {
    const role = roleOf(i).replace(/-\d+$/, "");
    const fitting = leafProfiles.filter((p) => p.role === role);
    const choice = fitting.length ? fitting : leafProfiles;
    return choice[i % choice.length]!;
  };

  // Hosts, spread over `hostFiles` files.
  const files: SiteFile[] = [];
  const perFile = Math.ceil(shape.hosts / shape.hostFiles);
  for (let f = 0; f * perFile < shape.hosts; f++) {
    const lines = [`# Generated hosts ${f * perFile + 1}-${Math.min(shape.hosts, (f + 1) * perFile)}.`, "kind: inventory.baremetal", "api_version: v1beta1", "spec:", "  hosts:"];
    for (let i = f * perFile; i < Math.min(shape.hosts, (f + 1) * perFile); i++) {
      const rack = rackOf(i);
      const profile = profileOf(i);
      lines.push(
        `  - name: ${hostNames[i]}`,
        `    profile: ${profile.name}`,
        `    labels: {role: ${roleOf(i)}, rack: ${rack.name}, env: ${i % 10 === 0 ? "staging" : "production"}}`,
        `    connection: {address: ${ip(i, 1)}}`,
        "    data:",
        `      ip_address: ${ip(i, 1)}/16`,
        `      bmc: {address: ${ip(i, 2)}, user: admin}`,
        "      interfaces:",
        `        eno1: {mtu: ${i % 4 === 0 ? 9000 : 1500}, addresses: [${ip(i, 1)}/16, ${ip(i, 3)}/16]}`,
        `      disks: [{device: /dev/sda, size_gb: ${240 + (i % 5) * 240}}, {device: /dev/sdb, size_gb: 960}]`,
      );
      if (i % 10 === 3) lines.push('      "!ntp": ~');
      if (i % 25 === 7) lines.push('      sysctl: {"!vm.swappiness": ~, net.core.somaxconn: 4096}');
    }
    files.push({ path: `hosts/hosts-${pad(f + 1, 2)}.yml`, content: `${lines.join("\n")}\n` });
  }

  // Groups: `all`, the region > datacenter > rack tree, and the role groups.
  const g: string[] = ["# Generated groups.", "kind: inventory", "api_version: v1beta1", "spec:", "  groups:"];
  g.push(
    "  - name: all",
    "    connection: {user: deploy, key_file: keys/deploy, connect_timeout: 10s}",
    "    data:",
    "      interface: eno1",
    "      ntp: [0.pool.ntp.org, 1.pool.ntp.org]",
    "      dns: {servers: [10.0.0.2, 10.0.0.3], search: [example.net], options: {ndots: 2, timeout: 1}}",
    "      sysctl: {vm.swappiness: 10, net.ipv4.ip_forward: 0}",
    "      monitoring: {enabled: true, exporters: {node: {port: 9100}}}",
  );
  for (const region of tree.regions) {
    g.push(
      `  - name: ${region}`,
      `    children: [${tree.datacenters.filter((d) => d.region === region).map((d) => d.name).join(", ")}]`,
      "    data:",
      `      region: {name: ${region}, timezone: UTC}`,
      `      dns: {search: [${region}.example.net, example.net]}`,
    );
  }
  tree.datacenters.forEach((dc, d) => {
    g.push(
      `  - name: ${dc.name}`,
      `    children: [${tree.racks.filter((r) => r.dc === dc.name).map((r) => r.name).join(", ")}]`,
      "    data:",
      `      datacenter: {name: ${dc.name}, power: {feeds: [a, b]}}`,
      `      gateway: 10.${100 + d}.0.1`,
      `      ntp: [ntp1.${dc.name}.example.net, ntp2.${dc.name}.example.net]`,
    );
    if (d % 3 === 0) g.push(`    connection: {jump: ${hostNames[d % hostNames.length]!}}`);
  });
  const membersOf = (pred: (i: number) => boolean) => hostNames.filter((_, i) => pred(i));
  tree.racks.forEach((rack, r) => {
    g.push(
      `  - name: ${rack.name}`,
      `    members: [${membersOf((i) => rackOf(i).name === rack.name).join(", ")}]`,
      "    data:",
      `      rack: {name: ${rack.name}, row: ${String.fromCharCode(65 + (r % 26))}, position: ${r % 40}}`,
    );
    if (r % 5 === 0) g.push("      dns: {options: {timeout: 2}}");
  });
  tree.roles.forEach((role, r) => {
    g.push(
      `  - name: ${role}`,
      `    members: [${membersOf((i) => roleOf(i) === role).join(", ")}]`,
      "    data:",
      `      service: {name: ${role}, port: ${8000 + r}, replicas: ${1 + (r % 3)}}`,
      `      firewall: {allow: [${8000 + r}/tcp, 22/tcp]}`,
    );
  });
  files.push({ path: "groups.yml", content: `${g.join("\n")}\n` });

  // Profiles, several documents in one file.
  const docs = profiles.map((p) => {
    const lines = ["kind: profile", "api_version: v1beta1", "spec:", `  name: ${p.name}`];
    if (p.parent) lines.push(`  parent: ${p.parent}`);
    lines.push("  data:");
    if (!p.parent) {
      lines.push("    packages: [openssh-server, chrony, curl]", "    users: [{name: deploy, groups: [sudo]}]", "    sysctl: {fs.file-max: 1048576}");
    } else if (!p.role) {
      lines.push(`    os: {family: ${p.os}, release: ${p.os === "ubuntu" ? "24.04" : "12"}}`, `    packages: [openssh-server, chrony, curl, ${p.os}-keyring]`);
      if (p.os === "debian") lines.push('    "!monitoring": ~');
    } else {
      lines.push(`    packages: [${p.role}-server, ${p.role}-tools]`, `    app: {role: ${p.role}, limits: {nofile: 65536, nproc: 4096}}`, "    sysctl: {net.core.somaxconn: 1024}");
      lines.push(`  connection: {user: ${p.os}}`);
    }
    return lines.join("\n");
  });
  files.push({ path: "profiles.yml", content: `${docs.join("\n---\n")}\n` });
  return files;
}

export function writeSite(dir: string, files: readonly SiteFile[]): void {
  for (const file of files) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.content);
  }
}

export function countLines(files: readonly SiteFile[]): number {
  let n = 0;
  for (const f of files) for (let i = 0; i < f.content.length; i++) if (f.content.charCodeAt(i) === 10) n++;
  return n;
}
