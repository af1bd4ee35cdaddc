/**
 * Secrets: sops-compatible YAML files encrypted to age recipients (PRODUCT.md "Secrets", specs/sops-age.md).
 *
 * Key names stay in clear (lint and reviews read them without a private key); values are AES-256-GCM encrypted
 * with one data key per file, which is wrapped for every recipient as an armored age file. Reading verifies
 * every value and the MAC; writing reuses the ciphertext of every unchanged value so diffs show what changed.
 */
import { Document, isMap, isScalar, isSeq, LineCounter, Pair, Scalar, YAMLMap, YAMLSeq, type Node } from "yaml";
import { newDataKey } from "./cipher";
import { MissingKeyError, NotEncryptedError, SecretsError, UnsupportedValueError } from "./errors";
import { checkRecipient, identitySource, unwrapDataKey, wrapDataKey, type IdentitySet, type WrappedKey } from "./keys";
import { leafFromJs, nowLastModified, resolveScalar, sameValue, UnrepresentableScalar } from "./scalars";
import {
  decryptFile,
  DEFAULT_FORMAT,
  DEFAULT_UNENCRYPTED_SUFFIX,
  documentKeys,
  documentValues,
  encryptDocuments,
  leafScalar,
  parsePlaintext,
  parseSops,
  plaintextText,
  scalarText,
  type EncryptionRule,
  type Format,
  type SopsFile,
  type Stash,
  type YamlDocs,
} from "./sops";

export * from "./errors";
export {
  defaultKeysPath,
  findIdentities,
  identitySource,
  loadServerIdentity,
  lockIdentityFile,
  newIdentityFile,
  parseIdentities,
  recipientOf,
  SERVER_IDENTITY_FILE,
  unlockAll,
  unlockIdentityFile,
  unlockServerIdentity,
  type FindIdentitiesOptions,
  type IdentitySet,
  type IdentitySource,
  type ServerIdentity,
  type WrappedKey,
} from "./keys";
export { hasSopsMetadata, secretKeyNames, SOPS_VERSION } from "./sops";

/** Identities: a set from `findIdentities`, or identity lines (see IDENTITY_PREFIX in ./keys). */
export type Identities = IdentitySet | readonly string[];

export interface FileOptions {
  /** The file's name in messages (default `secrets.yml`). */
  file?: string;
  /** The time written as `lastmodified` (default now). */
  now?: Date;
}

function identitySet(identities: Identities | undefined): IdentitySet {
  if (!identities) return { sources: [] };
  if (Array.isArray(identities)) {
    const list = [...(identities as readonly string[])];
    return { sources: list.length ? [{ label: "the given identities", identities: list }] : [] };
  }
  return identities as IdentitySet;
}

interface Opened {
  sops: SopsFile;
  key: Buffer;
  docs: Document[];
  stash: Stash;
  warnings: string[];
}

async function open(text: string, identities: Identities | undefined, file: string): Promise<Opened> {
  const sops = parseSops(text, file);
  if (!sops.metadata.age.length) {
    throw new NotEncryptedError({ file }, `this file has no age recipients (only ${sops.metadata.others.map((o) => o.name).join(", ")} keys), which Flightdeck cannot use`);
  }
  const key = await unwrapDataKey(sops.metadata.age, identitySet(identities), file);
  const { docs, stash, warnings } = decryptFile(sops, key);
  return { sops, key, docs, stash, warnings };
}

export interface SecretsContent {
  /** The first document's data, typed as sops types it (str, int, float, bool, time as Date). */
  values: Record<string, unknown>;
  /** Every key path, dotted, in file order (`maas.dc1_key`). */
  keys: string[];
  recipients: string[];
  /** Comments that look encrypted but could not be decrypted (kept, as sops does). */
  warnings: string[];
}

/**
 * Decrypt a sops file: unwrap the data key with any of the identities, decrypt every value with its type, and
 * verify the MAC. Every failure is a SecretsError naming the file (and the value's line where there is one).
 */
export async function readSecretsFile(text: string, identities: Identities, options: FileOptions = {}): Promise<SecretsContent> {
  const file = options.file ?? "secrets.yml";
  const opened = await open(text, identities, file);
  const yaml: YamlDocs = { file, docs: opened.docs, lines: opened.sops.lines };
  const first = opened.docs[0];
  return {
    values: first ? documentValues(yaml, first) : {},
    keys: first ? documentKeys(first) : [],
    recipients: opened.sops.metadata.age.map((a) => a.recipient),
    warnings: opened.warnings,
  };
}

/** The age recipients of a sops file, read without any identity. */
export function secretRecipients(text: string, file = "secrets.yml"): string[] {
  return parseSops(text, file).metadata.age.map((a) => a.recipient);
}

