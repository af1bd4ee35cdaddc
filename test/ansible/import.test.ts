/**
 * `flightdeck import ansible` against the real ansible-inventory: every fixture imported, then for every host
 * Flightdeck's resolved variables (secrets revealed, connection mapped back) and groups equal what
 * `ansible-inventory --list` prints; the written site lints clean.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { run } from "../../server/cli/main";
import { loadSite, readSiteDir } from "../../server/inventory";
import { ageKeygen } from "../secrets/helpers";
import { FIXTURES, fixtureSource, VAULT_PASSWORD } from "./fixtures";
import { ansibleInventory, ansibleMissing, assertSameInventory, fixtureDir, flightdeckAsAnsible } from "./support";

const skip = ansibleMissing();
const temp = mkdtempSync(join(tmpdir(), "flightdeck-import-"));
after(() => rmSync(temp, { recursive: true, force: true }));
const key = ageKeygen(temp, "operator");

/** The CLI in process: exit code and what it printed. */
export async function flightdeck(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { out: (t) => out.push(t), err: (t) => err.push(t), env: { PATH: process.env.PATH } });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

let sites = 0;
const siteDir = () => join(temp, `site-${++sites}`);

describe("import ansible: each fixture resolves to exactly ansible-inventory's hostvars and groups", () => {
  for (const fixture of FIXTURES) {
    test(fixture.name, { skip }, async () => {
      const { path, passwordFile } = fixtureSource(fixture);
      const dir = siteDir();
      const args = ["import", "ansible", path, "-o", dir];
      if (passwordFile) args.push("--vault-password-file", passwordFile, "--age-recipient", key.recipient);
      const r = await flightdeck(...args);
      assert.equal(r.code, 0, r.err);
      assert.doesNotMatch(r.err, /error:|internal/);
      const expected = ansibleInventory(path, { vaultPasswordFile: passwordFile, vaultPasswords: passwordFile ? [{ password: VAULT_PASSWORD }] : undefined });
      const actual = await flightdeckAsAnsible(dir, { identities: [key.identity] });
      assertSameInventory(actual, expected, fixture.name);
      const site = loadSite(readSiteDir(dir));
      assert.deepEqual(site.diagnostics.filter((d) => d.severity === "error"), []);
    });
  }
});

