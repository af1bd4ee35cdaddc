/**
 * Shared helpers for tests that compare Flightdeck with the real Ansible (Debian's ansible-core).
 *
 * - `ansibleMissing()`: why the Ansible tests cannot run here (undefined when `ansible-inventory` is installed);
 *   use it as `test(name, { skip: ansibleMissing() }, ...)`.
 * - `ansibleInventory(source, options)`: runs `ansible-inventory -i SOURCE --list` in an empty temporary cwd (so
 *   no `group_vars/` of the cwd is read as playbook vars) with a config that points nowhere, and returns
 *   `{hostvars, groups}`: every host's variables as ansible-inventory prints them, and every host's groups
 *   (ancestors included, `all` too), sorted. A source that Ansible could not parse fails the call (Ansible itself
 *   would only warn). Inline `!vault` values print as `{"__ansible_vault": ciphertext}`: pass `vaultPasswords`
 *   to have them decrypted (with our codec) so they compare with revealed secrets. `!unsafe` values print as
 *   `{"__ansible_unsafe": value}`: they are always unwrapped (Flightdeck never templates data, so every value
 *   is as good as unsafe).
 * - `flightdeckAsAnsible(siteDir, options)`: the same shape from a Flightdeck site: `resolve --explain`'s vars,
 *   with secrets revealed when identities are given, plus the connection fields that import maps (address,
 *   port, user, key_file, transport) mapped back to `ansible_*` wherever a level of the site set them (the
 *   built-in defaults are not Ansible variables).
 * - `assertSameInventory(actual, expected)`: equal host sets, hostvars and groups, with a message naming the
 *   first differing host and key.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSite, readSiteDir } from "../../server/inventory";
import { vaultDecrypt, type VaultSecret } from "../../server/ansible/vault";
import { readSecretsFile, revealReferences } from "../../server/secrets";

export interface InventoryView {
  /** Host name -> its variables. */
  hostvars: Record<string, Record<string, unknown>>;
  /** Host name -> every group it is in (ancestors included, `all` too), sorted. */
  groups: Record<string, string[]>;
}

/** Why Ansible tests cannot run here, or undefined when they can. */
export function ansibleMissing(): string | undefined {
  const r = spawnSync("ansible-inventory", ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return "ansible-inventory is not installed (apt-get install ansible-core)";
  return undefined;
}

export interface AnsibleRunOptions {
  /** Passed as --vault-password-file. */
  vaultPasswordFile?: string;
  /** Passwords to decrypt inline `!vault` values in the output with (they print as `{"__ansible_vault": ...}`). */
  vaultPasswords?: readonly VaultSecret[];
  /** Extra environment (e.g. ANSIBLE_CONFIG for a test about ansible.cfg). */
  env?: Record<string, string>;
}

/** `ansible-inventory -i SOURCE --list`, in an empty cwd; throws with Ansible's stderr when it fails. */
export function ansibleInventory(source: string, options: AnsibleRunOptions = {}): InventoryView & { stderr: string } {
  const cwd = mkdtempSync(join(tmpdir(), "flightdeck-ansible-cwd-"));
  try {
    const args = ["-i", source, "--list"];
    if (options.vaultPasswordFile) args.push("--vault-password-file", options.vaultPasswordFile);
    const r = spawnSync("ansible-inventory", args, {
      cwd,
      encoding: "utf8",
      timeout: 120_000,
      maxBuffer: 512 * 1024 * 1024,
      env: {
        NODE_ENV: "test" as const,
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: cwd,
        LANG: "C.UTF-8",
        ANSIBLE_CONFIG: join(cwd, "no-ansible.cfg"),
        ANSIBLE_LOCAL_TEMP: join(cwd, "tmp"),
        ANSIBLE_NOCOLOR: "1",
        ANSIBLE_INVENTORY_UNPARSED_FAILED: "1",
        ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: "1",
        ...options.env,
      },
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`ansible-inventory -i ${source} --list failed (${r.status}):\n${r.stderr}`);
    const list = JSON.parse(r.stdout) as Record<string, { hosts?: string[]; children?: string[] }> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };
    const hostvars: Record<string, Record<string, unknown>> = {};
    const groups = groupsOfHosts(list);
    for (const host of Object.keys(groups)) {
      const vars = list._meta.hostvars[host] ?? {};
      const safe = unwrapUnsafe(vars) as Record<string, unknown>;
      hostvars[host] = options.vaultPasswords ? (decryptInline(safe, options.vaultPasswords) as Record<string, unknown>) : safe;
    }
    return { hostvars, groups, stderr: r.stderr };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Every host's groups from `--list` output: a group's hosts are its own and its children's, recursively. */
export function groupsOfHosts(list: Record<string, unknown>): Record<string, string[]> {
  const groups = list as Record<string, { hosts?: string[]; children?: string[] }>;
  const out = new Map<string, Set<string>>();
  const hostsOf = (name: string, seen: Set<string>): string[] => {
    if (seen.has(name)) return [];
    seen.add(name);
    const g = groups[name] ?? {};
    return [...(g.hosts ?? []), ...(g.children ?? []).flatMap((c) => hostsOf(c, seen))];
  };
  for (const name of Object.keys(groups)) {
    if (name === "_meta") continue;
    for (const host of hostsOf(name, new Set())) {
      if (!out.has(host)) out.set(host, new Set());
      out.get(host)!.add(name);
    }
  }
  for (const host of Object.keys((list._meta as { hostvars?: object } | undefined)?.hostvars ?? {})) if (!out.has(host)) out.set(host, new Set(["all"]));
  return Object.fromEntries([...out].map(([host, set]) => [host, [...set, "all"].filter((g, i, a) => a.indexOf(g) === i).sort()]));
}

/** `{"__ansible_unsafe": value}` objects replaced by their value. */
export function unwrapUnsafe(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapUnsafe);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === "__ansible_unsafe") return unwrapUnsafe(entries[0]![1]);
    return Object.fromEntries(entries.map(([k, v]) => [k, unwrapUnsafe(v)]));
  }
  return value;
}

