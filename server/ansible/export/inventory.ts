/**
 * A site as an Ansible inventory: its hosts and groups as Flightdeck has them, and for every host exactly the
 * variables `flightdeck resolve` gives it, plus its connection as `ansible_*` variables (./connection).
 *
 * Ansible combines a host's variables differently: a higher level *replaces* a top-level variable (no deep
 * merge, no `!key` removal), `all` comes first, then the other groups by depth, `ansible_group_priority` and
 * name (not Flightdeck's declaration order), then the host's own. So the values Flightdeck resolves are
 * written, never the levels they came from, and placed where Ansible cannot get them wrong:
 *  - a variable goes on a group (group_vars/) only with the value most of its hosts have (at least two), and only
 *    when every host of the group has the variable at all: Ansible cannot unset a group's variable for one host;
 *  - then each host's variables are worked out Ansible's way, and every one that comes out different from the
 *    host's resolved value is written for the host (host_vars/), which Ansible ranks above every group.
 * The result is exact by construction; the tests check it against the real `ansible-inventory`.
 */
import { referenceOf } from "../../engine/secrets";
import { ALL, type Data } from "../../inventory/model";
import type { Site } from "../../inventory";
import { connectionVars, ExplicitConnections, type PathKind } from "./connection";
import { ExportError } from "./errors";
import { FileSecret, VaultValue } from "./yaml";

export interface AnsibleBundleOptions {
  /** Only these hosts (already expanded); all when absent. Groups keep only members among them. */
  hosts?: readonly string[];
  /** How a `secret:`/`env:` reference appears: "reference" keeps the string as written (default);
   *  otherwise the function returns the plaintext (D: real values, written only to a 0600 file) or
   *  an already-vault-encrypted block (B's --reveal), or `{vaultFile: value}` for a value that is not a
   *  string (a number, a map), kept as itself in a vars file that `vaultFile` then encrypts whole. */
  secret?: (ref: string, host: string) => string | { vault: string } | { vaultFile: unknown };
  /** Encrypts a whole vars file with Ansible Vault; needed when `secret` returns `{vaultFile}`. */
  vaultFile?: (text: string) => string;
  /** Maps a connection's key_file / known_hosts value to the path written (D: absolute, policy-checked). */
  path?: (kind: PathKind, value: string, host: string) => string;
}

export interface ExportedGroup {
  name: string;
  /** Nested groups, in the site's order. */
  children: string[];
  /** Its own members among the exported hosts, in the site's order. */
  hosts: string[];
}

export interface AnsibleInventory {
  /** The exported hosts, in the site's order. */
  hosts: string[];
  /** Every group but `all`, parents before children, siblings as declared. */
  groups: ExportedGroup[];
  /** Groups with no parent but `all`. */
  top: string[];
  /** Variables written for a group (`all` included); only groups that have some. */
  groupVars: Map<string, Data>;
  /** Variables written for a host; only hosts that need some. */
  hostVars: Map<string, Data>;
  /** Each exported host's complete variables, as Ansible will see them. */
  vars: Map<string, Data>;
}

export const UNGROUPED = "ungrouped";
/** The groups of a host in none (one array for all of them: placement caches by group set). */
const ALL_UNGROUPED: readonly string[] = [ALL, UNGROUPED];

/**
 * Variables Ansible sets itself (magic variables, and those `ansible-inventory` leaves out for that reason): a
 * site variable of the same name would be silently replaced in every playbook, so it is refused.
 */
export const ANSIBLE_RESERVED = new Set([
  "ansible_check_mode",
  "ansible_collection_name",
  "ansible_config_file",
  "ansible_dependent_role_names",
  "ansible_diff_mode",
  "ansible_facts",
  "ansible_forks",
  "ansible_inventory_sources",
  "ansible_limit",
  "ansible_play_batch",
  "ansible_play_hosts",
  "ansible_play_hosts_all",
  "ansible_play_name",
  "ansible_play_role_names",
  "ansible_playbook_python",
  "ansible_role_name",
  "ansible_role_names",
  "ansible_run_tags",
  "ansible_skip_tags",
  "ansible_verbosity",
  "ansible_version",
  "group_names",
  "groups",
  "hostvars",
  "inventory_dir",
  "inventory_file",
  "inventory_hostname",
  "inventory_hostname_short",
  "omit",
  "play_hosts",
  "playbook_dir",
  "role_name",
  "role_names",
  "role_path",
  "role_uuid",
]);

/** Variables never written on a group: in an inventory script's group `vars`, this one would set the group's priority instead. */
const HOST_ONLY = new Set(["ansible_group_priority"]);

