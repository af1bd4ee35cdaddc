/**
 * The bundle writers: .tgz and .zip are the same bytes for the same site, and read back with the system's own
 * tar and unzip as the files, modes and time they should have; a directory is written whole or not at all.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadSite, readSiteDir } from "../../server/inventory";
import { bundleTgz, bundleZip, formatOf, writeBundleDir } from "../../server/ansible/export/archive";
import { ansibleBundle } from "../../server/ansible/export/bundle";
import { ansibleList, assertSameAsResolve } from "./export-helpers";

const site = () => loadSite(readSiteDir(join(import.meta.dirname, "../../examples/ha-kvm")));
const temp = () => mkdtempSync(join(tmpdir(), "fd-bundle-"));

/** Every file below `dir`, relative path -> content. */
function readTree(dir: string, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of readTree(dir, rel)) out.set(k, v);
    else out.set(rel, readFileSync(join(dir, rel), "utf8"));
  }
  return new Map([...out].sort());
}

describe("bundle archives", () => {
  test(".tgz: deterministic, and GNU tar reads it as the bundle with modes 0755/0644, owner 0 and a fixed time", async () => {
    const files = ansibleBundle(site());
    const a = bundleTgz(files);
    assert.deepEqual(Buffer.from(bundleTgz(ansibleBundle(site()))), Buffer.from(a), "the same site gives the same bytes");
    const dir = temp();
    writeFileSync(join(dir, "b.tgz"), a);
    const listing = execFileSync("tar", ["-tvzf", "b.tgz", "--numeric-owner", "--utc"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }).toString().trim().split("\n");
    assert.deepEqual(listing[0]!.split(/\s+/).slice(0, 5), ["-rw-r--r--", "0/0", String(files.get("ansible.cfg")!.length), "2000-01-01", "00:00"]);
    assert.match(listing[1]!, /^drwxr-xr-x 0\/0 +0 2000-01-01 00:00 hosts\/$/);
    assert.ok(listing.indexOf(listing.find((l) => l.endsWith(" hosts/group_vars/"))!) < listing.indexOf(listing.find((l) => l.endsWith(" hosts/group_vars/all.yml"))!));
    const out = join(dir, "x");
    mkdirSync(out);
    const stderr = execFileSync("tar", ["-xzf", "../b.tgz"], { cwd: out, stdio: ["ignore", "pipe", "pipe"] }).toString();
    assert.equal(stderr, "");
    assert.deepEqual(readTree(out), files);
    assertSameAsResolve(site(), await ansibleList(out));
  });

  test(".zip: deterministic, and unzip reads it as the bundle with unix modes", () => {
    const files = ansibleBundle(site());
    const a = bundleZip(files);
    assert.deepEqual(Buffer.from(bundleZip(ansibleBundle(site()))), Buffer.from(a));
    const dir = temp();
    writeFileSync(join(dir, "b.zip"), a);
    const info = execFileSync("zipinfo", ["b.zip"], { cwd: dir }).toString();
    assert.match(info, /^-rw-r--r-- .* ansible\.cfg$/m);
    assert.match(info, /^drwxr-xr-x .* hosts\/$/m);
    assert.match(info, / 00-Jan-01 00:00 /);
    execFileSync("unzip", ["-q", "b.zip", "-d", "x"], { cwd: dir });
    assert.deepEqual(readTree(join(dir, "x")), files);
    assert.equal(statSync(join(dir, "x/hosts/hosts.yml")).mode & 0o777, 0o644);
  });

  test("a directory: written whole into a new or empty directory, never into one with files", () => {
    const files = ansibleBundle(site());
    const dir = temp();
    writeBundleDir(files, join(dir, "new"));
    assert.deepEqual(readTree(join(dir, "new")), files);
    assert.equal(statSync(join(dir, "new/hosts/group_vars")).mode & 0o777, 0o755);
    mkdirSync(join(dir, "empty"));
    writeBundleDir(files, join(dir, "empty"));
    assert.deepEqual(readTree(join(dir, "empty")), files);
    assert.throws(() => writeBundleDir(files, join(dir, "new")), /new is not empty/);
    writeFileSync(join(dir, "file"), "x");
    assert.throws(() => writeBundleDir(files, join(dir, "file")), /exists and is not a directory/);
    assert.throws(() => writeBundleDir(new Map([["../escape", "x"]]), join(dir, "bad")), /not a relative path/);
    assert.deepEqual(readdirSync(dir).sort(), ["empty", "file", "new"], "no partial directory is left behind");
  });

  test("the output name says the format", () => {
    assert.equal(formatOf("x.tgz"), "tgz");
    assert.equal(formatOf("x.tar.gz"), "tgz");
    assert.equal(formatOf("X.ZIP"), "zip");
    assert.equal(formatOf("out/bundle"), "dir");
  });
});