/** `{"__ansible_vault": ciphertext}` objects replaced by their decrypted text. */
export function decryptInline(value: unknown, passwords: readonly VaultSecret[]): unknown {
  if (Array.isArray(value)) return value.map((v) => decryptInline(v, passwords));
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === "__ansible_vault" && typeof entries[0]![1] === "string") {
      return vaultDecrypt(entries[0]![1], passwords).plaintext.toString("utf8");
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, decryptInline(v, passwords)]));
  }
  return value;
}

/** The connection fields import maps, and the Ansible variable each came from. */
export const CONNECTION_VARS = {
  address: "ansible_host",
  port: "ansible_port",
  user: "ansible_user",
  key_file: "ansible_ssh_private_key_file",
  transport: "ansible_connection",
} as const;

export interface FlightdeckViewOptions {
  /** age identity lines to reveal `secret:` references with (left as references without). */
  identities?: readonly string[];
}

/** A Flightdeck site as Ansible would see it after import: resolved vars + mapped connection, and groups. */
export async function flightdeckAsAnsible(siteDir: string, options: FlightdeckViewOptions = {}): Promise<InventoryView> {
  const site = loadSite(readSiteDir(siteDir));
  const errors = site.diagnostics.filter((d) => d.severity === "error");
  assert.equal(errors.length, 0, `the site has lint errors:\n${errors.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`).join("\n")}`);
  let values: Record<string, unknown> | undefined;
  if (options.identities) {
    const file = join(siteDir, "secrets.yml");
    if (existsSync(file)) values = (await readSecretsFile(readFileSync(file, "utf8"), options.identities)).values;
  }
  const hostvars: Record<string, Record<string, unknown>> = {};
  const groups: Record<string, string[]> = {};
  for (const name of site.model.hosts.keys()) {
    const host = site.resolver.resolve(name, true);
    const vars: Record<string, unknown> = { ...host.vars };
    for (const [field, variable] of Object.entries(CONNECTION_VARS)) {
      const origin = host.origins.connection[field];
      if (origin && origin.level !== "default" && field in host.connection) vars[variable] = host.connection[field];
    }
    hostvars[name] = values ? revealReferences(vars, values) : vars;
    groups[name] = [...host.groups].sort();
  }
  return { hostvars, groups };
}

/** Equal hosts, hostvars and group membership; the message names the first host and key that differ. */
export function assertSameInventory(actual: InventoryView, expected: InventoryView, label = ""): void {
  const at = label ? `${label}: ` : "";
  assert.deepEqual(Object.keys(actual.hostvars).sort(), Object.keys(expected.hostvars).sort(), `${at}the hosts differ`);
  for (const host of Object.keys(expected.hostvars).sort()) {
    const a = actual.hostvars[host]!;
    const e = expected.hostvars[host]!;
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(e)])].sort()) {
      assert.deepEqual(a[key], e[key], `${at}host ${host}: variable '${key}' differs: ${JSON.stringify(a[key])} (actual) vs ${JSON.stringify(e[key])} (expected)`);
    }
    assert.deepEqual(actual.groups[host], expected.groups[host], `${at}host ${host}: groups differ`);
  }
}

const made: string[] = [];
process.on("exit", () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** Write `{relative path: content}` under a new temp dir (content null makes a directory), removed when the process exits; returns the dir. */
export function fixtureDir(files: Record<string, string | null>, prefix = "flightdeck-ansible-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    if (content === null) mkdirSync(full, { recursive: true });
    else {
      mkdirSync(join(full, ".."), { recursive: true });
      writeFileSync(full, content);
    }
  }
  return dir;
}
