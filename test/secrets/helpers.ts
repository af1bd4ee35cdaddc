/**
 * Shared helpers for the secrets tests: the sops 3.8.1 interop vector, keys made at test time with the Debian
 * `age` CLI, and an independent decryptor written straight from specs/sops-age.md (node:crypto and `age -d`,
 * none of server/secrets) to check that what Flightdeck writes is what sops reads.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createDecipheriv, createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { parseAllDocuments } from "yaml";
import { IDENTITY_PREFIX } from "../../server/secrets/keys";

export const INTEROP_DIR = "/work/shared/interop/sops-3.8.1-age";
export const interopText = () => readFileSync(join(INTEROP_DIR, "secret.enc.yaml"), "utf8");
export const interopKeyPath = join(INTEROP_DIR, "key.txt");
export const interopIdentity = () => readFileSync(interopKeyPath, "utf8").trim();
export const interopPlaintext = () => JSON.parse(readFileSync(join(INTEROP_DIR, "plaintext.json"), "utf8")) as Record<string, unknown>;

/** A temporary directory removed after the file's tests. */
export function tempDir(prefix = "flightdeck-secrets-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestKey {
  path: string;
  identity: string;
  recipient: string;
}

/** A fresh X25519 key made by the Debian `age-keygen`. */
export function ageKeygen(dir: string, name: string): TestKey {
  const path = join(dir, `${name}.txt`);
  execFileSync("age-keygen", ["-o", path], { stdio: "pipe" });
  const identity = readFileSync(path, "utf8").split("\n").find((l) => l.startsWith(`${IDENTITY_PREFIX}1`))!;
  const recipient = execFileSync("age-keygen", ["-y", path], { encoding: "utf8" }).trim();
  return { path, identity, recipient };
}

/** `age -d -i key` on an armored age file: the bytes, or null when the key does not open it. */
export function ageDecrypt(armored: string, keyPath: string): Buffer | null {
  const r = spawnSync("age", ["-d", "-i", keyPath], { input: armored });
  if (r.error) throw r.error;
  return r.status === 0 ? r.stdout : null;
}

/** The `sops` block of a file as plain data (default YAML schema). */
export function sopsBlock(text: string): { age: { recipient: string; enc: string }[]; lastmodified: string; mac: string; version: string; [k: string]: unknown } {
  const doc = parseAllDocuments(text)[0]!;
  return (doc.toJS() as { sops: ReturnType<typeof sopsBlock> }).sops;
}

/** The data key of a file, unwrapped by the `age` CLI from the entry of the given key's recipient. */
export function dataKeyViaAgeCli(text: string, key: { path: string; recipient: string }): Buffer {
  const entry = sopsBlock(text).age.find((e) => e.recipient === key.recipient);
  assert.ok(entry, `no age entry for ${key.recipient}`);
  const bytes = ageDecrypt(entry.enc, key.path);
  assert.ok(bytes, "age -d could not unwrap the data key");
  assert.equal(bytes.length, 32);
  return bytes;
}

const ENC = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

function open(value: string, key: Buffer, aad: string): { type: string; text: string } {
  const m = ENC.exec(value);
  assert.ok(m, `not an encrypted value: ${value}`);
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(m[2]!, "base64"));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(m[3]!, "base64"));
  const text = Buffer.concat([decipher.update(Buffer.from(m[1]!, "base64")), decipher.final()]).toString("utf8");
  return { type: m[4]!, text };
}

/**
 * Decrypt a single-document sops file with default rules (unencrypted_suffix), written from the spec alone:
 * AAD = keys joined by ':' plus ':', no list indices; MAC = SHA-512 of the values' bytes in order, upper-case
 * hex, encrypted with lastmodified as AAD. Returns the plaintext values (typed from `type:`) and whether the
 * MAC matched.
 */
export function referenceDecrypt(text: string, key: Buffer): { values: Record<string, unknown>; mac: boolean } {
  const data = parseAllDocuments(text)[0]!.toJS() as Record<string, unknown>;
  const { sops, ...rest } = data as { sops: { lastmodified: string; mac: string; unencrypted_suffix?: string } };
  const suffix = sops.unencrypted_suffix ?? "_unencrypted";
  const hash = createHash("sha512");
  const walk = (v: unknown, path: string[]): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, path));
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    if (v === null) return null;
    const scalar = typeof v === "boolean" ? (v ? "True" : "False") : typeof v === "number" ? String(v) : typeof v === "string" ? v : JSON.stringify(v);
    const clear = path.some((k) => k.endsWith(suffix)) || v === "";
    if (clear) {
      hash.update(scalar);
      return v;
    }
    const { type, text: plain } = open(scalar, key, `${path.join(":")}:`);
    hash.update(plain);
    if (type === "int" || type === "float") return Number(plain);
    if (type === "bool") return plain === "True";
    return plain;
  };
  const values = walk(rest, []) as Record<string, unknown>;
  const stored = open(sops.mac, key, sops.lastmodified).text;
  return { values, mac: stored === hash.digest("hex").toUpperCase() };
}

/** Write text to a file (a site file, an identity). */
export function write(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}