describe("import ansible: what the written site says", () => {
  test("Ansible's dict replacement is a removal with a comment; precedence fixes are on the host, explained", { skip }, async () => {
    const dir = siteDir();
    const { path } = fixtureSource(FIXTURES.find((f) => f.name === "ini-precedence")!);
    assert.equal((await flightdeck("import", "ansible", path, "-o", dir)).code, 0);
    const text = readFileSync(join(dir, "inventory.yml"), "utf8");
    assert.match(text, /"!d": ~ # Ansible replaces a dict whole/);
    assert.match(text, /# set here: Ansible gives this host the value of/);
    // group_vars/all beats [child:vars]: child's p1 is left out, and says why.
    assert.match(text, /not set here[^\n]*\n\s*#\s+p1 \(inventory\.ini:\d+\)/);
  });

  test("vaulted values become secret: references, their values in secrets.yml, never in clear", { skip }, async () => {
    const dir = siteDir();
    const fixture = FIXTURES.find((f) => f.vault)!;
    const { path, passwordFile } = fixtureSource(fixture);
    const r = await flightdeck("import", "ansible", path, "-o", dir, "--vault-password-file", passwordFile!, "--age-recipient", key.recipient);
    assert.equal(r.code, 0, r.err);
    const inventory = readFileSync(join(dir, "inventory.yml"), "utf8");
    const secrets = readFileSync(join(dir, "secrets.yml"), "utf8");
    for (const clear of ["s3cr3t-db-pass", "api-token-123", "nested value", "from json"]) {
      assert.ok(!inventory.includes(clear) && !secrets.includes(clear), `'${clear}' is written in clear`);
    }
    assert.match(inventory, /api_token: secret:host\.app1_example_com\.api_token/);
    assert.match(inventory, /password: secret:/);
    assert.match(secrets, /sops:/);
    assert.match(r.err, /1 hosts|2 hosts/);
  });
});

describe("import ansible: bad input is a located error, and nothing is written", () => {
  const cases: { name: string; files: Record<string, string>; source: string; errors: RegExp[]; args?: string[] }[] = [
    { name: "a broken INI host line", source: "hosts", files: { hosts: "[web]\nweb1 novalue\n" }, errors: [/hosts:2:1: error: expected key=value host variable assignment, got: novalue/] },
    { name: "an unknown section type", source: "hosts", files: { hosts: "[web]\nweb1\n\n[web:childs]\nx\n" }, errors: [/hosts:4:1: error: section \[web:childs\] has unknown type: childs/] },
    { name: "a [g:children] naming a group never declared", source: "hosts", files: { hosts: "[web]\nweb1\n[all_web:children]\nweb\nghost\n" }, errors: [/hosts:5:1: error: section \[all_web:children\] names the group 'ghost', which is never declared/] },
    { name: "[g:vars] for a group never declared", source: "hosts", files: { hosts: "[web]\nweb1\n[nope:vars]\nx=1\n" }, errors: [/hosts:3:1: error: section \[nope:vars\] is for a group that is never declared/] },
    { name: "a YAML syntax error", source: "hosts.yml", files: { "hosts.yml": "all:\n  hosts:\n    a: {x: 1\n    b:\n" }, errors: [/hosts\.yml:\d+:\d+: error: YAML syntax:/] },
    { name: "a YAML syntax error in group_vars", source: "hosts", files: { hosts: "[web]\nweb1\n", "group_vars/web.yml": "a: [1, 2\nb: 3\n" }, errors: [/group_vars\/web\.yml:\d+:\d+: error: YAML syntax:/] },
    { name: "a group name Flightdeck cannot hold", source: "hosts.yml", files: { "hosts.yml": "all:\n  children:\n    _private:\n      hosts:\n        web1:\n" }, errors: [/hosts\.yml:3:5: error: group name '_private' cannot be a Flightdeck name/] },
    { name: "a host name Flightdeck cannot hold", source: "hosts", files: { hosts: "[web]\n[2001:db8::1]:22\n" }, errors: [/hosts:2:1: error: host name '2001:db8::1' cannot be a Flightdeck name/] },
    { name: "values with no JSON form", source: "hosts", files: { hosts: "[web]\nweb1 c=1+2j s='{1,2}'\n[web:vars]\nx=1e400\n" }, errors: [/hosts:2:8: error: a complex number has no JSON form/, /hosts:2:15: error: a Python set has no JSON form/, /hosts:4:3: error: the float inf has no JSON form/] },
    { name: "a key Flightdeck reads as a removal", source: "hosts.yml", files: { "hosts.yml": "all:\n  hosts:\n    web1:\n      opts: {'!x': 1}\n" }, errors: [/error: the key '!x' cannot be held by Flightdeck/] },
    { name: "an integer beyond 2^53", source: "hosts.yml", files: { "hosts.yml": "all:\n  vars:\n    big: 12345678901234567890\n  hosts:\n    a:\n" }, errors: [/hosts\.yml:3:10: error: the integer 12345678901234567890 is beyond/] },
    {
      name: "vaulted values without a password: each is named",
      source: "inventory",
      files: {},
      errors: [/hosts\.yml:4:18: error: vault-encrypted value \(!vault\): give --vault-password-file/, /hosts\.yml:\d+:\d+: error: vault-encrypted value/, /10-inline\.yml:1:\d+: error: vault-encrypted value/, /20-vaulted\.yml:1:1: error: this file is vault-encrypted/, /app2\.example\.com\.json:1:\d+: error: vault-encrypted value/],
    },
    { name: "a wrong vault password", source: "inventory", files: {}, args: ["--vault-password-file", "WRONG"], errors: [/20-vaulted\.yml:1:1: error: vault: the vault password does not decrypt/, /hosts\.yml:4:18: error: vault: the vault password does not decrypt/, /hosts\.yml:21:21: error: vault: the vault password does not decrypt/, /10-inline\.yml:1:14: error: vault: the vault password/, /app2\.example\.com\.json:1:17: error: vault: the vault password/] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const source = c.source === "inventory" && !Object.keys(c.files).length ? fixtureSource(FIXTURES.find((f) => f.vault)!).path : join(fixtureDir(c.files), c.source);
      const args = (c.args ?? []).map((a) => (a === "WRONG" ? writeWrongPassword() : a));
      const dir = siteDir();
      const r = await flightdeck("import", "ansible", source, "-o", dir, ...args);
      assert.equal(r.code, 1, r.err);
      for (const error of c.errors) assert.match(r.err, error);
      assert.equal(r.err.split("\n").filter((l) => / error: /.test(l)).length, c.errors.length, r.err);
      assert.match(r.err, /nothing was written/);
      assert.doesNotMatch(r.err, /\n\s+at |internal/);
      assert.ok(!existsSync(dir), "the site directory was created");
      assert.deepEqual(readdirSync(temp).filter((n) => n.includes(".import-")), [], "a temporary directory was left behind");
    });
  }

  test("a non-empty target is refused and left alone", async () => {
    const target = fixtureDir({ "keep.txt": "mine" });
    const source = fixtureDir({ hosts: "[web]\nweb1\n" });
    const r = await flightdeck("import", "ansible", join(source, "hosts"), "-o", target);
    assert.equal(r.code, 2);
    assert.match(r.err, /is not empty: import into a new directory/);
    assert.equal(readFileSync(join(target, "keep.txt"), "utf8"), "mine");
    assert.ok(!existsSync(join(target, "inventory.yml")));
  });
});

describe("import ansible: the command", () => {
  test("--vault-id LABEL@FILE opens labelled and unlabelled vaults alike", { skip }, async () => {
    const { path, passwordFile } = fixtureSource(FIXTURES.find((f) => f.vault)!);
    const dir = siteDir();
    const r = await flightdeck("import", "ansible", path, "-o", dir, "--vault-id", `prod@${passwordFile!}`, "--age-recipient", key.recipient);
    assert.equal(r.code, 0, r.err);
    assertSameInventory(await flightdeckAsAnsible(dir, { identities: [key.identity] }), ansibleInventory(path, { vaultPasswordFile: passwordFile, vaultPasswords: [{ password: VAULT_PASSWORD }] }));
  });

  test("an executable password file is refused (an import runs no program)", async () => {
    const pw = join(temp, "pw-script");
    writeFileSync(pw, "#!/bin/sh\necho secret\n");
    chmodSync(pw, 0o755);
    const r = await flightdeck("import", "ansible", join(fixtureDir({ hosts: "[web]\nweb1\n" }), "hosts"), "-o", siteDir(), "--vault-password-file", pw);
    assert.equal(r.code, 2);
    assert.match(r.err, /is executable \(a password script\): run it yourself/);
  });

  test("an inventory directory skips .ini files, as Ansible does, and says so", { skip }, async () => {
    const source = fixtureDir({ "10-main.yml": "all:\n  hosts:\n    a1:\n", "hosts.ini": "[never]\nskipped1\n", "README.md": "notes" });
    const dir = siteDir();
    const r = await flightdeck("import", "ansible", source, "-o", dir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /hosts\.ini:1:1: warning: skipped: Ansible ignores \.ini files inside an inventory directory/);
    const actual = await flightdeckAsAnsible(dir);
    assert.deepEqual(Object.keys(actual.hostvars), ["a1"]);
    assertSameInventory(actual, ansibleInventory(source));
  });

  test("dynamic inventories are refused: scripts and plugin configurations", async () => {
    const script = fixtureDir({ "inv.py": "#!/usr/bin/env python3\nprint('{}')\n", "aws_ec2.yml": "plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n" });
    let r = await flightdeck("import", "ansible", join(script, "inv.py"), "-o", siteDir());
    assert.equal(r.code, 1);
    assert.match(r.err, /inv\.py:1:1: error: an inventory script \(a dynamic inventory\)/);
    r = await flightdeck("import", "ansible", join(script, "aws_ec2.yml"), "-o", siteDir());
    assert.equal(r.code, 1);
    assert.match(r.err, /aws_ec2\.yml:1:1: error: this is an inventory plugin configuration \(plugin: "amazon\.aws\.aws_ec2"\)/);
  });

  test("usage problems exit 2 with the usage", async () => {
    for (const args of [["import"], ["import", "terraform", "x"], ["import", "ansible", "x"], ["import", "ansible", "-o", "y"]]) {
      const r = await flightdeck(...args);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.err, /^flightdeck: /);
    }
    const help = await flightdeck("import", "help");
    assert.equal(help.code, 0);
    assert.match(help.out, /flightdeck import ansible PATH -o SITE_DIR/);
  });

  test("the real flightdeck process: a located error, exit 1, no trace; then a clean import and lint", { skip }, () => {
    const bin = fileURLToPath(new URL("../../bin/flightdeck.mjs", import.meta.url));
    const exec = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: temp, timeout: 120_000 });
    const bad = fixtureDir({ hosts: "[web]\nweb1 a=1 broken\n" });
    let r = exec("import", "ansible", join(bad, "hosts"), "-o", join(temp, "proc-bad"));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /hosts:2:1: error: expected key=value host variable assignment, got: broken/);
    assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
    assert.ok(!existsSync(join(temp, "proc-bad")));
    const good = join(temp, "proc-good");
    r = exec("import", "ansible", fixtureSource(FIXTURES.find((f) => f.name === "ini-basic")!).path, "-o", good);
    assert.equal(r.status, 0, r.stderr);
    r = exec("lint", good);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /11 hosts, \d+ groups, 0 profiles: 0 errors, 0 warnings/);
  });
});

function writeWrongPassword(): string {
  const file = join(temp, "wrong-password");
  writeFileSync(file, "not the password\n");
  return file;
}
