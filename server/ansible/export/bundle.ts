/**
 * The Ansible bundle of a site: `ansible.cfg` and an inventory directory `hosts/` (hosts.yml, group_vars/,
 * host_vars/) that `ansible-inventory --list`, run in the bundle's directory, resolves to exactly the variables
 * `flightdeck resolve` gives every host (see ./inventory for how), with its connection as `ansible_*` variables
 * (./connection). The same site and options always give the same bytes.
 */
import type { Site } from "../../inventory";
import { ALL } from "../../inventory/model";
import { ExportError } from "./errors";
import { ansibleInventory, type AnsibleBundleOptions, type AnsibleInventory } from "./inventory";
import { compareKeys, holdsFileSecret, UnwritableValueError, yamlDocument } from "./yaml";

export type { AnsibleBundleOptions } from "./inventory";

const CFG = `# Written by Flightdeck (flightdeck export ansible). Run ansible-playbook or ansible-inventory in this directory.
[defaults]
# The inventory: hosts/hosts.yml with hosts/group_vars/ and hosts/host_vars/ beside it.
inventory = ./hosts
# Group names are the site's own, and may hold '-' or '.': keep them as they are, and say nothing about it.
force_valid_group_names = ignore
# Ansible's own host key check stays on. A host's known_hosts file and host key policy, when the site sets them,
# are in its ansible_ssh_common_args; turning this off would put -o StrictHostKeyChecking=no before them, and ssh
# takes the first value it is given.
host_key_checking = True
`;

/** Files of the bundle, relative paths -> content, sorted, deterministic: ansible.cfg, hosts/hosts.yml,
 *  hosts/group_vars/<g>.yml, hosts/host_vars/<h>.yml. */
export function ansibleBundle(site: Site, options: AnsibleBundleOptions = {}): Map<string, string> {
  return bundleFiles(ansibleInventory(site, options), options);
}

export function bundleFiles(inv: AnsibleInventory, options: Pick<AnsibleBundleOptions, "vaultFile"> = {}): Map<string, string> {
  const document = (vars: Record<string, unknown>, what: string, comments: string[]) => {
    const text = yamlText(vars, what, comments);
    if (!holdsFileSecret(vars)) return text;
    if (!options.vaultFile) throw new ExportError(`${what} holds a secret that is not a string, which only a vault-encrypted file can hold, and no way to encrypt files was given`);
    return options.vaultFile(text);
  };
  const files = new Map<string, string>();
  files.set("ansible.cfg", CFG);
  files.set("hosts/hosts.yml", hostsYaml(inv));
  checkShadowing("group_vars", [ALL, ...inv.groups.map((g) => g.name)], inv.groupVars);
  checkShadowing("host_vars", inv.hosts, inv.hostVars);
  for (const [group, vars] of inv.groupVars) {
    files.set(
      `hosts/group_vars/${group}.yml`,
      document(vars, `group '${group}'`, [
        `Variables of group '${group}' (Flightdeck export): the value most of its hosts resolve to, for keys all of them have.`,
        "A host that resolves to another value has it in host_vars/, which Ansible ranks above every group.",
      ]),
    );
  }
  for (const [host, vars] of inv.hostVars) {
    files.set(`hosts/host_vars/${host}.yml`, document(vars, `host '${host}'`, [`Variables of host '${host}' (Flightdeck export) that its groups do not already give it.`]));
  }
  return new Map([...files].sort((a, b) => compareKeys(a[0], b[0])));
}

function yamlText(vars: Record<string, unknown>, what: string, comments: string[]): string {
  try {
    return yamlDocument(vars, comments);
  } catch (e) {
    if (e instanceof UnwritableValueError) throw new ExportError(`${what}: ${e.message}`);
    throw e;
  }
}

/**
 * hosts.yml: every host under `all.hosts` first, in the site's order (the order Ansible then runs them in),
 * then the groups nested as in the site, each with its own members.
 */
function hostsYaml(inv: AnsibleInventory): string {
  const byName = new Map(inv.groups.map((g) => [g.name, g]));
  const hostList = (hosts: readonly string[]) => new Map(hosts.map((h) => [h, undefined]));
  const group = (name: string): Map<string, unknown> => {
    const g = byName.get(name)!;
    const out = new Map<string, unknown>();
    if (g.hosts.length) out.set("hosts", hostList(g.hosts));
    if (g.children.length) out.set("children", new Map(g.children.map((c) => [c, group(c)])));
    return out;
  };
  const all = new Map<string, unknown>();
  if (inv.hosts.length) all.set("hosts", hostList(inv.hosts));
  if (inv.top.length) all.set("children", new Map(inv.top.map((g) => [g, group(g)])));
  return yamlDocument(new Map([["all", all]]), [
    "Hosts and groups of the site (Flightdeck export). Every host is listed under all.hosts in the site's order,",
    "which is the order Ansible runs them in; the groups follow, nested as in the site, each with its own members.",
    "Variables are in group_vars/ and host_vars/ beside this file.",
  ], { sort: false });
}

/**
 * Ansible reads `<dir>/<name>` if it exists, else `<name>.yml`, `.yaml` or `.json`: the file of host `db` is what
 * it would read for a host named `db.yml` too. Such a pair is refused rather than mixed up.
 */
function checkShadowing(dir: string, names: readonly string[], withVars: Map<string, unknown>) {
  for (const name of names) {
    const other = name.endsWith(".yml") ? name.slice(0, -4) : undefined;
    if (other !== undefined && withVars.has(other)) {
      const what = dir === "host_vars" ? "hosts" : "groups";
      throw new ExportError(`${what} '${other}' and '${name}' cannot be told apart in an Ansible inventory: Ansible would read ${dir}/${other}.yml for both (rename one)`);
    }
  }
}
