/**
 * age keys for sops files (spec A4): where identities come from, passphrase-protected identity files, the
 * server's own identity, and wrapping the 32-byte data key as one armored age file per recipient.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { armor, Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { DATA_KEY_BYTES } from "./cipher";
import { KeyFormatError, NoIdentityError, PassphraseError, SecretsError } from "./errors";

/** One place identities come from, in the order they are tried. */
export interface IdentitySource {
  /** How to name it in messages: `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE (/path)`, a path. */
  label: string;
  /** Identity strings (IDENTITY_PREFIX…); empty while the source is locked. */
  identities: string[];
  /** A passphrase-protected identity file (an age file encrypted with scrypt), until it is unlocked. */
  locked?: Uint8Array;
}

export interface IdentitySet {
  sources: IdentitySource[];
  /**
   * Asked for the passphrase of a locked source, only when its identities are needed (no unlocked identity
   * opened the file). Undefined when none can be had (no terminal, no FLIGHTDECK_AGE_PASSPHRASE).
   */
  passphrase?: (source: IdentitySource) => Promise<string | undefined>;
}

/** The default sops location: `$XDG_CONFIG_HOME/sops/age/keys.txt`, else `~/.config/sops/age/keys.txt`. */
export function defaultKeysPath(env: Record<string, string | undefined>, home = homedir()): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || home, ".config");
  return join(base, "sops", "age", "keys.txt");
}

export const SERVER_IDENTITY_FILE = "age-identity.txt";

export interface FindIdentitiesOptions {
  env?: Record<string, string | undefined>;
  /** The server's data directory: its identity is used (read only, never created) when the file exists. */
  dataDir?: string;
  passphrase?: IdentitySet["passphrase"];
}

/**
 * The identities available to a command, in sops' order: `SOPS_AGE_KEY` (identity lines), `SOPS_AGE_KEY_FILE`
 * (a path; an error when set but unreadable), the default sops keys file, then the server identity.
 */
export function findIdentities(options: FindIdentitiesOptions = {}): IdentitySet {
  const env = options.env ?? process.env;
  const sources: IdentitySource[] = [];
  const inline = env.SOPS_AGE_KEY;
  if (inline?.trim()) sources.push({ label: "SOPS_AGE_KEY", identities: parseIdentities(inline, "SOPS_AGE_KEY") });
  const keyFile = env.SOPS_AGE_KEY_FILE;
  if (keyFile) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(keyFile);
    } catch (e) {
      throw new NoIdentityError({ file: keyFile }, `cannot read the identity file named by SOPS_AGE_KEY_FILE: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    sources.push(identitySource(bytes, keyFile));
  }
  const defaultPath = defaultKeysPath(env);
  if (defaultPath !== keyFile) {
    const bytes = readIfExists(defaultPath);
    if (bytes) sources.push(identitySource(bytes, defaultPath));
  }
  if (options.dataDir) {
    const path = join(options.dataDir, SERVER_IDENTITY_FILE);
    const bytes = readIfExists(path);
    if (bytes) sources.push(identitySource(bytes, path));
  }
  return { sources, passphrase: options.passphrase };
}

function readIfExists(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw new NoIdentityError({ file: path }, `cannot read this identity file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** An identity file's contents as a source: plain identity lines, or a locked passphrase-protected file. */
export function identitySource(bytes: Uint8Array, label: string): IdentitySource {
  if (isAgeFile(bytes)) return { label, identities: [], locked: bytes };
  return { label, identities: parseIdentities(Buffer.from(bytes).toString("utf8"), label) };
}

/** An age file (armored or binary), as `age -p` writes a passphrase-protected identity file. */
export function isAgeFile(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 64)).toString("latin1").trimStart();
  return head.startsWith("-----BEGIN AGE ENCRYPTED FILE-----") || head.startsWith("age-encryption.org/v1\n");
}

/** What every age identity line starts with (then `1…` for X25519, `PQ-1…` for post-quantum keys). */
export const IDENTITY_PREFIX = "AGE-SECRET-KEY-";
const IDENTITY_LINE = new RegExp(`^${IDENTITY_PREFIX}(PQ-)?1[0-9A-Z]+$`);

/** Identity lines (X25519 or post-quantum); `#` comments and blank lines skipped. */
export function parseIdentities(text: string, label: string): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    if (IDENTITY_LINE.test(line)) out.push(line);
    else if (line.startsWith("AGE-PLUGIN-")) throw new KeyFormatError({ file: label, line: i + 1 }, "age plugin identities are not supported; use an X25519 identity (age-keygen)");
    else if (line.startsWith("-----BEGIN")) throw new KeyFormatError({ file: label, line: i + 1 }, "SSH and other PEM keys are not supported as age identities; use an age identity (age-keygen)");
    else throw new KeyFormatError({ file: label, line: i + 1 }, `not an age identity (expected ${IDENTITY_PREFIX}1...)`);
  });
  return out;
}