/** Check and de-duplicate recipients (order kept). */
async function checkRecipients(recipients: readonly string[], file: string): Promise<string[]> {
  const out: string[] = [];
  for (const raw of recipients) {
    const r = raw.trim();
    if (!r || out.includes(r)) continue;
    await checkRecipient(r, file);
    out.push(r);
  }
  if (!out.length) throw new SecretsError({ file }, "no recipients: a secrets file needs at least one age recipient (the server's, and the operators')");
  return out;
}

/** Wrap the data key for each recipient, keeping the existing wrapped key of recipients that stay. */
async function wrapAll(key: Buffer, recipients: readonly string[], existing: readonly WrappedKey[]): Promise<WrappedKey[]> {
  const out: WrappedKey[] = [];
  for (const recipient of recipients) {
    const kept = existing.find((e) => e.recipient === recipient);
    out.push(kept ?? { recipient, enc: await wrapDataKey(key, recipient) });
  }
  return out;
}

interface WriteState {
  file: string;
  key: Buffer;
  rule: EncryptionRule;
  macOnlyEncrypted: boolean;
  age: WrappedKey[];
  others: SopsFile["metadata"]["others"];
  stash?: Stash;
  format: Format;
}

function emit(plain: YamlDocs, state: WriteState, now: Date | undefined): string {
  return encryptDocuments(plain, { ...state, lastmodified: nowLastModified(now) });
}

async function newState(recipients: readonly string[], file: string): Promise<WriteState> {
  const checked = await checkRecipients(recipients, file);
  const key = newDataKey();
  return {
    file,
    key,
    rule: { kind: "unencrypted_suffix", value: DEFAULT_UNENCRYPTED_SUFFIX },
    macOnlyEncrypted: false,
    age: await wrapAll(key, checked, []),
    others: [],
    format: DEFAULT_FORMAT,
  };
}

async function stateOf(opened: Opened, recipients: readonly string[] | null, file: string): Promise<WriteState> {
  const { metadata } = opened.sops;
  let age = metadata.age;
  if (recipients) {
    const checked = await checkRecipients(recipients, file);
    age = await wrapAll(opened.key, checked, metadata.age);
  }
  return { file, key: opened.key, rule: metadata.rule, macOnlyEncrypted: metadata.macOnlyEncrypted, age, others: metadata.others, stash: opened.stash, format: opened.sops.format };
}

/**
 * Write a sops file with `values` as the first document's data. With `previousText`, its data key, comments, key
 * order, metadata rule and the ciphertexts of unchanged values are kept (identities are needed to open it);
 * `recipients` null keeps its recipients. Without it, a new data key is wrapped for `recipients`.
 */
export async function writeSecretsFile(
  previousText: string | null,
  values: Record<string, unknown>,
  recipients: readonly string[] | null,
  identities?: Identities,
  options: FileOptions = {},
): Promise<string> {
  const file = options.file ?? "secrets.yml";
  if (previousText === null) {
    if (!recipients) throw new SecretsError({ file }, "a new secrets file needs recipients");
    const state = await newState(recipients, file);
    const doc = new Document(new YAMLMap(), { schema: "failsafe" });
    applyValues(doc, values, file);
    return emit({ file, docs: [doc], lines: new LineCounter() }, state, options.now);
  }
  const opened = await open(previousText, identities, file);
  const doc = opened.docs[0] ?? new Document(new YAMLMap(), { schema: "failsafe" });
  if (!opened.docs.length) opened.docs.push(doc);
  applyValues(doc, values, file);
  const state = await stateOf(opened, recipients, file);
  return emit({ file, docs: opened.docs, lines: opened.sops.lines }, state, options.now);
}

/** Change the data key: every value is encrypted anew and the key wrapped for every recipient. */
export async function rotate(text: string, identities: Identities, options: FileOptions = {}): Promise<string> {
  const file = options.file ?? "secrets.yml";
  const opened = await open(text, identities, file);
  const { metadata } = opened.sops;
  if (metadata.others.length) {
    throw new SecretsError({ file }, `this file also has ${metadata.others.map((o) => o.name).join(", ")} keys, which Flightdeck cannot re-wrap; rotate it with \`sops rotate\``);
  }
  const key = newDataKey();
  const state: WriteState = {
    file,
    key,
    rule: metadata.rule,
    macOnlyEncrypted: metadata.macOnlyEncrypted,
    age: await wrapAll(key, metadata.age.map((a) => a.recipient), []),
    others: [],
    format: opened.sops.format,
  };
  return emit({ file, docs: opened.docs, lines: opened.sops.lines }, state, options.now);
}

/**
 * Set the recipients: the same data key, wrapped for the new list (entries of recipients that stay are kept).
 * A removed recipient may still know the data key: `rotate` changes it.
 */
