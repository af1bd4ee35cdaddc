/**
 * `flightdeck export ansible` and `flightdeck inventory` end to end: the real process on sites on disk, its
 * output read by the real tar, ansible-inventory and ansible-vault, and the README's inventory-script wrapper.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { bundleTgz } from "../../server/ansible/export/archive";
import { ansibleBundle } from "../../server/ansible/export/bundle";
import { loadSite, readSiteDir } from "../../server/inventory";
import { writeSecretsFile } from "../../server/secrets";
import { ageKeygen } from "../secrets/helpers";
import { yml } from "../inventory/helpers";
import { ansibleList, assertSameAsResolve, json } from "./export-helpers";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin/flightdeck.mjs");
const HA_KVM = join(ROOT, "examples/ha-kvm");
const dir = mkdtempSync(join(tmpdir(), "fd-export-cli-"));
const home = join(dir, "home");
mkdirSync(home);

function flightdeck(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: "utf8", timeout: 120_000, env: { NODE_ENV: "test", PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ...env } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function siteDir(name: string, files: Record<string, string>): string {
  const at = join(dir, name);
  mkdirSync(at);
  for (const [path, content] of Object.entries(files)) writeFileSync(join(at, path), content);
  return at;
}

function untar(archive: string): string {
  const out = mkdtempSync(join(dir, "x-"));
  execFileSync("tar", ["-xzf", archive, "-C", out]);
  return out;
}

describe("flightdeck export ansible", () => {
  test("a .tgz the same as the library's, byte for byte, every time", async () => {
    const r = flightdeck(["export", "ansible", HA_KVM, "-o", "a.tgz"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^wrote a\.tgz: 8 hosts, 4 groups, 15 files$/m);
    assert.equal(flightdeck(["export", "ansible", HA_KVM, "-o", "b.tgz"]).status, 0);
    const a = readFileSync(join(dir, "a.tgz"));
    assert.deepEqual(readFileSync(join(dir, "b.tgz")), a);
    const site = loadSite(readSiteDir(HA_KVM));
    assert.deepEqual(a, Buffer.from(bundleTgz(ansibleBundle(site))));
    assertSameAsResolve(site, await ansibleList(untar(join(dir, "a.tgz"))));
  });

  test(".zip and a directory; a directory with files in it is refused", () => {
    assert.equal(flightdeck(["export", "ansible", HA_KVM, "-o", "a.zip"]).status, 0);
    assert.equal(readFileSync(join(dir, "a.zip")).subarray(0, 2).toString(), "PK");
    assert.equal(flightdeck(["export", "ansible", HA_KVM, "-o", "bundle"]).status, 0);
    assert.match(readFileSync(join(dir, "bundle/ansible.cfg"), "utf8"), /^inventory = \.\/hosts$/m);
    const again = flightdeck(["export", "ansible", HA_KVM, "-o", "bundle"]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /bundle is not empty; give a new or empty directory/);
  });

  test("--limit takes groups, hosts, globs and label selectors", async () => {
    const r = flightdeck(["export", "ansible", HA_KVM, "-o", "limited.tgz", "--limit", "hypervisors,node-*", "--limit", "role=maas"]);
    assert.equal(r.status, 0, r.stderr);
    const listed = await ansibleList(untar(join(dir, "limited.tgz")));
    const site = loadSite(readSiteDir(HA_KVM));
    const hosts = Object.keys(listed.groups).sort();
    assert.deepEqual(hosts.filter((h) => h.startsWith("kvm-") || h.startsWith("node-")), ["kvm-1", "kvm-2", "node-1", "node-2"]);
    assert.ok(hosts.some((h) => h.startsWith("infra-")), "the label selector adds the region controllers");
    assertSameAsResolve(site, listed, hosts);
    const none = flightdeck(["export", "ansible", HA_KVM, "-o", "none.tgz", "--limit", "nothing-*"]);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /--limit: 'nothing-\*' matches no host/);
  });

  test("lint errors stop it (exit 1); what Ansible cannot hold is a located error (exit 2)", () => {
    const broken = siteDir("broken", { "inv.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - {name: a, profile: nope}\n" });
    const r = flightdeck(["export", "ansible", broken, "-o", "x.tgz"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^inv\.yml:5:\d+: error: profile 'nope' does not exist/m);
    const reserved = siteDir("reserved", { "inv.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - {name: a, data: {omit: 1}}\n" });
    const s = flightdeck(["export", "ansible", reserved, "-o", "x.tgz"]);
    assert.equal(s.status, 2);
    assert.match(s.stderr, /^flightdeck: inv\.yml:5:\d+: variable 'omit' of host 'a' is a name Ansible sets itself/m);
    assert.doesNotMatch(s.stderr, /\n\s+at /, "no stack trace");
  });

  test("--reveal writes secrets vault-encrypted with the given password, never in plaintext", () => {
    const key = ageKeygen(dir, "operator");
    return (async () => {
      const secrets = await writeSecretsFile(null, { db: { password: "s3cret-db-value" }, n: 5 }, [key.recipient]);
      const site = siteDir("with-secrets", {
        "inv.yml": "kind: inventory\napi_version: v1beta1\n" + yml`
          spec:
            hosts:
            - {name: a, data: {db_password: "secret:db.password", token: "env:FD_TEST_TOKEN", plain: visible}}
            - {name: b, data: {db_password: "secret:db.password", count: "secret:n"}}
        `,
        "secrets.yml": secrets,
      });
      writeFileSync(join(dir, "vault-pw"), "vault password\n");
      const env = { SOPS_AGE_KEY_FILE: key.path, FD_TEST_TOKEN: "t0ken-from-env" };
      const r = flightdeck(["export", "ansible", site, "-o", "revealed.tgz", "--reveal", "--vault-password-file", "vault-pw"], env);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /--reveal: secrets are written vault-encrypted/);
      const tar = gunzipSync(readFileSync(join(dir, "revealed.tgz"))).toString("latin1");
      assert.doesNotMatch(tar, /s3cret-db-value|t0ken-from-env/, "no plaintext in the archive");
      assert.match(tar, /visible/);
      const unpacked = untar(join(dir, "revealed.tgz"));
      // A secret that is not a string (n: 5) keeps its type in a host_vars file vault-encrypted whole.
      assert.match(readFileSync(join(unpacked, "hosts/host_vars/b.yml"), "utf8"), /^\$ANSIBLE_VAULT;1\.1;AES256\n/);
      const listed = await ansibleList(unpacked, ["--vault-password-file", join(dir, "vault-pw")]);
      assert.equal(listed.hostvars.b!.count, 5);
      const envelope = (listed.hostvars.b!.db_password as { __ansible_vault: string }).__ansible_vault;
      const plain = execFileSync("ansible-vault", ["decrypt", "--vault-password-file", join(dir, "vault-pw"), "--output", "-"], { input: envelope, env: { NODE_ENV: "test" as const, PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home } }).toString();
      assert.equal(plain, "s3cret-db-value");
      const token = (listed.hostvars.a!.token as { __ansible_vault: string }).__ansible_vault;
      assert.equal(execFileSync("ansible-vault", ["decrypt", "--vault-password-file", join(dir, "vault-pw"), "--output", "-"], { input: token, env: { NODE_ENV: "test" as const, PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home } }).toString(), "t0ken-from-env");

      assert.equal(flightdeck(["export", "ansible", site, "-o", "x.tgz", "--reveal"], env).status, 2, "--reveal needs a vault password");
      assert.equal(flightdeck(["export", "ansible", site, "-o", "x.tgz", "--vault-password-file", "vault-pw"], env).status, 2, "a vault password without --reveal");
      const unset = flightdeck(["export", "ansible", site, "-o", "x.tgz", "--reveal", "--vault-password-file", "vault-pw"], { SOPS_AGE_KEY_FILE: key.path });
      assert.equal(unset.status, 2);
      assert.match(unset.stderr, /env:FD_TEST_TOKEN: the environment variable FD_TEST_TOKEN is not set/);
      const plainRefs = flightdeck(["export", "ansible", site, "-o", "refs.tgz"]);
      assert.equal(plainRefs.status, 0, "without --reveal no identity is needed");
      assert.match(gunzipSync(readFileSync(join(dir, "refs.tgz"))).toString("latin1"), /db_password: "secret:db\.password"/);
    })();
  });
});

describe("flightdeck inventory (Ansible's inventory-script protocol)", () => {
  test("the README's wrapper works as ansible-inventory -i, and --host gives one host's variables", async () => {
    // The line from README.md, run from the checkout.
    const wrapper = join(dir, "fd-inventory");
    execFileSync("sh", ["-c", `printf '#!/bin/sh\\nexec %s/bin/flightdeck.mjs inventory %s "$@"\\n' "$PWD" "$PWD/examples/ha-kvm" > ${wrapper} && chmod +x ${wrapper}`], { cwd: ROOT });
    chmodSync(wrapper, 0o755);
    const empty = mkdtempSync(join(dir, "cwd-"));
    const listed = await ansibleList(empty, ["-i", wrapper]);
    const site = loadSite(readSiteDir(HA_KVM));
    assertSameAsResolve(site, listed);
    const one = flightdeck(["inventory", HA_KVM, "--host", "kvm-1"]);
    assert.equal(one.status, 0, one.stderr);
    assert.deepEqual(JSON.parse(one.stdout), { ...json(site.resolver.resolve("kvm-1").vars), ...listed.hostvars["kvm-1"] });
    assert.equal(flightdeck(["inventory", HA_KVM]).status, 2, "--list or --host is required");
    assert.equal(flightdeck(["inventory", HA_KVM, "--host", "nope"]).status, 2);
  });
});
