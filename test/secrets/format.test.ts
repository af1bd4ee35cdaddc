/** The sops format rules of specs/sops-age.md, one by one, checked on files Flightdeck writes. */
import assert from "node:assert/strict";
import { createDecipheriv } from "node:crypto";
import { describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { MacMismatchError, NotEncryptedError, openForEdit, readSecretsFile, SecretsError, UnsupportedValueError } from "../../server/secrets";
import { goFormatFloat, leafBytes, resolvePlain, resolveScalar, UnrepresentableScalar } from "../../server/secrets/scalars";
import { encryptDocuments, parsePlaintext, shouldBeEncrypted, SOPS_VERSION } from "../../server/secrets/sops";
import { ageKeygen, dataKeyViaAgeCli, interopIdentity, interopText, referenceDecrypt, sopsBlock, tempDir } from "./helpers";

const dir = tempDir();
const alice = ageKeygen(dir, "alice");

/** Encrypt plaintext YAML to alice, as `flightdeck secrets edit` does for a new file. */
async function encrypt(plaintext: string): Promise<string> {
  const session = await openForEdit(null, undefined, { recipients: [alice.recipient], file: "s.yml" });
  const text = await session.save(plaintext);
  assert.ok(text);
  return text;
}

const read = (text: string) => readSecretsFile(text, [alice.identity], { file: "s.yml" });

/** The `type:` and AES-GCM plaintext of an ENC string, decrypted with node:crypto and the given AAD. */
function openEnc(enc: string, key: Buffer, aad: string): { type: string; plain: string } | null {
  const m = /^#?ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/.exec(enc.trim());
  assert.ok(m, `not ENC: ${enc}`);
  try {
    const d = createDecipheriv("aes-256-gcm", key, Buffer.from(m[2]!, "base64"));
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(Buffer.from(m[3]!, "base64"));
    return { type: m[4]!, plain: Buffer.concat([d.update(Buffer.from(m[1]!, "base64")), d.final()]).toString() };
  } catch {
    return null;
  }
}

/** The raw (encrypted) value of a top-level or nested key, as written in the file. */
function raw(text: string, path: (string | number)[]): string {
  return (parseAllDocuments(text)[0]!.getIn(path) as string | undefined) ?? assert.fail(`no value at ${path.join(".")}`);
}

describe("scalars are typed as yaml.v3 types them (A5, A7)", () => {
  const type = (text: string) => {
    const r = resolvePlain(text);
    return r === null ? null : { type: r.type, bytes: leafBytes(r).toString() };
  };

  test("ints: decimal, octal (0777 and 0o17), hex, binary, underscores; the plaintext is decimal", () => {
    assert.deepEqual(type("7"), { type: "int", bytes: "7" });
    assert.deepEqual(type("0777"), { type: "int", bytes: "511" });
    assert.deepEqual(type("0o17"), { type: "int", bytes: "15" });
    assert.deepEqual(type("0x1F"), { type: "int", bytes: "31" });
    assert.deepEqual(type("0b101"), { type: "int", bytes: "5" });
    assert.deepEqual(type("1_000"), { type: "int", bytes: "1000" });
    assert.deepEqual(type("-5"), { type: "int", bytes: "-5" });
    assert.deepEqual(type("9223372036854775807"), { type: "int", bytes: "9223372036854775807" });
  });

  test("floats: 3.0 stays a float apart from 3, and Go's 'f' format never has an exponent", () => {
    assert.deepEqual(type("3.0"), { type: "float", bytes: "3" });
    assert.deepEqual(type("3.14"), { type: "float", bytes: "3.14" });
    assert.deepEqual(type(".5"), { type: "float", bytes: "0.5" });
    assert.deepEqual(type("1e21"), { type: "float", bytes: "1000000000000000000000" });
    assert.deepEqual(type("08"), { type: "float", bytes: "8" }, "not octal, so yaml.v3 reads a float");
    assert.equal(goFormatFloat(1.5e-7), "0.00000015");
    assert.equal(goFormatFloat(-0), "-0");
    assert.equal(goFormatFloat(Infinity), "+Inf");
    assert.deepEqual(type("1e400"), { type: "str", bytes: "1e400" }, "overflow: yaml.v3 keeps the string");
  });

  test("bools are True/False; YAML 1.1 words stay strings; null is null", () => {
    assert.deepEqual(type("true"), { type: "bool", bytes: "True" });
    assert.deepEqual(type("FALSE"), { type: "bool", bytes: "False" });
    assert.deepEqual(type("yes"), { type: "str", bytes: "yes" });
    assert.deepEqual(type("on"), { type: "str", bytes: "on" });
    for (const n of ["", "~", "null", "Null", "NULL"]) assert.equal(type(n), null);
  });

  test("timestamps: yaml.v3's formats, written as Go's MarshalText", () => {
    assert.deepEqual(type("2024-01-01"), { type: "time", bytes: "2024-01-01T00:00:00Z" });
    assert.deepEqual(type("2024-1-2 3:04:05.50"), { type: "time", bytes: "2024-01-02T03:04:05.5Z" });
    assert.deepEqual(type("2024-01-01T10:00:00+02:00"), { type: "time", bytes: "2024-01-01T10:00:00+02:00" });
    assert.deepEqual(type("2024-13-01"), { type: "str", bytes: "2024-13-01" });
  });

  test("quoted and block scalars are strings; explicit tags are honoured", () => {
    assert.deepEqual(resolveScalar("7", false), { type: "str", value: "7" });
    assert.deepEqual(resolveScalar("5", false, "tag:yaml.org,2002:int"), { type: "int", value: 5n });
    assert.deepEqual(resolveScalar("7", true, "tag:yaml.org,2002:str"), { type: "str", value: "7" });
  });

  test("an integer beyond int64 (a uint64 to yaml.v3) cannot be encrypted by sops", () => {
    assert.throws(() => resolvePlain("9223372036854775808"), UnrepresentableScalar);
  });
});

describe("values on disk (A5)", () => {
  test("each type's ENC tag and plaintext bytes; the spec-only decryptor reads the file and its MAC", async () => {
    const text = await encrypt("s: hello\ni: 7\nf: 3.0\nb: true\nt: 2024-01-01\nq: '7'\n");
    const key = dataKeyViaAgeCli(text, alice);
    const expect: Record<string, [string, string]> = { s: ["str", "hello"], i: ["int", "7"], f: ["float", "3"], b: ["bool", "True"], t: ["time", "2024-01-01T00:00:00Z"], q: ["str", "7"] };
    for (const [k, [t, plain]] of Object.entries(expect)) assert.deepEqual(openEnc(raw(text, [k]), key, `${k}:`), { type: t, plain }, k);
    const { values } = await read(text);
    assert.deepEqual(values, { s: "hello", i: 7, f: 3, b: true, t: new Date("2024-01-01T00:00:00Z"), q: "7" });
    assert.equal(referenceDecrypt(text.replace(/^t: .*\n/m, "").replace(/^f: .*\n/m, ""), key).mac, false, "the MAC covers every value");
  });

  test("32-byte IVs, 16-byte tags, padded standard base64", async () => {
    const text = await encrypt("a: x\n");
    const m = /iv:([^,]+),tag:([^,]+),/.exec(raw(text, ["a"]))!;
    assert.equal(Buffer.from(m[1]!, "base64").length, 32);
    assert.equal(Buffer.from(m[2]!, "base64").length, 16);
    assert.match(m[1]!, /=$/);
  });

  test("AAD: keys joined by ':' plus ':'; list items share their key's path; a map in a list continues it", async () => {
    const text = await encrypt("complex:\n  value: v\n  array: [one, two]\nsvc:\n  - secret: s\n");
    const key = dataKeyViaAgeCli(text, alice);
    assert.equal(openEnc(raw(text, ["complex", "value"]), key, "complex:value:")?.plain, "v");
    assert.equal(openEnc(raw(text, ["complex", "array", 1]), key, "complex:array:")?.plain, "two");
    assert.equal(openEnc(raw(text, ["svc", 0, "secret"]), key, "svc:secret:")?.plain, "s");
    assert.equal(openEnc(raw(text, ["complex", "array", 1]), key, "complex:array:1:"), null);
    const reference = referenceDecrypt(text, key);
    assert.deepEqual(reference, { values: { complex: { value: "v", array: ["one", "two"] }, svc: [{ secret: "s" }] }, mac: true });
  });

  test("empty strings and nulls are never encrypted; nulls are not hashed", async () => {
    const text = await encrypt('empty: ""\nnothing: null\nx: y\n');
    assert.match(text, /^empty: ""$/m);
    assert.match(text, /^nothing: null$/m);
    assert.deepEqual((await read(text)).values, { empty: "", nothing: null, x: "y" });
    assert.equal(referenceDecrypt(text, dataKeyViaAgeCli(text, alice)).mac, true);
  });

  test("_unencrypted: the value and everything below stays in clear, and is covered by the MAC", async () => {
    const text = await encrypt("port_unencrypted: 5432\nplain_unencrypted:\n  user: admin\n  list: [a, b]\npassword: pw\n");
    assert.match(text, /^port_unencrypted: 5432$/m);
    assert.match(text, /^ {4}user: admin$/m);
    assert.match(text, /^ {8}- a$/m);
    assert.match(raw(text, ["password"]), /^ENC\[AES256_GCM,/);
    assert.deepEqual((await read(text)).values, { port_unencrypted: 5432, plain_unencrypted: { user: "admin", list: ["a", "b"] }, password: "pw" });
    await assert.rejects(read(text.replace("port_unencrypted: 5432", "port_unencrypted: 5433")), MacMismatchError);
  });

  test("aliases are expanded (each copy encrypted under its own path) and anchors dropped", async () => {
    const text = await encrypt("base: &b {user: u}\nother: *b\n");
    assert.doesNotMatch(text, /[&*]b\b/);
    const key = dataKeyViaAgeCli(text, alice);
    assert.equal(openEnc(raw(text, ["other", "user"]), key, "other:user:")?.plain, "u");
    assert.deepEqual((await read(text)).values, { base: { user: "u" }, other: { user: "u" } });
  });
});

describe("comments (A2)", () => {
  const plaintext = "# top comment\ndb:\n  # the primary\n  password: pw # inline\nlist:\n  - a # item\nclear_unencrypted:\n  # kept readable\n  k: v\n";

  test("are encrypted as #ENC[...,type:comment] with the holding map's path as AAD, and decrypt back", async () => {
    const text = await encrypt(plaintext);
    const key = dataKeyViaAgeCli(text, alice);
    const comments = text.split("\n").filter((l) => /^\s*#|\s#ENC/.test(l));
    assert.equal(comments.filter((l) => l.includes("type:comment]")).length, 4);
    assert.doesNotMatch(text, /top comment|the primary|inline|item/);
    const at = (line: string) => line.slice(line.indexOf("#ENC") + 1);
    assert.deepEqual(openEnc(at(text.split("\n")[0]!), key, ":"), { type: "comment", plain: " top comment" });
    const primary = text.split("\n").find((l) => l.trim().startsWith("#ENC") && openEnc(at(l), key, "db:"))!;
    assert.equal(openEnc(at(primary), key, "db:")?.plain, " the primary");
    assert.match(text, /^ {4}# kept readable$/m, "under an _unencrypted key comments stay in clear");
    const session = await openForEdit(text, [alice.identity]);
    assert.equal(session.plaintext, "# top comment\ndb:\n    # the primary\n    password: pw # inline\nlist:\n    - a # item\nclear_unencrypted:\n    # kept readable\n    k: v\n");
    assert.deepEqual((await read(text)).warnings, []);
  });
});

describe("documents and metadata (A2, A3)", () => {
  test("the sops block: sorted keys, enc before recipient, lastmodified in UTC seconds, our version", async () => {
    const text = await encrypt("a: b\n");
    const block = sopsBlock(text);
    assert.deepEqual(Object.keys(block), ["age", "lastmodified", "mac", "unencrypted_suffix", "version"]);
    assert.deepEqual(Object.keys(block.age[0]!), ["enc", "recipient"]);
    assert.match(block.lastmodified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(text, /^ {4}lastmodified: "\d{4}-/m);
    assert.equal(block.unencrypted_suffix, "_unencrypted");
    assert.equal(block.version, SOPS_VERSION);
    assert.match(block.age[0]!.enc, /^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]*-----END AGE ENCRYPTED FILE-----\n$/);
    assert.match(text, /^ {8}- enc: \|\n/m);
  });

  test("the interop file's empty kms/pgp lists are accepted, and dropped on rewrite", async () => {
    const session = await openForEdit(interopText(), [interopIdentity()]);
    const text = (await session.save(session.plaintext.replace("this is a secret\ns", "changed\ns")))!;
    assert.deepEqual(Object.keys(sopsBlock(text)), ["age", "lastmodified", "mac", "unencrypted_suffix", "version"]);
  });

  test("multi-document files: each document gets the sops block; the MAC covers all of them", async () => {
    const text = await encrypt("a: 1\n---\nb: 2\n");
    assert.equal(text.match(/^sops:$/gm)?.length, 2);
    assert.deepEqual((await read(text)).values, { a: 1 });
    const session = await openForEdit(text, [alice.identity]);
    assert.equal(session.plaintext, "a: 1\n---\nb: 2\n");
    const second = text.indexOf("\n---\n");
    const tampered = text.slice(0, second) + text.slice(second).replace(/^b: ENC.*$/m, "c_unencrypted: 3");
    await assert.rejects(read(tampered), MacMismatchError);
  });

  test("rules: encrypted_regex encrypts only matching keys; two rules are an error", async () => {
    const plain = parsePlaintext("user: admin\npassword: pw\n", "s.yml");
    // Borrow the data key (and alice's wrapped copy of it) of a fresh file, and encrypt under another rule.
    const base = await encrypt("x: y\n");
    const key = dataKeyViaAgeCli(base, alice);
    const { enc } = sopsBlock(base).age[0]!;
    const text = encryptDocuments(plain, { file: "s.yml", key, rule: { kind: "encrypted_regex", value: "^pass" }, macOnlyEncrypted: false, age: [{ recipient: alice.recipient, enc }], others: [], lastmodified: "2024-01-01T00:00:00Z", format: { indent: 4, indentSeq: true } });
    assert.match(text, /^user: admin$/m);
    assert.match(text, /^password: ENC\[/m);
    assert.match(text, /^ {4}encrypted_regex: \^pass$/m);
    assert.deepEqual(openEnc(raw(text, ["password"]), key, "password:"), { type: "str", plain: "pw" });
    assert.deepEqual((await read(text)).values, { user: "admin", password: "pw" });
    assert.equal(shouldBeEncrypted({ kind: "encrypted_regex", value: "^pass" }, ["db", "password"], [[]], false), true);
    assert.equal(shouldBeEncrypted({ kind: "unencrypted_regex", value: "^pub" }, ["public", "x"], [[]], false), false);
    assert.equal(shouldBeEncrypted({ kind: "unencrypted_comment_regex", value: "sops:clear" }, ["a"], [[" sops:clear"]], false), false);
    const twoRules = text.replace("    encrypted_regex: ^pass", "    encrypted_regex: ^pass\n    unencrypted_suffix: _clear");
    await assert.rejects(readSecretsFile(twoRules, [alice.identity], { file: "s.yml" }), /at most one of unencrypted_suffix, .* found unencrypted_suffix and encrypted_regex/);
  });
});

describe("values sops cannot handle are rejected, located (A7.6)", () => {
  const fails = async (plaintext: string, message: RegExp, type: new (...a: never[]) => Error = UnsupportedValueError) => {
    const session = await openForEdit(null, undefined, { recipients: [alice.recipient], file: "s.yml" });
    await assert.rejects(session.save(plaintext), (e: Error) => {
      assert.ok(e instanceof type, String(e));
      assert.match(e.message, message);
      return true;
    });
  };

  test("a top-level list, a bare scalar, a non-string key, an int beyond int64, a top-level sops key", async () => {
    await fails("- a\n- b\n", /^s\.yml \(edited\):1:1: YAML documents that are sequences are not supported/);
    await fails("just text\n", /^s\.yml \(edited\):1:1: document 1: the top level must be a map/);
    await fails("a: 1\n7: x\n", /^s\.yml \(edited\):2:1: only string keys are supported: '7' reads as a int \(quote it\)$/);
    await fails("big: 18446744073709551615\n", /^s\.yml \(edited\):1:6: the integer 18446744073709551615 does not fit in 64 signed bits/);
    await fails("sops: {}\n", /^s\.yml \(edited\):1:1: a plaintext file with a top-level 'sops' key cannot be encrypted/, SecretsError);
    await fails("a: [\n", /^s\.yml \(edited\):2:1: YAML syntax: /, SecretsError);
  });

  test("a sops block without a MAC or version is not an encrypted file", async () => {
    const text = await encrypt("a: b\n");
    await assert.rejects(read(text.replace(/^ {4}mac: .*\n/m, "")), (e: Error) => e instanceof NotEncryptedError && /has no mac/.test(e.message));
    await assert.rejects(read(text.replace(/^ {4}version: .*\n/m, "")), NotEncryptedError);
  });
});
