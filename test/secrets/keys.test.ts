/** Identities: where they come from, passphrase-protected identity files, and the server's own identity. */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  findIdentities,
  KeyFormatError,
  loadServerIdentity,
  lockIdentityFile,
  NoIdentityError,
  PassphraseError,
  readSecretsFile,
  unlockServerIdentity,
  writeSecretsFile,
  type IdentitySource,
} from "../../server/secrets";
import { IDENTITY_PREFIX } from "../../server/secrets/keys";
import { ageKeygen, interopIdentity, interopText, tempDir } from "./helpers";

const dir = tempDir();
const alice = ageKeygen(dir, "alice");
const bob = ageKeygen(dir, "bob");
const WORK_FACTOR = 10; // fast scrypt for tests (age's default is 18)

describe("identity sources, in sops' order", () => {
  test("SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, the default keys.txt, then the server identity", async () => {
    const config = join(dir, "config");
    mkdirSync(join(config, "sops", "age"), { recursive: true });
    writeFileSync(join(config, "sops", "age", "keys.txt"), `# a comment\n\n${bob.identity}\n`);
    const data = join(dir, "data-order");
    const server = await loadServerIdentity(data);
    const set = findIdentities({ env: { SOPS_AGE_KEY: `${interopIdentity()}\n`, SOPS_AGE_KEY_FILE: alice.path, XDG_CONFIG_HOME: config }, dataDir: data });
    assert.deepEqual(
      set.sources.map((s) => [s.label, s.identities.length]),
      [
        ["SOPS_AGE_KEY", 1],
        [alice.path, 1],
        [join(config, "sops", "age", "keys.txt"), 1],
        [server.path, 1],
      ],
    );
    assert.deepEqual((await readSecretsFile(interopText(), set)).keys.length, 8);
  });

  test("the default location is ~/.config/sops/age/keys.txt without XDG_CONFIG_HOME; missing files are skipped", () => {
    const home = join(dir, "home");
    mkdirSync(join(home, ".config", "sops", "age"), { recursive: true });
    writeFileSync(join(home, ".config", "sops", "age", "keys.txt"), `${alice.identity}\n`);
    assert.deepEqual(findIdentities({ env: { HOME: home } }).sources.map((s) => s.label), [join(home, ".config", "sops", "age", "keys.txt")]);
    assert.deepEqual(findIdentities({ env: { HOME: join(dir, "nobody") } }).sources, []);
  });

  test("a SOPS_AGE_KEY_FILE that cannot be read, and a line that is not an identity, are located errors", () => {
    const missing = join(dir, "missing.txt");
    assert.throws(() => findIdentities({ env: { SOPS_AGE_KEY_FILE: missing } }), (e: Error) => e instanceof NoIdentityError && e.message === `${missing}: cannot read the identity file named by SOPS_AGE_KEY_FILE: ENOENT`);
    const bad = join(dir, "bad.txt");
    writeFileSync(bad, `# ok\n${alice.identity}\nAGE-SECRET-KEY-oops\n`);
    assert.throws(() => findIdentities({ env: { SOPS_AGE_KEY_FILE: bad } }), (e: Error) => e instanceof KeyFormatError && e.message === `${bad}:3:1: not an age identity (expected ${IDENTITY_PREFIX}1...)`);
  });
});

