/**
 * Helpers for the export tests: write a bundle to a directory, run the real `ansible-inventory --list` in it
 * (as a user would: the bundle's ansible.cfg in the working directory), and read hostvars and group membership.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { loadSite, resolveAll, type Site, type SiteFile } from "../../server/inventory";

const run = promisify(execFile);

/** The variables the connection becomes (every other variable of a host is its resolved data). */
export const CONNECTION_VARS = new Set(["ansible_connection", "ansible_host", "ansible_port", "ansible_user", "ansible_ssh_private_key_file", "ansible_timeout", "ansible_ssh_common_args"]);

export function siteOf(files: Record<string, string>): Site {
  const list: SiteFile[] = Object.entries(files).map(([path, content]) => ({ path, content }));
  const site = loadSite(list);
  const errors = site.diagnostics.filter((d) => d.severity === "error");
  assert.deepEqual(errors, [], "the test site should have no lint errors");
  return site;
}

export function writeFiles(files: ReadonlyMap<string, string | Uint8Array>, dir = mkdtempSync(join(tmpdir(), "fd-export-"))): string {
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

export interface Listed {
  hostvars: Record<string, Record<string, unknown>>;
  /** Every group each host is in (`all` included), from the groups' hosts and children. */
  groups: Record<string, string[]>;
  raw: Record<string, { hosts?: string[]; children?: string[] }>;
  stderr: string;
}

/**
 * `ansible-inventory --list` with `cwd` as its working directory (so the bundle's ansible.cfg applies), a
 * private HOME and no ANSIBLE_* settings from the environment. `args` adds e.g. `-i script`.
 */
export async function ansibleList(cwd: string, args: string[] = []): Promise<Listed> {
  const home = mkdtempSync(join(tmpdir(), "fd-export-home-"));
  const env = { NODE_ENV: "test" as const, PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, LANG: "C.UTF-8", ANSIBLE_LOCAL_TEMP: join(home, "tmp") };
  const { stdout, stderr } = await run("ansible-inventory", ["--list", ...args], { cwd, env, maxBuffer: 1 << 28 });
  const raw = JSON.parse(stdout) as Record<string, { hosts?: string[]; children?: string[] }> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };
  const groups: Record<string, Set<string>> = {};
  const walk = (group: string, ancestors: string[]) => {
    const g = raw[group];
    for (const h of g?.hosts ?? []) for (const a of [...ancestors, group]) (groups[h] ??= new Set()).add(a);
    for (const c of g?.children ?? []) walk(c, [...ancestors, group]);
  };
  walk("all", []);
  for (const h of Object.keys(raw._meta.hostvars)) (groups[h] ??= new Set()).add("all");
  return {
    hostvars: raw._meta.hostvars,
    groups: Object.fromEntries(Object.entries(groups).map(([h, s]) => [h, [...s].sort()])),
    raw,
    stderr,
  };
}

/**
 * The comparison the issue asks for: for every host, Ansible's variables are exactly `flightdeck resolve`'s
 * plus connection variables, and its groups are Flightdeck's (with Ansible's `ungrouped` for a host in none).
 * Returns each host's connection variables for closer checks.
 */
export function assertSameAsResolve(site: Site, listed: Listed, hosts?: readonly string[]): Record<string, Record<string, unknown>> {
  const resolved = resolveAll(site);
  const names = hosts ?? Object.keys(resolved);
  assert.deepEqual(Object.keys(listed.groups).filter((h) => h in resolved).sort(), [...names].sort(), "the exported hosts");
  const connection: Record<string, Record<string, unknown>> = {};
  for (const h of names) {
    const got = listed.hostvars[h] ?? {};
    const want = resolved[h]!;
    const data = Object.fromEntries(Object.entries(got).filter(([k]) => k in want.vars));
    assert.deepEqual(data, json(want.vars), `host ${h}: variables`);
    const extra = Object.fromEntries(Object.entries(got).filter(([k]) => !(k in want.vars)));
    for (const k of Object.keys(extra)) assert.ok(CONNECTION_VARS.has(k), `host ${h}: unexpected variable ${k}`);
    connection[h] = extra;
    const groups = want.groups.length === 1 ? ["all", "ungrouped"] : [...want.groups].sort();
    assert.deepEqual(listed.groups[h], groups, `host ${h}: groups`);
  }
  return connection;
}

/** Values as they come back through JSON (what ansible-inventory prints). */
export function json<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
