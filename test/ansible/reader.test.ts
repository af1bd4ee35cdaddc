/**
 * The Ansible inventory reader against the real ansible-inventory: for every fixture, every host's variables
 * (as --list prints them) and groups are the same.
 */
import { describe, test } from "node:test";
import { ansibleHostVars, hostGroupNames, readAnsibleInventory } from "../../server/ansible/inventory/read";
import { Secret, type Value } from "../../server/ansible/inventory/values";
import { ansibleInventory, ansibleMissing, assertSameInventory, type InventoryView } from "./support";
import { FIXTURES, fixtureSource } from "./fixtures";

const skip = ansibleMissing();

/** Our reader's view in --list's form: inline vaults as {"__ansible_vault": ...}, vaulted files decrypted. */
function readerView(path: string, vaultPassword?: string): InventoryView {
  const source = readAnsibleInventory(path, { vault: vaultPassword ? [{ password: vaultPassword }] : [] });
  const plain = (v: Value): unknown => {
    if (v instanceof Secret) return v.ciphertext !== undefined ? { __ansible_vault: v.ciphertext } : plain(v.plain!);
    if (Array.isArray(v)) return v.map(plain);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    return v;
  };
  const view: InventoryView = { hostvars: {}, groups: {} };
  for (const host of source.inventory.hosts.values()) {
    view.hostvars[host.name] = Object.fromEntries([...ansibleHostVars(source, host)].map(([k, v]) => [k, plain(v.value)]));
    view.groups[host.name] = hostGroupNames(host);
  }
  return view;
}

describe("reading Ansible inventories as ansible-inventory does", () => {
  for (const fixture of FIXTURES) {
    test(fixture.name, { skip }, () => {
      const { path, passwordFile, password } = fixtureSource(fixture);
      const expected = ansibleInventory(path, { vaultPasswordFile: passwordFile });
      assertSameInventory(readerView(path, password), expected, fixture.name);
    });
  }
});