export function ansibleInventory(site: Site, options: AnsibleBundleOptions = {}): AnsibleInventory {
  const { model, resolver } = site;
  const hosts = exportedHosts(site, options.hosts);
  const exported = new Set(hosts);

  const groups: ExportedGroup[] = [...model.groups.values()]
    .filter((g) => g.name !== ALL)
    .sort((a, b) => model.groupOrder.get(a.name)! - model.groupOrder.get(b.name)!)
    .map((g) => ({ name: g.name, children: [...g.children], hosts: g.members.filter((h) => exported.has(h)) }));
  const top = groups.filter((g) => !model.parentOf.has(g.name)).map((g) => g.name);

  // Ansible's view of each host's groups: Flightdeck's, and `ungrouped` for a host in no group.
  const groupsOf = new Map<string, readonly string[]>();
  for (const h of hosts) {
    const fd = resolver.groupsOf(h);
    if (fd.length === 1) groupsOf.set(h, ALL_UNGROUPED);
    else {
      if (fd.includes(UNGROUPED) && fd.some((g) => g !== ALL && g !== UNGROUPED)) {
        const def = model.groups.get(UNGROUPED)!;
        throw new ExportError(
          `${def.src.where([...def.path, "name"])}: group '${UNGROUPED}' cannot be exported: Ansible keeps in it only hosts that are in no other group, and host '${h}' is also in '${fd.find((g) => g !== ALL && g !== UNGROUPED)}' (rename the group)`,
        );
      }
      groupsOf.set(h, fd);
    }
  }

  const vars = new Map<string, Data>();
  const explicit = new ExplicitConnections(site);
  const path = options.path ?? ((_kind: PathKind, value: string) => value);
  for (const h of hosts) vars.set(h, hostVariables(site, h, explicit, options.secret, path));

  const { groupVars, hostVars } = place(site, hosts, groupsOf, vars);
  return { hosts, groups, top, groupVars, hostVars, vars };
}

function exportedHosts(site: Site, only: readonly string[] | undefined): string[] {
  const all = [...site.model.hosts.keys()];
  if (!only) return all;
  const wanted = new Set(only);
  for (const h of wanted) if (!site.model.hosts.has(h)) throw new ExportError(`no host named '${h}' in the site`);
  return all.filter((h) => wanted.has(h));
}

/** A host's resolved variables with references substituted as asked, and its connection's `ansible_*` variables. */
function hostVariables(
  site: Site,
  host: string,
  explicit: ExplicitConnections,
  secret: AnsibleBundleOptions["secret"],
  path: (kind: PathKind, value: string, host: string) => string,
): Data {
  const { vars: resolved, connection: resolvedConnection } = site.resolver.resolve(host);
  for (const key of Object.keys(resolved)) {
    if (ANSIBLE_RESERVED.has(key)) throw new ExportError(`${setterOf(site, host, key)}variable '${key}' of host '${host}' is a name Ansible sets itself; rename it to export the site`);
  }
  const connection = connectionVars(site, explicit, host, resolvedConnection, { path });
  const out: Data = secret ? substitute(resolved, host, secret) : { ...resolved };
  for (const [key, value] of Object.entries(connection)) {
    if (key in resolved) {
      if (canonical(resolved[key]) !== canonical(value)) {
        throw new ExportError(
          `${setterOf(site, host, key)}variable '${key}' of host '${host}' is ${JSON.stringify(resolved[key])}, but its connection makes it ${JSON.stringify(value)}; keep one of them`,
        );
      }
      continue;
    }
    out[key] = secret && typeof value === "string" && key !== "ansible_ssh_private_key_file" ? substitute(value, host, secret) : value;
  }
  return out;
}

/** `file:line:col: ` of the level that sets a host's variable, for messages. */
function setterOf(site: Site, host: string, key: string): string {
  const setter = site.resolver.setterOf(host, [key]);
  return setter ? `${setter.place.src.where([...setter.place.path, "data", key], true)}: ` : "";
}

