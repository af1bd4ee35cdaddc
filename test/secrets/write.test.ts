/** Writing sops files: round trips, small diffs, data keys the age CLI unwraps, rotation and recipients. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { KeyFormatError, NoIdentityError, openForEdit, readSecretsFile, rotate, secretRecipients, setRecipients, writeSecretsFile } from "../../server/secrets";
import { ageDecrypt, ageKeygen, dataKeyViaAgeCli, interopIdentity, interopKeyPath, interopPlaintext, interopText, referenceDecrypt, sopsBlock, tempDir } from "./helpers";

const dir = tempDir();
const alice = ageKeygen(dir, "alice");
const bob = ageKeygen(dir, "bob");
const carol = ageKeygen(dir, "carol");

/** The lines holding an ENC value, without the MAC (it changes with lastmodified on every write). */
const encLines = (text: string) => text.split("\n").filter((l) => l.includes("ENC[") && !/^\s*mac:/.test(l));

const SOURCE = `# database credentials
db:
    user_unencrypted: admin # the login
    password: hunter2
    port: 5432
# the MAAS region keys
maas:
    dc1_key: k1
    dc2_key: k2
ratio: 3.0
`;

async function fresh(recipients = [alice.recipient, bob.recipient]): Promise<string> {
  const text = await (await openForEdit(null, undefined, { recipients })).save(SOURCE);
  assert.ok(text);
  return text;
}