export async function setRecipients(text: string, recipients: readonly string[], identities: Identities, options: FileOptions = {}): Promise<string> {
  const file = options.file ?? "secrets.yml";
  const opened = await open(text, identities, file);
  const state = await stateOf(opened, recipients, file);
  const before = opened.sops.metadata.age.map((a) => a.recipient);
  if (before.length === state.age.length && state.age.every((a, i) => a.recipient === before[i])) return text;
  return emit({ file, docs: opened.docs, lines: opened.sops.lines }, state, options.now);
}

export interface EditSession {
  /** The decrypted file as YAML, with its comments (empty for a new file). */
  plaintext: string;
  /** Encrypt the edited text: null when it is unchanged (nothing to write). */
  save(edited: string): Promise<string | null>;
}

/**
 * Edit a file as plaintext YAML (`sops edit`): decrypt it, then encrypt the edited text with the same data key,
 * reusing the ciphertexts of unchanged values. With `text` null, a new file for `recipients`.
 */
export async function openForEdit(text: string | null, identities: Identities | undefined, options: FileOptions & { recipients?: readonly string[] } = {}): Promise<EditSession> {
  const file = options.file ?? "secrets.yml";
  let state: WriteState;
  let plaintext: string;
  if (text === null) {
    state = await newState(options.recipients ?? [], file);
    plaintext = "";
  } else {
    const opened = await open(text, identities, file);
    state = await stateOf(opened, options.recipients ?? null, file);
    plaintext = plaintextText(opened.docs, opened.sops.format);
  }
  return {
    plaintext,
    save: (edited: string) =>
      Promise.resolve().then(() => {
        if (edited === plaintext) return null;
        const plain = parsePlaintext(edited, `${file} (edited)`);
        if (text === null && !plain.docs.some((d) => isMap(d.contents) && d.contents.items.length)) return null;
        for (const doc of plain.docs) checkValues(plain, doc);
        return emit(plain, { ...state, file }, options.now);
      }),
  };
}

/** Type every scalar now, so an unsupported value is reported against the edited text, before anything is written. */
function checkValues(plain: YamlDocs, doc: Document): void {
  const visit = (node: unknown) => {
    if (isMap(node)) for (const p of node.items) visit(p.value);
    else if (isSeq(node)) for (const i of node.items) visit(i);
    else if (isScalar(node)) {
      try {
        resolveScalar(scalarText(node), node.type === "PLAIN", node.tag);
      } catch (e) {
        if (e instanceof UnrepresentableScalar) {
          const pos = node.range ? plain.lines.linePos(node.range[0]) : undefined;
          throw new UnsupportedValueError({ file: plain.file, line: pos?.line, col: pos?.col }, e.message);
        }
        throw e;
      }
    }
  };
  visit(doc.contents);
}

// ---------------------------------------------------------------------------------------------- values

/**
 * Merge JavaScript values into a plaintext document: existing keys keep their place, comments and (when equal)
 * their node, type and so ciphertext; keys not in `values` are removed; new keys are appended.
 */
function applyValues(doc: Document, values: Record<string, unknown>, file: string): void {
  if (!isPlainObject(values)) throw new UnsupportedValueError({ file }, "the values of a secrets file must be a map of keys");
  const contents = isMap(doc.contents) ? doc.contents : new YAMLMap();
  doc.contents = mergeMap(contents, values, [], file);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date);
}

function mergeMap(map: YAMLMap, values: Record<string, unknown>, path: string[], file: string): YAMLMap {
  const seen = new Set<string>();
  map.items = map.items.filter((pair) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    if (key === undefined || !Object.prototype.hasOwnProperty.call(values, key)) return false;
    seen.add(key);
    pair.value = mergeValue(pair.value as Node | null, values[key], [...path, key], file);
    return true;
  });
  for (const [key, value] of Object.entries(values)) {
    if (seen.has(key)) continue;
    const keyNode = new Scalar(key);
    keyNode.type = quoteKey(key) ? "QUOTE_DOUBLE" : "PLAIN";
    map.items.push(new Pair(keyNode, mergeValue(null, value, [...path, key], file)));
  }
  return map;
}

function quoteKey(key: string): boolean {
  try {
    return resolveScalar(key, true)?.type !== "str";
  } catch {
    return true;
  }
}

