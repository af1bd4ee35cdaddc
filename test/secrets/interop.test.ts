/** The real sops 3.8.1 file: decrypts exactly to its plaintext, its MAC verifies, and tampering is caught. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DecryptError, MacMismatchError, NoIdentityError, NotEncryptedError, readSecretsFile, secretKeyNames, secretRecipients } from "../../server/secrets";
import { ageDecrypt, ageKeygen, interopIdentity, interopKeyPath, interopPlaintext, interopText, referenceDecrypt, sopsBlock, tempDir } from "./helpers";

const FILE = "secret.enc.yaml";
const read = (text: string, identities = [interopIdentity()]) => readSecretsFile(text, identities, { file: FILE });

/** The error `fn` rejects with, after checking its class. */
async function rejection<T extends Error>(fn: () => Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${type.name}, but it resolved`);
}

describe("the sops 3.8.1 interop file", () => {
  test("decrypts exactly to plaintext.json, types included, and its MAC verifies", async () => {
    const { values, keys, recipients, warnings } = await read(interopText());
    assert.deepEqual(values, interopPlaintext());
    assert.equal(typeof values.int, "number");
    assert.equal(values.int, 7);
    assert.equal(values.float, 3.14);
    assert.equal(values.boolean, true);
    assert.deepEqual(keys, ["secret", "string", "int", "float", "boolean", "complex", "complex.value", "complex.array"]);
    assert.deepEqual(recipients, [
      "age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr",
      "age19j4d6v9j7rx5fs629fu387qz4zmlpsqjexa4s08tkfrrmfdl5cwqjlaupd",
      "age13runq29jhy9kfpaegczrzttykerswh0qprq59msgd754yermtfmsa3hwg2",
    ]);
    assert.deepEqual(warnings, []);
  });

  test("key names and recipients are readable without any identity", () => {
    assert.deepEqual(secretKeyNames(interopText(), FILE), ["secret", "string", "int", "float", "boolean", "complex", "complex.value", "complex.array"]);
    assert.equal(secretRecipients(interopText(), FILE).length, 3);
  });

  test("the age CLI unwraps the test key's entry to 32 bytes, and the spec-only decryptor agrees with the plaintext", () => {
    const entries = sopsBlock(interopText()).age;
    const opened = entries.map((e) => ageDecrypt(e.enc, interopKeyPath));
    assert.deepEqual(
      opened.map((k) => k?.length ?? null),
      [32, null, null],
    );
    const reference = referenceDecrypt(interopText(), opened[0]!);
    assert.equal(reference.mac, true);
    assert.deepEqual(reference.values, interopPlaintext());
  });

  test("an identity that is not a recipient: NoIdentityError naming the file and its recipients", async () => {
    const other = ageKeygen(tempDir(), "other");
    const e = await rejection(() => read(interopText(), [other.identity]), NoIdentityError);
    assert.match(e.message, /^secret\.enc\.yaml: no available age identity can decrypt this file \(its recipients: age1je6k/);
    assert.match(e.message, new RegExp(`the given identities \\(${other.recipient}\\)`));
  });

  test("no identity at all says where identities come from", async () => {
    const e = await rejection(() => read(interopText(), []), NoIdentityError);
    assert.match(e.message, /SOPS_AGE_KEY_FILE/);
  });
});

describe("tampering with the interop file is an error naming the file", () => {
  const lines = () => interopText().split("\n");

  test("one changed byte of a value's ciphertext: DecryptError at the value, with its key path", async () => {
    const text = interopText().replace("data:ME9a8+qqBCwXn0eqF010rw==", "data:ME9a8+qqBCwXn0eqF010rA==");
    const e = await rejection(() => read(text), DecryptError);
    assert.equal(e.message, "secret.enc.yaml:1:9: the value of 'secret' fails authentication: it was changed, moved from another key, or encrypted with another data key");
    assert.equal(e.line, 1);
  });

  test("a changed tag of a nested list item", async () => {
    const text = interopText().replace("tag:Uk5/fV0k2ICcHPY7gJfMNQ==", "tag:Uk5/fV0k2ICcHPY7gJfMNA==");
    const e = await rejection(() => read(text), DecryptError);
    assert.match(e.message, /^secret\.enc\.yaml:9:7: the value of 'complex\.array' fails authentication/);
  });

  test("a value moved to another key fails authentication (the path is the AAD)", async () => {
    const l = lines();
    const secret = l[0]!.slice("secret: ".length);
    l[1] = `string: ${secret}`;
    const e = await rejection(() => read(l.join("\n")), DecryptError);
    assert.match(e.message, /^secret\.enc\.yaml:2:9: the value of 'string' fails authentication/);
  });

  test("a changed MAC cannot be decrypted: MacMismatchError at the mac", async () => {
    const text = interopText().replace("mac: ENC[AES256_GCM,data:VkH/", "mac: ENC[AES256_GCM,data:VkH+");
    const e = await rejection(() => read(text), MacMismatchError);
    assert.match(e.message, /^secret\.enc\.yaml:\d+:\d+: cannot decrypt the MAC/);
  });

  test("a changed lastmodified (the MAC's AAD) also breaks the MAC", async () => {
    const text = interopText().replace('lastmodified: "2024-03-25T22:08:10Z"', 'lastmodified: "2024-03-25T22:08:11Z"');
    await rejection(() => read(text), MacMismatchError);
  });

  test("reordered keys: every value still decrypts, but the MAC does not match", async () => {
    const l = lines();
    [l[0], l[1]] = [l[1]!, l[0]!];
    const e = await rejection(() => read(l.join("\n")), MacMismatchError);
    assert.equal(e.message, "secret.enc.yaml: MAC mismatch: the values do not match the file's MAC (a value was changed, added, removed or reordered outside sops and Flightdeck); the file cannot be trusted");
  });

  test("a removed value, and an added clear value, break the MAC", async () => {
    const l = lines();
    await rejection(() => read(l.filter((_, i) => i !== 2).join("\n")), MacMismatchError);
    await rejection(() => read(`extra_unencrypted: 1\n${interopText()}`), MacMismatchError);
  });

  test("a value replaced by clear text is not silently accepted", async () => {
    const l = lines();
    l[0] = "secret: not encrypted";
    const e = await rejection(() => read(l.join("\n")), DecryptError);
    assert.equal(e.message, "secret.enc.yaml:1:9: the value of 'secret' is not an ENC[AES256_GCM,...] value; it should be encrypted");
    l[0] = "secret: 42";
    assert.match((await rejection(() => read(l.join("\n")), DecryptError)).message, /the value of 'secret' is not encrypted \(a int in clear/);
  });

  test("without its sops block it is not a sops file", async () => {
    const text = interopText().slice(0, interopText().indexOf("sops:"));
    const e = await rejection(() => read(text), NotEncryptedError);
    assert.equal(e.message, "secret.enc.yaml: not a sops-encrypted file: it has no top-level 'sops' metadata (encrypt it with `flightdeck secrets` or sops)");
    assert.throws(() => secretKeyNames(text, FILE), NotEncryptedError);
  });
});