describe("read -> write -> read", () => {
  test("keeps values (types included), comments, key order and _unencrypted values in clear", async () => {
    const first = await fresh();
    const { values } = await readSecretsFile(first, [alice.identity]);
    const second = await writeSecretsFile(first, values, null, [alice.identity]);
    const again = await readSecretsFile(second, [bob.identity]);
    assert.deepEqual(again.values, { db: { user_unencrypted: "admin", password: "hunter2", port: 5432 }, maas: { dc1_key: "k1", dc2_key: "k2" }, ratio: 3 });
    assert.deepEqual(again.keys, ["db", "db.user_unencrypted", "db.password", "db.port", "maas", "maas.dc1_key", "maas.dc2_key", "ratio"]);
    assert.match(second, /^ {4}user_unencrypted: admin #ENC\[AES256_GCM,/m, "the clear value stays clear; its comment is encrypted");
    assert.equal((await openForEdit(second, [alice.identity])).plaintext, SOURCE);
    assert.match(second, /^ratio: ENC\[.*type:float\]$/m, "3.0 given back as 3 keeps its float type");
  });

  test("unchanged values keep their ciphertexts; a changed value gets a new one; removed and added keys", async () => {
    const first = await fresh();
    const { values } = await readSecretsFile(first, [alice.identity]);
    const next = { ...values, maas: { dc1_key: "k1", dc2_key: "changed", dc3_key: "k3" }, ratio: undefined };
    delete next.ratio;
    const second = await writeSecretsFile(first, next, null, [alice.identity]);
    const before = encLines(first);
    const after = encLines(second);
    const changed = after.filter((l) => !before.includes(l));
    assert.equal(changed.length, 2);
    assert.match(changed[0]!, /^ {4}dc2_key: ENC/);
    assert.match(changed[1]!, /^ {4}dc3_key: ENC/);
    assert.deepEqual(
      before.filter((l) => !after.includes(l)).map((l) => l.trim().split(":")[0]),
      ["dc2_key", "ratio"],
    );
    assert.deepEqual(sopsBlock(second).age, sopsBlock(first).age, "the same data key, wrapped as before");
    assert.deepEqual((await readSecretsFile(second, [bob.identity])).keys, ["db", "db.user_unencrypted", "db.password", "db.port", "maas", "maas.dc1_key", "maas.dc2_key", "maas.dc3_key"]);
  });

  test("the interop file written back: same values, same ciphertexts, a MAC the spec-only decryptor verifies", async () => {
    const { values } = await readSecretsFile(interopText(), [interopIdentity()]);
    const text = await writeSecretsFile(interopText(), values, null, [interopIdentity()]);
    assert.deepEqual(encLines(text).map((l) => l.trim()), encLines(interopText()).map((l) => l.trim()));
    assert.deepEqual((await readSecretsFile(text, [interopIdentity()])).values, interopPlaintext());
    const key = ageDecrypt(sopsBlock(text).age[0]!.enc, interopKeyPath)!;
    assert.deepEqual(referenceDecrypt(text, key), { values: interopPlaintext(), mac: true });
    assert.match(text, /^ {2}value: ENC/m, "the file's 2-space indentation is kept");
  });

  test("a new file from values", async () => {
    const text = await writeSecretsFile(null, { api: { token: "t" }, n: 1, when: new Date("2024-05-06T07:08:09.123Z") }, [alice.recipient]);
    assert.deepEqual((await readSecretsFile(text, [alice.identity])).values, { api: { token: "t" }, n: 1, when: new Date("2024-05-06T07:08:09.123Z") });
    await assert.rejects(writeSecretsFile(null, { a: "b" }, []), /no recipients/);
    await assert.rejects(writeSecretsFile(null, { a: "b" }, ["age1bogus"]), KeyFormatError);
    await assert.rejects(writeSecretsFile(null, { a: "b" }, ["ssh-ed25519 AAAAC3Nza"]), /SSH recipients are not supported/);
  });
});

describe("the Debian age CLI", () => {
  test("unwraps every recipient's copy of a Flightdeck-written data key to the same 32 bytes, which decrypts the file", async () => {
    const text = await fresh([alice.recipient, bob.recipient, carol.recipient]);
    const keys = [alice, bob, carol].map((k) => dataKeyViaAgeCli(text, k));
    assert.equal(keys[0]!.length, 32);
    assert.deepEqual(keys[1], keys[0]);
    assert.deepEqual(keys[2], keys[0]);
    assert.equal(ageDecrypt(sopsBlock(text).age[0]!.enc, bob.path), null, "each entry is encrypted to its recipient alone");
    const reference = referenceDecrypt(text, keys[0]!);
    assert.equal(reference.mac, true);
    assert.deepEqual(reference.values, { db: { user_unencrypted: "admin", password: "hunter2", port: 5432 }, maas: { dc1_key: "k1", dc2_key: "k2" }, ratio: 3 });
  });
});

describe("rotate and recipients", () => {
  test("rotate changes the data key and re-encrypts every value; the values stay", async () => {
    const first = await fresh();
    const rotated = await rotate(first, [alice.identity]);
    assert.notDeepEqual(dataKeyViaAgeCli(rotated, bob), dataKeyViaAgeCli(first, bob));
    const before = encLines(first);
    assert.equal(encLines(rotated).filter((l) => before.includes(l)).length, 0, "no ciphertext survives");
    assert.deepEqual((await readSecretsFile(rotated, [bob.identity])).values, (await readSecretsFile(first, [bob.identity])).values);
    assert.equal(referenceDecrypt(rotated, dataKeyViaAgeCli(rotated, alice)).mac, true);
  });

  test("adding a recipient re-wraps the same data key; the new recipient reads, the old entries stay", async () => {
    const first = await fresh([alice.recipient]);
    const added = await setRecipients(first, [alice.recipient, carol.recipient], [alice.identity]);
    assert.deepEqual(secretRecipients(added), [alice.recipient, carol.recipient]);
    assert.deepEqual(dataKeyViaAgeCli(added, carol), dataKeyViaAgeCli(first, alice));
    assert.equal(sopsBlock(added).age[0]!.enc, sopsBlock(first).age[0]!.enc);
    assert.deepEqual(encLines(added), encLines(first));
    assert.equal((await readSecretsFile(added, [carol.identity])).values.ratio, 3);
  });

  test("removing a recipient: it can no longer open the file", async () => {
    const first = await fresh([alice.recipient, bob.recipient]);
    const removed = await setRecipients(first, [alice.recipient], [bob.identity]);
    assert.deepEqual(secretRecipients(removed), [alice.recipient]);
    await assert.rejects(readSecretsFile(removed, [bob.identity]), NoIdentityError);
    assert.equal((await readSecretsFile(removed, [alice.identity])).values.ratio, 3);
    assert.equal(await setRecipients(removed, [alice.recipient], [alice.identity]), removed, "no change, the same text");
  });
});