function mergeValue(node: Node | null, value: unknown, path: string[], file: string): Node {
  if (isPlainObject(value)) {
    const map = isMap(node) ? node : new YAMLMap();
    if (node && !isMap(node)) copyComments(node, map);
    return mergeMap(map, value, path, file);
  }
  if (Array.isArray(value)) {
    const seq = isSeq(node) ? node : new YAMLSeq();
    if (node && !isSeq(node)) copyComments(node, seq);
    seq.items = value.map((item, i) => mergeValue((seq.items[i] as Node | undefined) ?? null, item, path, file));
    return seq;
  }
  if (isScalar(node)) {
    try {
      const old = resolveScalar(scalarText(node), node.type === "PLAIN", node.tag);
      if (sameValue(old, value)) return node;
    } catch {
      // an unrepresentable old value is replaced
    }
  }
  let leaf;
  try {
    leaf = leafFromJs(value);
  } catch (e) {
    throw new UnsupportedValueError({ file }, `'${path.join(".")}': ${(e as Error).message}`);
  }
  let next: Scalar;
  if (leaf === null) {
    next = new Scalar("null");
    next.type = "PLAIN";
  } else next = leafScalar(leaf);
  if (node) copyComments(node, next);
  return next;
}

function copyComments(from: Node, to: Node) {
  to.commentBefore = from.commentBefore;
  to.comment = from.comment;
  to.spaceBefore = from.spaceBefore;
}

/** Every key path of nested values, dotted, with its value (maps included). */
export function flattenSecrets(values: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: Record<string, unknown>, prefix: string) => {
    for (const [k, child] of Object.entries(v)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (!out.has(path)) out.set(path, child);
      if (isPlainObject(child)) walk(child, path);
    }
  };
  walk(values, "");
  return out;
}

/** The value of a dotted key (`maas.dc1_key`); a MissingKeyError naming the file when there is none. */
export function secretValue(values: Record<string, unknown>, key: string, file = "secrets.yml"): unknown {
  const flat = flattenSecrets(values);
  if (!flat.has(key)) throw new MissingKeyError({ file }, `no key '${key}' in this file${suggestion(key, [...flat.keys()])}`);
  return flat.get(key);
}

/** Set (or, with `undefined`, remove) a dotted key in nested values, creating maps on the way. Returns a copy. */
export function withSecret(values: Record<string, unknown>, key: string, value: unknown, file = "secrets.yml"): Record<string, unknown> {
  const parts = key.split(".");
  if (!key || parts.some((p) => p === "")) throw new MissingKeyError({ file }, `'${key}' is not a key path (names separated by dots)`);
  const copy = structuredClone(values);
  let at: Record<string, unknown> = copy;
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1) {
      if (value === undefined) {
        if (!Object.prototype.hasOwnProperty.call(at, part)) throw new MissingKeyError({ file }, `no key '${key}' in this file${suggestion(key, [...flattenSecrets(values).keys()])}`);
        delete at[part];
      } else at[part] = value;
      break;
    }
    const next = at[part];
    if (!isPlainObject(next)) {
      if (value === undefined) throw new MissingKeyError({ file }, `no key '${key}' in this file${suggestion(key, [...flattenSecrets(values).keys()])}`);
      if (next !== undefined) throw new SecretsError({ file }, `'${parts.slice(0, i + 1).join(".")}' holds a ${Array.isArray(next) ? "list" : "value"}, not a map: cannot set '${key}'`);
      at[part] = {};
    }
    at = at[part] as Record<string, unknown>;
  }
  return copy;
}

function suggestion(key: string, keys: string[]): string {
  const near = keys.find((k) => k.toLowerCase() === key.toLowerCase()) ?? keys.find((k) => k.endsWith(`.${key}`) || key.endsWith(`.${k}`));
  return near ? ` (did you mean '${near}'?)` : "";
}

/** A `secret:some.key` reference, or undefined. */
export function secretReference(value: unknown): string | undefined {
  if (typeof value !== "string" || !value.startsWith(SECRET_PREFIX)) return undefined;
  const key = value.slice(SECRET_PREFIX.length);
  return key ? key : undefined;
}

export const SECRET_PREFIX = "secret:";

/** Data with every `secret:` reference replaced by its decrypted value (for `resolve --reveal` and run time). */
export function revealReferences<T>(data: T, values: Record<string, unknown>, file = "secrets.yml"): T {
  const flat = flattenSecrets(values);
  const walk = (v: unknown): unknown => {
    const ref = secretReference(v);
    if (ref !== undefined) {
      if (!flat.has(ref)) throw new MissingKeyError({ file }, `no key '${ref}' in this file (referenced as '${SECRET_PREFIX}${ref}')${suggestion(ref, [...flat.keys()])}`);
      return flat.get(ref);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, walk(c)]));
    return v;
  };
  return walk(data) as T;
}

/** Identity strings of a file's text (for callers holding an identity file's contents). */
export function identitiesFromText(text: string, label: string): IdentitySet {
  return { sources: [identitySource(Buffer.from(text), label)] };
}
