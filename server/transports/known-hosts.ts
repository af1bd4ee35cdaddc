/**
 * OpenSSH known_hosts, read and appended by hand: plain names, `[host]:port`, comma lists, `*`/`?` patterns
 * with `!` negation, hashed `|1|salt|hash` names (HMAC-SHA1), `@revoked` keys (honoured) and `@cert-authority`
 * lines (skipped: certificates are not supported).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";

export interface KnownHostEntry {
  marker?: "revoked" | "cert-authority";
  /** The host pattern field as written (comma list or `|1|salt|hash`). */
  hosts: string;
  keyType: string;
  key: Buffer;
  /** 1-based line number, for messages. */
  line: number;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const trimmed = (lines[i] ?? "").trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (fields[0]?.startsWith("@")) {
      const m = fields.shift();
      if (m === "@revoked") marker = "revoked";
      else if (m === "@cert-authority") marker = "cert-authority";
      else continue; // unknown marker: ignore the line, as OpenSSH does
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const key = Buffer.from(b64, "base64");
    if (key.length === 0) continue;
    entries.push({ ...(marker ? { marker } : {}), hosts, keyType, key, line: i + 1 });
  }
  return entries;
}

/** The name a host is recorded under: `addr` on port 22, `[addr]:port` otherwise. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    "^" +
      pattern
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("") +
      "$",
    "i",
  );
  return re.test(name);
}

/** Does the entry's host field name this host? */
export function hostMatches(hostsField: string, name: string): boolean {
  if (hostsField.startsWith("|1|")) {
    const [, , salt, hash] = hostsField.split("|");
    if (!salt || !hash) return false;
    const expected = Buffer.from(hash, "base64");
    const actual = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest();
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
  let matched = false;
  for (const raw of hostsField.split(",")) {
    if (raw === "") continue;
    const negated = raw.startsWith("!");
    const pattern = negated ? raw.slice(1) : raw;
    if (wildcardMatch(pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** `hashed` form of a name, as `ssh-keygen -H` writes it (used by tests). */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac("sha1", salt).update(name).digest();
  return `|1|${salt.toString("base64")}|${hash.toString("base64")}`;
}

/** OpenSSH's `SHA256:` fingerprint (base64, no padding) of a key blob. */
export function fingerprint(key: Buffer): string {
  return "SHA256:" + createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
}

/** The key type named inside an SSH public key blob (its first string). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return "unknown";
  const len = key.readUInt32BE(0);
  if (len > key.length - 4 || len > 64) return "unknown";
  return key.subarray(4, 4 + len).toString("latin1");
}

export type HostKeyVerdict =
  | { status: "match"; entry: KnownHostEntry }
  | { status: "unknown" }
  | { status: "mismatch"; recorded: KnownHostEntry[] }
  | { status: "revoked"; entry: KnownHostEntry };

/** Compare the key a host offered with what known_hosts records for it. */
export function checkHostKey(entries: readonly KnownHostEntry[], name: string, key: Buffer): HostKeyVerdict {
  const forHost = entries.filter((e) => e.marker !== "cert-authority" && hostMatches(e.hosts, name));
  const revoked = entries.find((e) => e.marker === "revoked" && e.key.equals(key));
  if (revoked) return { status: "revoked", entry: revoked };
  const recorded = forHost.filter((e) => e.marker === undefined);
  const match = recorded.find((e) => e.key.equals(key));
  if (match) return { status: "match", entry: match };
  if (recorded.length === 0) return { status: "unknown" };
  return { status: "mismatch", recorded };
}

/** Key types known_hosts records for a host (so the handshake can ask for one of those first). */
export function recordedKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  const types = new Set<string>();
  for (const e of entries) if (e.marker === undefined && hostMatches(e.hosts, name)) types.add(e.keyType);
  return [...types];
}

export async function readKnownHosts(path: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(path, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

const appendQueues = new Map<string, Promise<void>>();

/** Append `name keytype base64` (one write, after any pending append to the same file); creates the file 0600. */
export function appendKnownHost(path: string, name: string, key: Buffer): Promise<void> {
  const previous = appendQueues.get(path) ?? Promise.resolve();
  const next = previous.then(async () => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    let prefix = "";
    try {
      const text = await readFile(path, "utf8");
      if (text.length > 0 && !text.endsWith("\n")) prefix = "\n";
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    await appendFile(path, `${prefix}${name} ${keyTypeOf(key)} ${key.toString("base64")}\n`, { mode: 0o600 });
  });
  const settled = next.catch(() => undefined);
  appendQueues.set(path, settled);
  void settled.then(() => {
    if (appendQueues.get(path) === settled) appendQueues.delete(path);
  });
  return next;
}
