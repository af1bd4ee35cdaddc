/** `flightdeck secrets ...`, `lint` and `resolve --reveal` end to end: the real process on sites on disk. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { lockIdentityFile } from "../../server/secrets";
import { ageKeygen, dataKeyViaAgeCli, referenceDecrypt, tempDir } from "./helpers";

const BIN = fileURLToPath(new URL("../../bin/flightdeck.mjs", import.meta.url));
const dir = tempDir("flightdeck-secrets-cli-");
const home = join(dir, "home");
mkdirSync(home);
const alice = ageKeygen(dir, "alice");
const bob = ageKeygen(dir, "bob");
const carol = ageKeygen(dir, "carol");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run flightdeck with a clean environment: no identity unless given (HOME is empty, no SOPS_* inherited). */
function flightdeck(args: string[], env: Record<string, string> = {}, input?: string): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: "utf8", timeout: 60_000, input, env: { NODE_ENV: "test", PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ...env } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const as = (key: { path: string }) => ({ SOPS_AGE_KEY_FILE: key.path });

let sites = 0;
function site(files: Record<string, string> = {}): string {
  const path = join(dir, `site-${++sites}`);
  mkdirSync(path);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(path, name), content);
  return path;
}

function ok(r: Run, stderr?: string | RegExp): Run {
  assert.equal(r.status, 0, r.stderr);
  if (typeof stderr === "string") assert.equal(r.stderr, stderr);
  else if (stderr) assert.match(r.stderr, stderr);
  return r;
}

/** A failure: exit 2, one `flightdeck: ` message (no stack trace), nothing on stdout. */
function fails(r: Run, message: string | RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, "");
  const first = r.stderr.split("\n")[0]!;
  if (typeof message === "string") assert.equal(first, `flightdeck: ${message}`);
  else assert.match(first, message);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
}

/** A site with secrets.yml for alice and bob: db.password, db.port (int), maas.dc1_key (from stdin). */
function populated(): { path: string; file: string } {
  const path = site();
  ok(flightdeck(["secrets", "set", path, "db.password", "hunter2", "--recipient", alice.recipient, "--recipient", bob.recipient], as(alice)), "flightdeck: secrets.yml: set 'db.password'\n");
  ok(flightdeck(["secrets", "set", path, "db.port", "5432", "--json"], as(alice)));
  ok(flightdeck(["secrets", "set", path, "maas.dc1_key"], as(bob), "s3cret\n"));
  return { path, file: join(path, "secrets.yml") };
}