describe("passphrase-protected identity files (age scrypt)", () => {
  const locked = join(dir, "locked.age");
  let text = "";

  test("setup: a file for alice, and alice's identity locked with a passphrase", async () => {
    writeFileSync(locked, await lockIdentityFile(readFileSync(alice.path, "utf8"), "correct horse", WORK_FACTOR));
    assert.match(readFileSync(locked, "utf8"), /^-----BEGIN AGE ENCRYPTED FILE-----/);
    text = await writeSecretsFile(null, { a: "b" }, [alice.recipient]);
  });

  test("the right passphrase unlocks it, asked only when needed and once", async () => {
    const asked: string[] = [];
    const set = findIdentities({ env: { SOPS_AGE_KEY_FILE: locked, HOME: dir }, passphrase: (s: IdentitySource) => (asked.push(s.label), Promise.resolve("correct horse")) });
    assert.equal(set.sources[0]!.locked instanceof Uint8Array, true);
    assert.deepEqual((await readSecretsFile(text, set)).values, { a: "b" });
    assert.deepEqual(asked, [locked]);
    await readSecretsFile(text, set);
    assert.deepEqual(asked, [locked], "unlocked once for the set");
  });

  test("not asked when a plain identity opens the file", async () => {
    let asked = 0;
    const set = findIdentities({ env: { SOPS_AGE_KEY: alice.identity, SOPS_AGE_KEY_FILE: locked, HOME: dir }, passphrase: () => (asked++, Promise.resolve("x")) });
    await readSecretsFile(text, set);
    assert.equal(asked, 0);
  });

  test("a wrong passphrase is a PassphraseError naming the file; nothing else is tried", async () => {
    const set = findIdentities({ env: { SOPS_AGE_KEY_FILE: locked, HOME: dir }, passphrase: () => Promise.resolve("wrong") });
    await assert.rejects(readSecretsFile(text, set), (e: Error) => e instanceof PassphraseError && e.message === `${locked}: wrong passphrase for this passphrase-protected identity file`);
  });

  test("no passphrase available: NoIdentityError saying how to give one", async () => {
    const set = findIdentities({ env: { SOPS_AGE_KEY_FILE: locked, HOME: dir }, passphrase: () => Promise.resolve(undefined) });
    await assert.rejects(readSecretsFile(text, set), (e: Error) => e instanceof NoIdentityError && /passphrase-protected, locked/.test(e.message) && /FLIGHTDECK_AGE_PASSPHRASE/.test(e.message));
  });
});

describe("the server identity", () => {
  test("created on first call with mode 0600 (age-keygen's format), then reused", async () => {
    const data = join(dir, "data");
    const first = await loadServerIdentity(data);
    assert.equal(first.created, true);
    assert.equal(first.path, join(data, "age-identity.txt"));
    assert.equal(statSync(first.path).mode & 0o777, 0o600);
    const content = readFileSync(first.path, "utf8");
    assert.match(content, new RegExp(`^# created: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\n# public key: age1[a-z0-9]+\\n${IDENTITY_PREFIX}1[A-Z0-9]+\\n$`));
    assert.deepEqual(first.recipients, [/# public key: (age1[a-z0-9]+)/.exec(content)![1]]);
    const second = await loadServerIdentity(data);
    assert.equal(second.created, false);
    assert.deepEqual(second.recipients, first.recipients);
    assert.equal(readFileSync(first.path, "utf8"), content);
    assert.equal(second.warning, undefined);
    const text = await writeSecretsFile(null, { k: "v" }, first.recipients);
    assert.deepEqual((await readSecretsFile(text, { sources: [second.source] })).values, { k: "v" });
  });

  test("readable by others: a warning naming the fix", async () => {
    const data = join(dir, "data-open");
    const { path } = await loadServerIdentity(data);
    chmodSync(path, 0o644);
    assert.equal((await loadServerIdentity(data)).warning, `${path}: permissions 0644 let other users read the server's age identity; run chmod 600 ${path}`);
  });

  test("not created when create is false", async () => {
    await assert.rejects(loadServerIdentity(join(dir, "data-none"), { create: false }), NoIdentityError);
  });

  test("passphrase-protected: locked at start without a passphrase, unlocked later; a wrong one is refused", async () => {
    const data = join(dir, "data-locked");
    mkdirSync(data);
    writeFileSync(join(data, "age-identity.txt"), await lockIdentityFile(readFileSync(bob.path, "utf8"), "team secret", WORK_FACTOR), { mode: 0o600 });
    const identity = await loadServerIdentity(data);
    assert.equal(identity.locked, true);
    assert.deepEqual(identity.recipients, []);
    await assert.rejects(unlockServerIdentity(identity, "nope"), PassphraseError);
    assert.equal(identity.locked, true);
    await unlockServerIdentity(identity, "team secret");
    assert.equal(identity.locked, false);
    assert.deepEqual(identity.recipients, [bob.recipient]);
    const atStart = await loadServerIdentity(data, { passphrase: "team secret" });
    assert.deepEqual(atStart.recipients, [bob.recipient]);
    await assert.rejects(loadServerIdentity(data, { passphrase: "wrong" }), /wrong passphrase/);
  });
});
