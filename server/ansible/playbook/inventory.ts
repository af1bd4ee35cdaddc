/**
 * The run's inventory for one ansible-playbook: the whole site exported from the run's frozen revision (every
 * host and group, so plays and `hostvars` see the site as it is; `--limit` picks the batch), with, for the
 * batch's hosts only, the decrypted values of their `secret:`/`env:` references and their ssh set up as
 * Flightdeck's own (./ssh). Those go in the batch hosts' host_vars/, which Ansible ranks above every group, as
 * whole top-level variables (Ansible replaces a variable, it never merges one), so the export itself is worked
 * out once per site and run (thousands of hosts take seconds) and every batch only adds its own hosts' values.
 */
import { referenceOf } from "../../engine/secrets";
import type { Site } from "../../inventory";
import { bundleFiles } from "../export/bundle";
import { ansibleInventory, type AnsibleInventory } from "../export/inventory";

export interface InventoryInput {
  site: Site;
  /** The batch's hosts: only their references are resolved. */
  hosts: readonly string[];
  secret: (ref: string) => Promise<string>;
  /** A batch host's key file as this run wrote it (inside path), when it has one. */
  keyFile: (host: string) => string | undefined;
  /** Per batch host: its ssh options (`-F file`). */
  sshArgs: ReadonlyMap<string, string>;
}

/** The export of each loaded site, references as written (a site object is one revision; it never changes). */
const exported = new WeakMap<Site, AnsibleInventory>();

/** The inventory's files (relative to the inventory directory). */
export async function playbookInventory(input: InventoryInput): Promise<Map<string, string>> {
  let base = exported.get(input.site);
  if (!base) {
    base = ansibleInventory(input.site);
    exported.set(input.site, base);
  }
  const hostVars = new Map(base.hostVars);
  for (const host of input.hosts) {
    const own: Record<string, unknown> = { ...hostVars.get(host) };
    for (const [key, value] of Object.entries(base.vars.get(host) ?? {})) {
      if (key === "ansible_ssh_private_key_file") continue; // the key itself never goes in a variable
      if (hasReference(value)) own[key] = await substitute(value, input.secret);
    }
    const key = input.keyFile(host);
    if (key !== undefined) own.ansible_ssh_private_key_file = key;
    const ssh = input.sshArgs.get(host);
    if (ssh !== undefined) own.ansible_ssh_common_args = ssh;
    hostVars.set(host, own);
  }
  const files = new Map<string, string>();
  for (const [path, content] of bundleFiles({ ...base, hostVars })) if (path.startsWith("hosts/")) files.set(path.slice("hosts/".length), content);
  return files;
}

function hasReference(value: unknown): boolean {
  if (referenceOf(value) !== undefined) return true;
  if (Array.isArray(value)) return value.some(hasReference);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasReference);
  return false;
}

async function substitute(value: unknown, secret: (ref: string) => Promise<string>): Promise<unknown> {
  const ref = referenceOf(value);
  if (ref !== undefined) return secret(ref);
  if (Array.isArray(value)) return Promise.all(value.map((v) => substitute(v, secret)));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await substitute(v, secret);
    return out;
  }
  return value;
}