describe("flightdeck secrets set / get / keys / rm", () => {
  test("a new file for the given recipients; values from arguments, --json and stdin; read by another recipient", () => {
    const { path, file } = populated();
    const text = readFileSync(file, "utf8");
    assert.match(text, /^ {4}password: ENC\[AES256_GCM,.*type:str\]$/m);
    assert.match(text, /^ {4}port: ENC\[AES256_GCM,.*type:int\]$/m);
    assert.doesNotMatch(text, /hunter2|s3cret/);
    assert.equal(ok(flightdeck(["secrets", "get", path, "db.password"], as(bob))).stdout, "hunter2\n");
    assert.equal(ok(flightdeck(["secrets", "get", path, "maas.dc1_key"], as(alice))).stdout, "s3cret\n", "one trailing newline of stdin is dropped");
    assert.equal(ok(flightdeck(["secrets", "get", path, "db"], as(alice))).stdout, '{"password":"hunter2","port":5432}\n');
    assert.equal(ok(flightdeck(["secrets", "keys", path])).stdout, "db\ndb.password\ndb.port\nmaas\nmaas.dc1_key\n", "key names need no identity");
    assert.deepEqual(referenceDecrypt(text, dataKeyViaAgeCli(text, bob)), { values: { db: { password: "hunter2", port: 5432 }, maas: { dc1_key: "s3cret" } }, mac: true });
  });

  test("SOPS_AGE_KEY (identity lines in the environment) works like a key file", () => {
    const { path } = populated();
    assert.equal(ok(flightdeck(["secrets", "get", path, "db.port"], { SOPS_AGE_KEY: `# comment\n${alice.identity}\n` })).stdout, "5432\n");
  });

  test("the same value again writes nothing; rm removes a key", () => {
    const { path, file } = populated();
    const before = readFileSync(file, "utf8");
    ok(flightdeck(["secrets", "set", path, "db.password", "hunter2"], as(alice)), "flightdeck: secrets.yml: 'db.password' already has this value; nothing written\n");
    assert.equal(readFileSync(file, "utf8"), before);
    ok(flightdeck(["secrets", "rm", path, "db.port"], as(alice)), "flightdeck: secrets.yml: removed 'db.port'\n");
    assert.equal(ok(flightdeck(["secrets", "keys", path])).stdout, "db\ndb.password\nmaas\nmaas.dc1_key\n");
    const after = readFileSync(file, "utf8");
    assert.equal(/password: (ENC.*)$/m.exec(after)![1], /password: (ENC.*)$/m.exec(before)![1], "the other values keep their ciphertext");
  });

  test("bad input: a clear message, exit 2, and the file untouched", () => {
    const { path, file } = populated();
    const before = readFileSync(file, "utf8");
    fails(flightdeck(["secrets", "set", path, "db.password", "x"], as(carol)), /^flightdeck: secrets\.yml: no available age identity can decrypt this file \(its recipients: age1/);
    fails(flightdeck(["secrets", "set", path, "db.password", "x"]), /^flightdeck: secrets\.yml: no available age identity .*no identity found: set SOPS_AGE_KEY_FILE/);
    fails(flightdeck(["secrets", "rm", path, "db.pasword"], as(alice)), "secrets.yml: no key 'db.pasword' in this file");
    fails(flightdeck(["secrets", "get", path, "nope"], as(alice)), "secrets.yml: no key 'nope' in this file");
    fails(flightdeck(["secrets", "set", path, "db.password.x", "v"], as(alice)), "secrets.yml: 'db.password' holds a value, not a map: cannot set 'db.password.x'");
    fails(flightdeck(["secrets", "get", path, "db.password"], { SOPS_AGE_KEY_FILE: join(dir, "missing.txt") }), `${join(dir, "missing.txt")}: cannot read the identity file named by SOPS_AGE_KEY_FILE: ENOENT`);
    const usage = flightdeck(["secrets", "set", path, "k", "{bad", "--json"], as(alice));
    fails(usage, /^flightdeck: --json: the value is not JSON/);
    assert.match(usage.stderr, /usage: flightdeck secrets <command>/);
    fails(flightdeck(["secrets", "frob", path]), "unknown secrets command 'frob'");
    fails(flightdeck(["secrets", "set", path, "k"], as(alice), ""), /^flightdeck: no value for 'k': give VALUE, --from-file PATH, or pipe it on stdin$/);
    fails(flightdeck(["secrets", "set", path, "new", "v", "--recipient", carol.recipient], as(alice)), "secrets.yml exists: change its recipients with `flightdeck secrets recipients --add`");
    assert.equal(readFileSync(file, "utf8"), before);
    fails(flightdeck(["secrets", "get", site(), "k"], as(alice)), /^flightdeck: .*site-\d+\/secrets\.yml: no such secrets file/);
    fails(flightdeck(["secrets", "set", site(), "k", "v", "--recipient", "age1nope"], as(alice)), "secrets.yml: 'age1nope' is not a valid age recipient (expected age1... as printed by age-keygen -y)");
  });

  test("a tampered file is refused, naming the file", () => {
    const { path, file } = populated();
    const text = readFileSync(file, "utf8");
    const [pw, port] = [/^ {4}password: (.*)$/m.exec(text)![1]!, /^ {4}port: (.*)$/m.exec(text)![1]!];
    writeFileSync(file, text.replace(pw, port));
    fails(flightdeck(["secrets", "get", path, "maas.dc1_key"], as(alice)), /^flightdeck: secrets\.yml:2:15: the value of 'db\.password' fails authentication/);
    writeFileSync(file, text.replace("maas:", "maas:\n    extra_unencrypted: added"));
    fails(flightdeck(["secrets", "get", path, "maas.dc1_key"], as(alice)), /^flightdeck: secrets\.yml: MAC mismatch/);
    writeFileSync(file, "db:\n    password: hunter2\n");
    fails(flightdeck(["secrets", "get", path, "db.password"], as(alice)), "secrets.yml: not a sops-encrypted file: it has no top-level 'sops' metadata (encrypt it with `flightdeck secrets` or sops)");
  });
});

describe("flightdeck secrets edit", () => {
  const script = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return path;
  };

  test("the editor changes the plaintext; the file is re-encrypted, unchanged values keep their ciphertext", () => {
    const { path, file } = populated();
    const before = readFileSync(file, "utf8");
    const seen = join(dir, "seen-path.txt");
    const editor = script("edit.sh", `echo "$1" > ${seen}\nsed -i 's/hunter2/hunter3/' "$1"\nprintf '# added by the editor\\nnew_key: value\\n' >> "$1"`);
    ok(flightdeck(["secrets", "edit", path], { ...as(alice), EDITOR: editor }), "flightdeck: secrets.yml: saved\n");
    assert.equal(existsSync(readFileSync(seen, "utf8").trim()), false, "the plaintext file is gone");
    const after = readFileSync(file, "utf8");
    assert.equal(ok(flightdeck(["secrets", "get", path, "db.password"], as(bob))).stdout, "hunter3\n");
    assert.equal(ok(flightdeck(["secrets", "get", path, "new_key"], as(bob))).stdout, "value\n");
    assert.equal(/dc1_key: (.*)$/m.exec(after)![1], /dc1_key: (.*)$/m.exec(before)![1]);
    assert.notEqual(/password: (.*)$/m.exec(after)![1], /password: (.*)$/m.exec(before)![1]);
    assert.match(after, /^#ENC\[AES256_GCM,.*type:comment\]$/m, "the comment is kept, encrypted");
    const copy = join(dir, "plaintext-copy.txt");
    ok(flightdeck(["secrets", "edit", path], { ...as(alice), EDITOR: script("copy.sh", `cp "$1" ${copy}`) }), "flightdeck: secrets.yml: unchanged; nothing written\n");
    assert.equal(readFileSync(copy, "utf8"), "db:\n    password: hunter3\n    port: 5432\nmaas:\n    dc1_key: s3cret\n# added by the editor\nnew_key: value\n");
    assert.equal(readFileSync(file, "utf8"), after);
  });

  test("invalid YAML or a failing editor: nothing written", () => {
    const { path, file } = populated();
    const before = readFileSync(file, "utf8");
    fails(flightdeck(["secrets", "edit", path], { ...as(alice), EDITOR: script("broken.sh", `printf 'a: [\\n' > "$1"`) }), /^flightdeck: secrets\.yml \(edited\):2:1: YAML syntax: /);
    fails(flightdeck(["secrets", "edit", path], { ...as(alice), EDITOR: script("sops-key.sh", `printf 'sops: x\\n' > "$1"`) }), "secrets.yml (edited):1:1: a plaintext file with a top-level 'sops' key cannot be encrypted (sops keeps its metadata there)");
    fails(flightdeck(["secrets", "edit", path], { ...as(alice), EDITOR: script("fail.sh", `echo changed > "$1"; exit 1`) }), "secrets.yml: the editor '" + join(dir, "fail.sh") + "' exited with status 1; nothing written");
    fails(flightdeck(["secrets", "edit", path], { ...as(carol), EDITOR: script("never.sh", "exit 0") }), /^flightdeck: secrets\.yml: no available age identity/);
    assert.equal(readFileSync(file, "utf8"), before);
  });

  test("a new file from the editor, for --recipient", () => {
    const path = site();
    ok(flightdeck(["secrets", "edit", path, "--recipient", bob.recipient], { ...as(alice), EDITOR: script("new.sh", `printf 'token: abc\\n' > "$1"`) }));
    assert.equal(ok(flightdeck(["secrets", "get", path, "token"], as(bob))).stdout, "abc\n");
  });
});

describe("flightdeck secrets rotate / recipients", () => {
  test("rotate: a new data key, every value re-encrypted, the same values", () => {
    const { path, file } = populated();
    const before = readFileSync(file, "utf8");
    ok(flightdeck(["secrets", "rotate", path], as(alice)), "flightdeck: secrets.yml: new data key; every value re-encrypted for 2 recipients\n");
    const after = readFileSync(file, "utf8");
    assert.notDeepEqual(dataKeyViaAgeCli(after, bob), dataKeyViaAgeCli(before, bob));
    for (const key of ["password", "port", "dc1_key"]) assert.notEqual(new RegExp(`${key}: (.*)$`, "m").exec(after)![1], new RegExp(`${key}: (.*)$`, "m").exec(before)![1]);
    assert.equal(ok(flightdeck(["secrets", "get", path, "db.password"], as(bob))).stdout, "hunter2\n");
  });

  test("recipients: list, add, remove; .sops.yaml recipients for a new file, and kept in step", () => {
    const path = site({ ".sops.yaml": `creation_rules:\n  # the site's secrets\n  - path_regex: secrets\\.ya?ml$\n    age: ${alice.recipient},${bob.recipient}\n` });
    ok(flightdeck(["secrets", "set", path, "k", "v"], as(alice)), /encrypting to the recipients of .*\.sops\.yaml/);
    assert.equal(ok(flightdeck(["secrets", "recipients", path])).stdout, `${alice.recipient}\n${bob.recipient}\n`);
    fails(flightdeck(["secrets", "get", path, "k"], as(carol)), /no available age identity/);
    ok(flightdeck(["secrets", "recipients", path, "--add", carol.recipient], as(alice)), /data key re-wrapped for 3 recipients \(and .*\.sops\.yaml updated\)/);
    assert.equal(ok(flightdeck(["secrets", "get", path, "k"], as(carol))).stdout, "v\n");
    const removed = ok(flightdeck(["secrets", "recipients", path, "--remove", bob.recipient], as(carol)));
    assert.match(removed.stderr, /run `flightdeck secrets rotate` to change it/);
    fails(flightdeck(["secrets", "get", path, "k"], as(bob)), /no available age identity/);
    assert.equal(readFileSync(join(path, ".sops.yaml"), "utf8"), `creation_rules:\n  # the site's secrets\n  - path_regex: secrets\\.ya?ml$\n    age: ${alice.recipient},${carol.recipient}\n`);
    fails(flightdeck(["secrets", "recipients", path, "--remove", bob.recipient], as(alice)), /^flightdeck: secrets\.yml: '.*' is not a recipient of this file/);
  });

  test("a passphrase-protected identity file: FLIGHTDECK_AGE_PASSPHRASE unlocks it; a wrong one is refused", async () => {
    const { path } = populated();
    const locked = join(dir, "alice.age");
    writeFileSync(locked, await lockIdentityFile(readFileSync(alice.path, "utf8"), "open sesame", 10));
    assert.equal(ok(flightdeck(["secrets", "get", path, "db.password"], { SOPS_AGE_KEY_FILE: locked, FLIGHTDECK_AGE_PASSPHRASE: "open sesame" })).stdout, "hunter2\n");
    fails(flightdeck(["secrets", "get", path, "db.password"], { SOPS_AGE_KEY_FILE: locked, FLIGHTDECK_AGE_PASSPHRASE: "nope" }), `${locked}: wrong passphrase for this passphrase-protected identity file`);
    fails(flightdeck(["secrets", "get", path, "db.password"], { SOPS_AGE_KEY_FILE: locked }), /passphrase-protected, locked.*FLIGHTDECK_AGE_PASSPHRASE/);
  });
});

describe("lint and resolve with secret: references", () => {
  const inventory = (ref: string) => `kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: db-1\n    connection: {user: root}\n    data:\n      db_password: ${ref}\n      port: 5432\n`;

  test("lint checks references against the key names, with no identity at all", () => {
    const { path } = populated();
    writeFileSync(join(path, "inventory.yml"), inventory("secret:db.pasword"));
    const r = flightdeck(["lint", path]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "inventory.yml:8:20: error: secret 'db.pasword' is not a key of secrets.yml (did you mean 'db.password'?)\n");
    writeFileSync(join(path, "inventory.yml"), inventory("secret:db.password"));
    assert.equal(ok(flightdeck(["lint", path])).stdout, "");
  });

  test("resolve prints references; --reveal decrypts them and says so on stderr", () => {
    const { path } = populated();
    writeFileSync(join(path, "inventory.yml"), inventory("secret:db.password"));
    const plain = ok(flightdeck(["resolve", path, "--json"]), "");
    assert.equal((JSON.parse(plain.stdout) as { hosts: Record<string, { vars: Record<string, unknown> }> }).hosts["db-1"]!.vars.db_password, "secret:db.password");
    const revealed = ok(flightdeck(["resolve", path, "--json", "--reveal"], as(bob)), "flightdeck: --reveal: printing decrypted secrets from secrets.yml; do not paste this output anywhere\n");
    assert.deepEqual((JSON.parse(revealed.stdout) as { hosts: Record<string, { vars: Record<string, unknown> }> }).hosts["db-1"]!.vars, { db_password: "hunter2", port: 5432 });
    fails(flightdeck(["resolve", path, "--json", "--reveal"]), /^flightdeck: secrets\.yml: no available age identity/);
  });
});