/** Whether an age file is protected by a passphrase (its header has an scrypt stanza). */
function isScryptFile(file: Uint8Array): boolean {
  return /\n-> scrypt /.test(Buffer.from(file.subarray(0, 256)).toString("latin1"));
}

function binaryAgeFile(bytes: Uint8Array, label: string): Uint8Array {
  const text = Buffer.from(bytes).toString("latin1");
  if (!text.trimStart().startsWith("-----BEGIN")) return bytes;
  try {
    return armor.decode(Buffer.from(bytes).toString("utf8"));
  } catch (e) {
    throw new KeyFormatError({ file: label }, `malformed armored age file: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Open a passphrase-protected identity file: its identity lines. A wrong passphrase is a PassphraseError. */
export async function unlockIdentityFile(bytes: Uint8Array, passphrase: string, label: string): Promise<string[]> {
  const file = binaryAgeFile(bytes, label);
  if (!isScryptFile(file)) {
    throw new PassphraseError({ file: label }, "this age file is encrypted to a recipient, not a passphrase; decrypt it with `age -d` and point SOPS_AGE_KEY_FILE at the result");
  }
  const decrypter = new Decrypter();
  decrypter.addPassphrase(passphrase);
  let text: string;
  try {
    text = await decrypter.decrypt(file, "text");
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/no identity matched/.test(message)) throw new PassphraseError({ file: label }, "wrong passphrase for this passphrase-protected identity file");
    throw new PassphraseError({ file: label }, `cannot open this passphrase-protected identity file: ${message}`);
  }
  return parseIdentities(text, label);
}

/** Protect identity lines with a passphrase (age scrypt, armored): what `age -p -a` writes. */
export async function lockIdentityFile(identityText: string, passphrase: string, workFactor?: number): Promise<string> {
  const encrypter = new Encrypter();
  encrypter.setPassphrase(passphrase);
  if (workFactor !== undefined) encrypter.setScryptWorkFactor(workFactor);
  return armor.encode(await encrypter.encrypt(identityText));
}

/** Unlock a locked source in place with the set's passphrase callback. False when no passphrase is available. */
async function unlock(set: IdentitySet, source: IdentitySource): Promise<boolean> {
  if (!source.locked) return true;
  const passphrase = set.passphrase ? await set.passphrase(source) : undefined;
  if (passphrase === undefined) return false;
  source.identities = await unlockIdentityFile(source.locked, passphrase, source.label);
  source.locked = undefined;
  return true;
}

/** Unlock every locked source now (the server at start, the UI on request). */
export async function unlockAll(set: IdentitySet): Promise<void> {
  for (const source of set.sources) await unlock(set, source);
}

export interface WrappedKey {
  recipient: string;
  enc: string;
}

/**
 * The data key, from the first entry that some identity opens (sops' decryptKeyGroup). Passphrase-protected
 * identity files are unlocked only when the plain identities open nothing.
 */
export async function unwrapDataKey(entries: readonly WrappedKey[], set: IdentitySet, file: string): Promise<Buffer> {
  const problems: string[] = [];
  const attempt = async (): Promise<Buffer | undefined> => {
    const identities = set.sources.flatMap((s) => s.identities);
    if (!identities.length) return undefined;
    const decrypter = new Decrypter();
    for (const identity of identities) decrypter.addIdentity(identity);
    for (const entry of entries) {
      let wrapped: Uint8Array;
      try {
        wrapped = armor.decode(entry.enc);
      } catch (e) {
        problems.push(`the entry for ${entry.recipient} is not an armored age file (${e instanceof Error ? e.message : String(e)})`);
        continue;
      }
      try {
        const key = await decrypter.decrypt(wrapped);
        if (key.length !== DATA_KEY_BYTES) {
          problems.push(`the entry for ${entry.recipient} holds ${key.length} bytes, not a ${DATA_KEY_BYTES}-byte data key`);
          continue;
        }
        return Buffer.from(key);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (!/no identity matched/.test(message)) problems.push(`the entry for ${entry.recipient} failed: ${message}`);
      }
    }
    return undefined;
  };
  const key = await attempt();
  if (key) return key;
  let lockedLeft = false;
  for (const source of set.sources) {
    if (!source.locked) continue;
    if (!(await unlock(set, source))) {
      lockedLeft = true;
      continue;
    }
    const again = await attempt();
    if (again) return again;
  }
  throw new NoIdentityError({ file }, await noIdentityMessage(entries, set, problems, lockedLeft));
}

async function noIdentityMessage(entries: readonly WrappedKey[], set: IdentitySet, problems: string[], lockedLeft: boolean): Promise<string> {
  const recipients = entries.map((e) => e.recipient);
  const parts = [`no available age identity can decrypt this file (its recipients: ${recipients.join(", ") || "none"})`];
  if (!set.sources.some((s) => s.identities.length || s.locked)) {
    parts.push("no identity found: set SOPS_AGE_KEY_FILE to an identity file, or SOPS_AGE_KEY to identity lines, or create ~/.config/sops/age/keys.txt");
  } else {
    const tried: string[] = [];
    for (const source of set.sources) {
      if (source.locked) {
        tried.push(`${source.label} (passphrase-protected, locked)`);
        continue;
      }
      const mine = await Promise.all(source.identities.map((i) => identityToRecipient(i).catch(() => "an unreadable identity")));
      tried.push(`${source.label} (${mine.join(", ") || "no identities"})`);
    }
    parts.push(`tried ${tried.join("; ")}`);
  }
  if (lockedLeft) parts.push("to unlock a passphrase-protected identity file, set FLIGHTDECK_AGE_PASSPHRASE or run on a terminal");
  parts.push(...problems);
  return parts.join("; ");
}

/** Check a recipient string: an age X25519 (or post-quantum hybrid) recipient. */
export async function checkRecipient(recipient: string, where: string): Promise<void> {
  if (recipient.startsWith("ssh-")) throw new KeyFormatError({ file: where }, `SSH recipients are not supported: '${recipient.slice(0, 20)}...'; use an age recipient (age1...)`);
  const ok = /^age1[02-9ac-hj-np-z]+$/.test(recipient) && (await wrapFor(recipient, Buffer.alloc(0)).then(() => true, () => false));
  if (!ok) throw new KeyFormatError({ file: where }, `'${recipient}' is not a valid age recipient (expected age1... as printed by age-keygen -y)`);
}

async function wrapFor(recipient: string, data: Uint8Array): Promise<Uint8Array> {
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  return encrypter.encrypt(data);
}

/** The data key as sops stores it for one recipient: an armored age file encrypted to that recipient alone. */
export async function wrapDataKey(key: Buffer, recipient: string): Promise<string> {
  return armor.encode(await wrapFor(recipient, key));
}

export async function recipientOf(identity: string): Promise<string> {
  return identityToRecipient(identity);
}

/** A new X25519 identity as `age-keygen` writes it: comments with the date and the public key, then the key. */
export async function newIdentityFile(now = new Date()): Promise<{ text: string; identity: string; recipient: string }> {
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const text = `# created: ${now.toISOString().replace(/\.[0-9]+Z$/, "Z")}\n# public key: ${recipient}\n${identity}\n`;
  return { text, identity, recipient };
}

export interface ServerIdentity {
  path: string;
  /** True when this call created the file. */
  created: boolean;
  /** A passphrase-protected identity file that is still locked (no passphrase given, or not yet). */
  locked: boolean;
  /** The source, for an IdentitySet (locked until unlocked). */
  source: IdentitySource;
  /** The public keys (empty while locked). */
  recipients: string[];
  /** Set when the file's permissions let other users read it. */
  warning?: string;
}

/**
 * The server's own age identity, `<dataDir>/age-identity.txt`: created (mode 0600) on first call, read after.
 * A passphrase-protected file is unlocked with `passphrase` when given; otherwise it is returned locked, to be
 * unlocked later (`unlockServerIdentity`). A wrong passphrase is a PassphraseError.
 */
export async function loadServerIdentity(dataDir: string, options: { passphrase?: string; create?: boolean } = {}): Promise<ServerIdentity> {
  const path = join(dataDir, SERVER_IDENTITY_FILE);
  let created = false;
  let bytes = readIfExists(path);
  if (!bytes) {
    if (options.create === false) throw new NoIdentityError({ file: path }, "the server has no age identity yet (it is created on the server's first start)");
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const fresh = await newIdentityFile();
    try {
      writeFileSync(path, fresh.text, { mode: 0o600, flag: "wx" });
      chmodSync(path, 0o600); // whatever the umask
      created = true;
      bytes = Buffer.from(fresh.text);
    } catch (e) {
      // Another process created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new SecretsError({ file: path }, `cannot create the server identity: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      bytes = readFileSync(path);
    }
  }
  const mode = statSync(path).mode & 0o777;
  const warning = mode & 0o077 ? `${path}: permissions ${mode.toString(8).padStart(4, "0")} let other users read the server's age identity; run chmod 600 ${path}` : undefined;
  const source = identitySource(bytes, path);
  const identity: ServerIdentity = { path, created, locked: !!source.locked, source, recipients: [], warning };
  if (source.locked && options.passphrase !== undefined) await unlockServerIdentity(identity, options.passphrase);
  else if (!source.locked) identity.recipients = await Promise.all(source.identities.map(recipientOf));
  return identity;
}

/** Unlock a passphrase-protected server identity (at start, or from the UI). */
export async function unlockServerIdentity(identity: ServerIdentity, passphrase: string): Promise<void> {
  if (!identity.source.locked) return;
  identity.source.identities = await unlockIdentityFile(identity.source.locked, passphrase, identity.path);
  identity.source.locked = undefined;
  identity.locked = false;
  identity.recipients = await Promise.all(identity.source.identities.map(recipientOf));
}
