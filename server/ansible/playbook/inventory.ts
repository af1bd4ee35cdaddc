/**
 * The run's inventory for one ansible-playbook: the whole site exported from the run's frozen revision (every
 * host and group, so plays and `hostvars` see the site as it is; `--limit` picks the batch), with the decrypted
 * values of the batch's hosts' `secret:`/`env:` references in place (others keep the reference as written), and
 * each batch host's ssh set up as Flightdeck's own (./ssh) through ansible_ssh_common_args in host_vars/,
 * which Ansible ranks above every group.
 */
import { referenceOf } from "../../engine/secrets";
import type { Site } from "../../inventory";
import { bundleFiles } from "../export/bundle";
import { ansibleInventory } from "../export/inventory";

export interface InventoryInput {
  site: Site;
  /** The batch's hosts: only their references are resolved. */
  hosts: readonly string[];
  secret: (ref: string) => Promise<string>;
  /** A connection's key_file / known_hosts as the run wrote it (paths inside the private directory). */
  path: (kind: "key_file" | "known_hosts", value: string, host: string) => string;
  /** Per batch host: its ssh options (`-F file`). */
  sshArgs: ReadonlyMap<string, string>;
}

/** The inventory's files (relative to the inventory directory), and the references whose values are in them. */
export async function playbookInventory(input: InventoryInput): Promise<{ files: Map<string, string>; refs: string[] }> {
  const values = new Map<string, string>();
  const batch = new Set(input.hosts);
  for (const host of input.hosts) {
    const { vars, connection } = input.site.resolver.resolve(host);
    const { key_file: _key, known_hosts: _known, ...rest } = connection as Record<string, unknown>;
    for (const ref of references([vars, rest])) {
      if (!values.has(ref)) values.set(ref, await input.secret(ref));
    }
  }
  const inv = ansibleInventory(input.site, {
    secret: (ref, host) => (batch.has(host) ? (values.get(ref) ?? ref) : ref),
    path: input.path,
  });
  for (const [host, args] of input.sshArgs) inv.hostVars.set(host, { ...inv.hostVars.get(host), ansible_ssh_common_args: args });
  const files = new Map<string, string>();
  for (const [path, content] of bundleFiles(inv)) if (path.startsWith("hosts/")) files.set(path.slice("hosts/".length), content);
  return { files, refs: [...values.keys()] };
}

function references(value: unknown, out = new Set<string>()): Set<string> {
  const ref = referenceOf(value);
  if (ref !== undefined) out.add(ref);
  else if (Array.isArray(value)) value.forEach((v) => references(v, out));
  else if (value !== null && typeof value === "object") Object.values(value).forEach((v) => references(v, out));
  return out;
}
