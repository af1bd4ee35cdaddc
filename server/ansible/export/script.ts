/**
 * The same inventory in Ansible's inventory-script protocol (`flightdeck inventory SITE --list`, REST
 * `inventory.json`): `{"all": {...}, GROUP: {"hosts": [...], "children": [...], "vars": {...}}, "_meta":
 * {"hostvars": {...}}}`, with the variables placed as in the bundle (./inventory). `--host` prints one host's
 * complete variables. The JSON is written key by key, so groups and hosts keep the site's order (a plain object
 * would put names that look like numbers first).
 */
import { ALL } from "../../inventory/model";
import type { AnsibleInventory } from "./inventory";
import { ExportError } from "./errors";
import { FileSecret, VaultValue } from "./yaml";

/** `--list`: every group with its own hosts, children and variables, then every host's own variables. */
export function inventoryList(inv: AnsibleInventory): string {
  const groups: [string, string][] = [];
  const group = (hosts: readonly string[], children: readonly string[], vars: Record<string, unknown> | undefined) => {
    const fields: [string, unknown][] = [];
    if (hosts.length) fields.push(["hosts", hosts]);
    if (children.length) fields.push(["children", children]);
    if (vars && Object.keys(vars).length) fields.push(["vars", vars]);
    return object(fields.map(([k, v]) => [k, value(v)]));
  };
  // Every host under `all` first, in the site's order: Ansible adds hosts in the order it meets them.
  groups.push([ALL, group(inv.hosts, inv.top, inv.groupVars.get(ALL))]);
  for (const g of inv.groups) groups.push([g.name, group(g.hosts, g.children, inv.groupVars.get(g.name))]);
  const hostvars = object(inv.hosts.filter((h) => inv.hostVars.has(h)).map((h) => [h, value(inv.hostVars.get(h))]));
  groups.push(["_meta", object([["hostvars", hostvars]])]);
  return object(groups);
}

/** `--host H`: the host's complete variables. */
export function inventoryHost(inv: AnsibleInventory, host: string): string {
  return value(inv.vars.get(host) ?? {});
}

function object(fields: readonly [string, string][]): string {
  return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`;
}

/** JSON of a value; a vault value as Ansible's JSON decoder reads one. A secret only a vaulted file can hold has no place here. */
function value(v: unknown): string {
  return JSON.stringify(v, (_key, x: unknown) => {
    if (x instanceof FileSecret) throw new ExportError("an inventory script cannot hold a secret that is not a string (only a vault-encrypted file can)");
    return x instanceof VaultValue ? { __ansible_vault: x.envelope } : x;
  });
}
