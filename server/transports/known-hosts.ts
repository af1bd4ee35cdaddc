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

/**
 * The entries of a known_hosts text, in file order. The list and its entries are frozen: lookups index a parsed
 * list once (by plain host name) instead of matching every line for every connection.
 */
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
    entries.push(Object.freeze({ ...(marker ? { marker } : {}), hosts, keyType, key, line: i + 1 }));
  }
  return Object.freeze(entries) as KnownHostEntry[];
}

/** The name a host is recorded under: `addr` on port 22, `[addr]:port` otherwise. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

const ASCII = /^[ -~]*$/;

/** A pattern without `*`, `?` or `!`, in printable ASCII: it names one host, compared without case (as OpenSSH does). */
function isPlain(pattern: string): boolean {
  return !/[*?!]/.test(pattern) && ASCII.test(pattern);
}

/** Compiled `*`/`?` patterns: a fleet's known_hosts repeats few of them, and every connection tests them. */
const wildcards = new Map<string, RegExp>();

function wildcardMatch(pattern: string, name: string): boolean {
  // Without wildcards the regular expression below is a case-insensitive comparison; for ASCII text that is
  // exactly lowercase equality (non-ASCII letters are left to the expression, which folds them its own way).
  if (!/[*?]/.test(pattern) && ASCII.test(pattern) && ASCII.test(name)) return pattern.toLowerCase() === name.toLowerCase();
  let re = wildcards.get(pattern);
  if (!re) {
    re = new RegExp(
      "^" +
        pattern
          .split("")
          .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
          .join("") +
        "$",
      "i",
    );
    if (wildcards.size >= 1000) wildcards.clear();
    wildcards.set(pattern, re);
  }
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

/**
 * A parsed list's entries by plain host name (lowercase), plus the entries that must be matched line by line
 * (wildcards, negations, hashed names, non-ASCII), and the answers already given per name.
 */
interface HostIndex {
  plain: Map<string, KnownHostEntry[]>;
  patterned: KnownHostEntry[];
  revoked: KnownHostEntry[];
  byName: Map<string, readonly KnownHostEntry[]>;
}

const indexes = new WeakMap<readonly KnownHostEntry[], HostIndex>();

function indexOf(entries: readonly KnownHostEntry[]): HostIndex | undefined {
  // Only frozen lists (parseKnownHosts') are indexed: a list built by hand may change under the index.
  if (!Object.isFrozen(entries)) return undefined;
  let index = indexes.get(entries);
  if (!index) {
    index = { plain: new Map(), patterned: [], revoked: [], byName: new Map() };
    for (const e of entries) {
      if (e.marker === "revoked") index.revoked.push(e);
      const names = e.hosts.startsWith("|1|") ? [] : e.hosts.split(",").filter((p) => p !== "");
      if (names.length === 0 || !names.every(isPlain)) {
        index.patterned.push(e);
        continue;
      }
      for (const n of new Set(names.map((p) => p.toLowerCase()))) {
        const list = index.plain.get(n);
        if (list) list.push(e);
        else index.plain.set(n, [e]);
      }
    }
    indexes.set(entries, index);
  }
  return index;
}

/** The entries whose host field names `name` (any marker), in file order. */
function entriesFor(entries: readonly KnownHostEntry[], name: string): readonly KnownHostEntry[] {
  const index = indexOf(entries);
  if (!index || !ASCII.test(name)) return entries.filter((e) => hostMatches(e.hosts, name));
  let found = index.byName.get(name);
  if (!found) {
    const plain = index.plain.get(name.toLowerCase()) ?? [];
    const patterned = index.patterned.filter((e) => hostMatches(e.hosts, name));
    found = patterned.length === 0 ? plain : [...plain, ...patterned].sort((a, b) => a.line - b.line);
    // A run asks about each of its hosts once or twice; a long-lived server about as many names as it has hosts.
    if (index.byName.size >= 100_000) index.byName.clear();
    index.byName.set(name, found);
  }
  return found;
}

/** Compare the key a host offered with what known_hosts records for it. */
export function checkHostKey(entries: readonly KnownHostEntry[], name: string, key: Buffer): HostKeyVerdict {
  const forHost = entriesFor(entries, name).filter((e) => e.marker !== "cert-authority");
  const revoked = (indexOf(entries)?.revoked ?? entries).find((e) => e.marker === "revoked" && e.key.equals(key));
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
  for (const e of entriesFor(entries, name)) if (e.marker === undefined) types.add(e.keyType);
  return [...types];
}

/** The last text read from each file and its entries: the connections of a run read the same file. */
const parsedFiles = new Map<string, { text: string; entries: KnownHostEntry[] }>();

/**
 * The entries of a known_hosts file (none when it does not exist). The file is read every time, so a change is
 * seen at once; it is parsed (and indexed) again only when its text differs from the last read.
 */
export async function readKnownHosts(path: string): Promise<KnownHostEntry[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const last = parsedFiles.get(path);
  if (last?.text === text) return last.entries;
  const entries = parseKnownHosts(text);
  parsedFiles.delete(path);
  if (parsedFiles.size >= 16) parsedFiles.delete(parsedFiles.keys().next().value!);
  parsedFiles.set(path, { text, entries });
  return entries;
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