function substitute<T>(value: T, host: string, secret: NonNullable<AnsibleBundleOptions["secret"]>): T {
  const walk = (v: unknown): unknown => {
    const ref = referenceOf(v);
    if (ref !== undefined) {
      const out = secret(ref, host);
      if (typeof out === "string") return out;
      return "vault" in out ? new VaultValue(out.vault) : new FileSecret(out.vaultFile);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object" && !(v instanceof VaultValue) && !(v instanceof FileSecret)) return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, walk(c)]));
    return v;
  };
  return walk(value) as T;
}

/** Where each variable is written (see the top of this file). */
function place(site: Site, hosts: readonly string[], groupsOf: Map<string, readonly string[]>, vars: Map<string, Data>) {
  const { model } = site;
  // Ansible's order of groups: depth below `all`, then priority (always 1 here), then name.
  const depth = new Map<string, number>([[ALL, 0], [UNGROUPED, 1]]);
  const depthOf = (g: string): number => {
    let d = depth.get(g);
    if (d === undefined) depth.set(g, (d = depthOf(model.parentOf.get(g) ?? ALL) + 1));
    return d;
  };
  const ansibleOrder = new Map<readonly string[], string[]>();
  const sorted = (groups: readonly string[]) => {
    let s = ansibleOrder.get(groups);
    if (!s) {
      const rest = groups.filter((g) => g !== ALL).sort((a, b) => depthOf(a) - depthOf(b) || (a < b ? -1 : a > b ? 1 : 0));
      ansibleOrder.set(groups, (s = [ALL, ...rest]));
    }
    return s;
  };

  // Candidate groups in tree order (parents first): `all`, then the declared groups.
  const tree = [ALL, ...[...model.groups.keys()].filter((g) => g !== ALL).sort((a, b) => model.groupOrder.get(a)! - model.groupOrder.get(b)!)];
  const members = new Map<string, string[]>(tree.map((g) => [g, []]));
  for (const h of hosts) for (const g of groupsOf.get(h)!) members.get(g)?.push(h);

  const keys = new Set<string>();
  for (const v of vars.values()) for (const k of Object.keys(v)) keys.add(k);

  const groupVars = new Map<string, Data>();
  const hostVars = new Map<string, Data>();
  const put = (map: Map<string, Data>, name: string, key: string, value: unknown) => {
    let d = map.get(name);
    if (!d) map.set(name, (d = {}));
    d[key] = value;
  };

  for (const key of [...keys].sort()) {
    // The canonical form of each host's value, once.
    const want = new Map<string, string>();
    for (const h of hosts) {
      const v = vars.get(h)!;
      if (key in v) want.set(h, canonical(v[key]));
    }
    const chosen = new Map<string, string>();
    if (!HOST_ONLY.has(key)) {
      for (const g of tree) {
        const m = members.get(g)!;
        if (!m.length || m.some((h) => !want.has(h))) continue;
        let inherited: string | undefined;
        for (let p = g === ALL ? undefined : (model.parentOf.get(g) ?? ALL); p !== undefined && inherited === undefined; p = p === ALL ? undefined : (model.parentOf.get(p) ?? ALL)) {
          inherited = chosen.get(p);
        }
        const counts = new Map<string, number>();
        for (const h of m) counts.set(want.get(h)!, (counts.get(want.get(h)!) ?? 0) + 1);
        let best: string | undefined;
        let most = 0;
        for (const [value, n] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
          if (n > most || (n === most && value === inherited)) [best, most] = [value, n];
        }
        if (best === undefined || best === inherited || most < 2 || most <= (inherited ? (counts.get(inherited) ?? 0) : 0)) continue;
        chosen.set(g, best);
        const holder = m.find((h) => want.get(h) === best)!;
        put(groupVars, g, key, vars.get(holder)![key]);
      }
    }
    // What Ansible makes of the groups' values for each host; host_vars where that is not the host's own.
    // Hosts with the same groups (the same array, from the resolver) get the same: worked out once per set.
    const gotBySet = new Map<readonly string[], string | undefined>();
    for (const h of hosts) {
      const set = groupsOf.get(h)!;
      let got: string | undefined;
      if (chosen.size) {
        if (gotBySet.has(set)) got = gotBySet.get(set);
        else {
          for (const g of sorted(set)) got = chosen.get(g) ?? got;
          gotBySet.set(set, got);
        }
      }
      const mine = want.get(h);
      if (mine === undefined) {
        if (got !== undefined) throw new Error(`export placement: host '${h}' would get '${key}' from a group`); // excluded above; a bug if seen
        continue;
      }
      if (got !== mine) put(hostVars, h, key, vars.get(h)![key]);
    }
  }
  return { groupVars, hostVars };
}

const canonicalOf = new WeakMap<object, string>();

/** A string equal for equal values (maps compared whatever their key order), unambiguous when nested. */
export function canonical(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return `n:${String(v)}`;
  if (typeof v === "boolean" || typeof v === "bigint") return `${typeof v}:${String(v)}`;
  if (typeof v !== "object") return typeof v; // functions and symbols are not site data
  let c = canonicalOf.get(v);
  if (c !== undefined) return c;
  if (v instanceof VaultValue) c = `vault:${JSON.stringify(v.envelope)}`;
  else if (v instanceof FileSecret) c = `secret:${canonical(v.value)}`;
  else if (v instanceof Date) c = `date:${v.toISOString()}`;
  else if (Array.isArray(v)) c = `[${v.map(canonical).join(",")}]`;
  else {
    const map = v as Data;
    c = `{${Object.keys(map)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(map[k])}`)
      .join(",")}}`;
  }
  canonicalOf.set(v, c);
  return c;
}
