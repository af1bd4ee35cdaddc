/** The Ansible inventories of test/ansible/fixtures/, and how each is given to ansible-inventory. */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURE_DIR = fileURLToPath(new URL("fixtures/", import.meta.url));
export const VAULT_PASSWORD = "flightdeck-test-vault";

export interface Fixture {
  name: string;
  /** Relative to the fixture's directory: the file or directory given as -i. */
  source: string;
  /** Whether the fixture needs the vault password. */
  vault?: boolean;
}

export const FIXTURES: Fixture[] = [
  { name: "ini-basic", source: "hosts" },
  { name: "yaml-groups", source: "hosts.yml" },
  { name: "vault", source: "inventory", vault: true },
  { name: "dir-mixed", source: "inventory" },
  { name: "tricky-values", source: "hosts.ini" },
  { name: "ini-precedence", source: "inventory.ini" },
  { name: "connection", source: "hosts.yml" },
];

export function fixtureSource(f: Fixture): { path: string; passwordFile?: string; password?: string } {
  const dir = join(FIXTURE_DIR, f.name);
  return {
    path: join(dir, f.source),
    passwordFile: f.vault ? join(FIXTURE_DIR, "vault-password") : undefined,
    password: f.vault ? VAULT_PASSWORD : undefined,
  };
}
