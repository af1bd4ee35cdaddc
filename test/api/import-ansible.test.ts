/**
 * Importing an Ansible inventory on the server (the dashboard's dialog): an archive made by GNU tar through
 * `POST /api/v1/sites/import?format=ansible`, or a path through tRPC `sites.importPath`, imported in a thread of
 * its own. Every fixture inventory becomes a site that resolves to exactly what the real ansible-inventory gives
 * for the same files (vaulted values as secrets the server can open); callers are refused as for any import
 * (before the upload is read), an existing site is never replaced, problems come back located, and the vault
 * password is nowhere afterwards.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { memoryFs, inventoryPath } from "../../server/workers/ansible-import-worker";
import { importAnsibleOffThread } from "../../server/workers/ansible-import";
import { importAnsible } from "../../server/ansible/import";
import { FIXTURE_DIR, FIXTURES, fixtureSource, VAULT_PASSWORD } from "../ansible/fixtures";
import { ansibleInventory, ansibleMissing, assertSameInventory, flightdeckAsAnsible } from "../ansible/support";
import { Client } from "./client";
import { startHttpServer } from "./http-server";
import { multipart, upload } from "./upload";

const skip = ansibleMissing();
const PASSWORD = "correct horse battery";
let server: Awaited<ReturnType<typeof startHttpServer>>;
let admin: Client;
let operatorToken: string;
const work = mkdtempSync(join(tmpdir(), "fd-import-ansible-"));

before(async () => {
  server = await startHttpServer();
  await server.services.sites.create({ slug: "alpha", name: "Alpha", files: [{ path: "inventory.yml", content: "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n" }], author: "t", message: "m" });
  admin = new Client(server.url, "admin");
  assert.equal(await admin.signIn("admin", "admin-password-1"), 200);
  const { id } = await admin.ok<{ id: string }>("users.create", { username: "olga", password: PASSWORD });
  await admin.ok("members.set", { slug: "alpha", userId: id, role: "operator" });
  const olga = new Client(server.url, "olga");
  assert.equal(await olga.signIn("olga", PASSWORD), 200);
  operatorToken = (await olga.ok<{ token: string }>("tokens.create", { name: "ci", site: "alpha", role: "operator" })).token;
});
after(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

const importUrl = (query: Record<string, string>) => `${server.url}/api/v1/sites/import?${new URLSearchParams({ format: "ansible", ...query })}`;
const tgzOf = (dir: string) => new Uint8Array(execFileSync("tar", ["-czf", "-", "-C", dir, "."]));

/** The stored site as Ansible would see it, its secrets opened with the server's own identity. */
async function storedAsAnsible(slug: string) {
  const dir = mkdtempSync(join(work, `${slug}-`));
  for (const f of (await server.services.sites.files(slug)).files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  const identity = readFileSync(join(server.services.env.FLIGHTDECK_DATA, "age-identity.txt"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("AGE-SECRET-KEY-"));
  return flightdeckAsAnsible(dir, { identities: identity });
}

describe("archives", { skip }, () => {
  for (const f of FIXTURES) {
    test(`${f.name}: uploaded as a .tgz, the site resolves as ansible-inventory does`, async () => {
      const slug = `fx-${f.name}`;
      const parts: [string, string | [string, Uint8Array]][] = [["file", [`${f.name}.tgz`, tgzOf(join(FIXTURE_DIR, f.name))]], ["inventory", f.source]];
      if (f.vault) parts.push(["vault_password", VAULT_PASSWORD]);
      const form = multipart(parts);
      const r = await upload(importUrl({ slug, name: f.name }), { headers: admin.headers({ "content-type": form.type }), body: form.body });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const summary = r.body.ansible as { hosts: number; secrets: number; warnings: string[] };
      const src = fixtureSource(f);
      const expected = ansibleInventory(src.path, { vaultPasswordFile: src.passwordFile, vaultPasswords: src.password ? [{ password: src.password }] : undefined });
      assert.equal(summary.hosts, Object.keys(expected.hostvars).length);
      assertSameInventory(await storedAsAnsible(slug), expected, f.name);
      if (f.vault) assert.ok(summary.secrets > 0);
      // The password is in no stored file, audit entry or answer.
      const stored = JSON.stringify([(await server.services.sites.files(slug)).files, r.body, await admin.ok("audit.query", {}, "query")]);
      assert.ok(!stored.includes(VAULT_PASSWORD), "the vault password was kept somewhere");
    });
  }

  test("problems: a 400 naming each at its file:line:col inside the archive; no site", async () => {
    const dir = mkdtempSync(join(work, "broken-"));
    mkdirSync(join(dir, "inv", "group_vars"), { recursive: true });
    writeFileSync(join(dir, "inv", "hosts"), "[web]\nweb-1\n[web:children]\nmissing\n");
    writeFileSync(join(dir, "inv", "group_vars", "web.yml"), "http_port: 8080\ncolors: [red\n");
    const r = await upload(importUrl({ slug: "broken", filename: "broken.tgz" }), { headers: admin.headers({ "content-type": "application/gzip" }), body: tgzOf(dir) });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.detail, "broken.tgz cannot be imported as an Ansible inventory: 2 problems");
    const problems = r.body.problems as string[];
    assert.equal(problems[0], "inv/hosts:4:1: section [web:children] names the group 'missing', which is never declared: add a [missing] section");
    assert.match(problems[1]!, /^inv\/group_vars\/web\.yml:3:1: YAML syntax: /);
    assert.equal(await server.services.sites.exists("broken"), false);
  });

  test("an operator may not create a site, and an existing site is never replaced: both said before the upload is read", async () => {
    const bytes = new Uint8Array(1 << 20);
    const created = await upload(importUrl({ slug: "olgas" }), { headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/gzip" }, body: bytes, hold: true });
    assert.equal(created.status, 403);
    assert.equal(created.finished, false);
    const replaced = await upload(importUrl({ slug: "alpha" }), { headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/gzip" }, body: bytes, hold: true });
    assert.equal(replaced.status, 409, JSON.stringify(replaced.body));
    assert.match(replaced.body.detail!, /^site 'alpha' exists: an Ansible inventory is imported as a new site/);
    assert.equal(replaced.finished, false);
  });
});

describe("paths on the server (tRPC sites.importPath)", { skip }, () => {
  test("a fixture by its path imports as the CLI would, with the vault password", async () => {
    const f = FIXTURES.find((x) => x.vault)!;
    const src = fixtureSource(f);
    const r = await admin.trpc<{ ansible: { hosts: number; secrets: number } }>("sites.importPath", { slug: "by-path", name: "By path", path: src.path, format: "ansible", vaultPassword: VAULT_PASSWORD }, "mutation");
    assert.equal(r.status, 200, r.message);
    assertSameInventory(await storedAsAnsible("by-path"), ansibleInventory(src.path, { vaultPasswordFile: src.passwordFile, vaultPasswords: [{ password: VAULT_PASSWORD }] }), f.name);
    const wrong = await admin.trpc("sites.importPath", { slug: "by-path-2", name: "Wrong", path: src.path, format: "ansible", vaultPassword: "not the password" }, "mutation");
    assert.equal(wrong.status, 400);
    assert.ok(!wrong.message!.includes("not the password"));
    assert.match(wrong.message!, /^\S+:\d+:\d+: vault: /m);
    const missing = await admin.trpc("sites.importPath", { slug: "nowhere", name: "Nowhere", path: join(work, "nope"), format: "ansible" }, "mutation");
    assert.equal(missing.status, 400);
    assert.equal(missing.message, `${join(work, "nope")} is not a file or directory on the server`);
  });
});

describe("the import thread", () => {
  test("an archive's files read in memory give what the same files on disk give", async () => {
    const dir = join(FIXTURE_DIR, "dir-mixed");
    const files = execFileSync("find", [".", "-type", "f"], { cwd: dir, encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map((p) => ({ path: p.slice(2), content: readFileSync(join(dir, p), "utf8") }));
    const inMemory = await importAnsibleOffThread({ source: { files, inventory: "inventory" }, label: "x", recipients: [] });
    const onDisk = await importAnsible(join(dir, "inventory"), { label: "x" });
    assert.deepEqual(inMemory.files, [...onDisk.files].map(([path, content]) => ({ path, content })));
  });

  test("where the inventory is in an archive", () => {
    const fs = (paths: string[]) => memoryFs(paths.map((path) => ({ path, content: "" })));
    assert.equal(inventoryPath(fs(["inventory/hosts.ini", "inventory/group_vars/all.yml"]), undefined), "inventory/hosts.ini", "one folder, one file: that file");
    assert.equal(inventoryPath(fs(["a.yml", "b.yml", "group_vars/all.yml"]), undefined), ".", "several files: the folder");
    assert.equal(inventoryPath(fs(["prod/a.yml", "prod/b.ini", ".git/config"]), undefined), "prod", "hidden entries do not count");
    assert.equal(inventoryPath(fs(["group_vars/all.yml"]), undefined), ".", "group_vars is never the inventory");
    assert.equal(inventoryPath(fs(["x/staging.ini", "x/prod.ini"]), "x/prod.ini"), "x/prod.ini");
    assert.throws(() => inventoryPath(fs(["x/prod.ini"]), "../etc/passwd"), /no such file or folder in the archive/);
  });

  test("bounded: over its time it is stopped with a 413; over the parallel limit a 429", async () => {
    const files = [{ path: "hosts", content: "[web]\nweb-[0001:9999]\n" }];
    await assert.rejects(importAnsibleOffThread({ source: { files }, label: "x", recipients: [] }, { timeoutMs: 50, memoryMb: 256, parallel: 2 }), (e: Error & { code?: string }) => e.code === "PAYLOAD_TOO_LARGE" && /longer than 0\.05 s/.test(e.message));
    await assert.rejects(importAnsibleOffThread({ source: { files }, label: "x", recipients: [] }, { timeoutMs: 1000, memoryMb: 256, parallel: 0 }), (e: Error & { code?: string }) => e.code === "TOO_MANY_REQUESTS");
  });
});
