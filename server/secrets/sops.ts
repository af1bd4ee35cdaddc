/**
 * The sops YAML format (spec A2-A6): parsing a file and its `sops` metadata, walking its values and comments in
 * sops' order, decrypting to a plaintext YAML document and encrypting one back, and the MAC.
 *
 * Documents are `yaml` Document trees parsed with the failsafe schema, so comments, key order and scalar styles
 * survive; `scalars.ts` gives each scalar the type yaml.v3 (and so sops) would.
 */
import { createHash } from "node:crypto";
import { Document, isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, Pair, parseAllDocuments, Scalar, YAMLMap, YAMLSeq, type Node } from "yaml";
import { decryptValue, encryptValue, looksEncrypted, parseEncrypted } from "./cipher";
import { DecryptError, MacMismatchError, NotEncryptedError, SecretsError, UnsupportedValueError, type Where } from "./errors";
import type { WrappedKey } from "./keys";
import { formatRfc3339Seconds, leafBytes, leafFromPlaintext, leafToJs, leafToYamlText, parseRfc3339, resolveScalar, UnrepresentableScalar, type Leaf, type Resolved } from "./scalars";

/** The sops version whose format Flightdeck writes (spec source: sops v3.13.2; sorted metadata keys). */
export const SOPS_VERSION = "3.13.2";
export const DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted";

export const RULE_KINDS = ["unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex", "unencrypted_comment_regex", "encrypted_comment_regex"] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export interface EncryptionRule {
  kind: RuleKind;
  value: string;
}

/** Key sources besides age: kept as written while the data key is unchanged (Flightdeck cannot re-wrap them). */
const OTHER_SOURCES = ["kms", "gcp_kms", "azure_kv", "hc_vault", "pgp"] as const;

export interface Metadata {
  age: WrappedKey[];
  /** As written in the file. */
  lastmodified: string;
  mac: string;
  version: string;
  rule: EncryptionRule;
  macOnlyEncrypted: boolean;
  /** Non-empty entries of other key sources, by name, as YAML nodes. */
  others: { name: string; node: Node }[];
  where: { lastmodified: Where; mac: Where };
}

const MAC_ONLY_ENCRYPTED_INIT = Buffer.from("8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69", "hex");
/** Limits alias expansion ("billion laughs"). */
const MAX_EXPANDED_NODES = 100_000;

/** Parsed YAML documents of one file, with positions. */
export interface YamlDocs {
  file: string;
  docs: Document[];
  lines: LineCounter;
}

export interface SopsFile extends YamlDocs {
  metadata: Metadata;
  /** Per document: the comment lines written just above its `sops` key (they belong to the data). */
  tails: (string | undefined)[];
  format: Format;
}

export interface Format {
  indent: number;
  indentSeq: boolean;
}

export const DEFAULT_FORMAT: Format = { indent: 4, indentSeq: true };

// ---------------------------------------------------------------------------------------------- parsing

/** Parse YAML text into documents; a syntax error is a located SecretsError. */
export function parseYaml(text: string, file: string): YamlDocs {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { schema: "failsafe", lineCounter: lines, uniqueKeys: true, prettyErrors: false, keepSourceTokens: false });
  const docs = Array.isArray(parsed) ? parsed : [parsed];
  for (const doc of docs) {
    const problem = doc.errors[0];
    if (problem) {
      const pos = lines.linePos(problem.pos[0]);
      const first = problem.message.split("\n")[0]!.trim();
      const message = problem.code === "DUPLICATE_KEY" ? "duplicate key in this map (YAML keys must be unique)" : `YAML syntax: ${first.charAt(0).toLowerCase()}${first.slice(1)}`;
      throw new SecretsError({ file, line: pos.line, col: pos.col }, message);
    }
  }
  return { file, docs, lines };
}

export function whereOf(yaml: YamlDocs, node: Node | null | undefined): Where {
  const range = node?.range;
  if (!range) return { file: yaml.file };
  const pos = yaml.lines.linePos(range[0]);
  return { file: yaml.file, line: pos.line, col: pos.col };
}

function keyText(key: unknown): string | undefined {
  return isScalar(key) && typeof key.value === "string" ? key.value : undefined;
}

/** The index of the top-level `sops` pair of a document's map, or -1. */
function sopsPairIndex(map: YAMLMap): number {
  return map.items.findIndex((p) => keyText(p.key) === "sops");
}

/** Whether text is a sops-encrypted YAML file (has top-level sops metadata with a version and a MAC), without throwing. */
export function hasSopsMetadata(text: string): boolean {
  try {
    parseSops(text, "file");
    return true;
  } catch {
    return false;
  }
}

/** A sops file: its documents without the `sops` keys, and its metadata (read from the first document). */
export function parseSops(text: string, file: string): SopsFile {
  const yaml = parseYaml(text, file);
  const first = yaml.docs[0];
  const firstMap = first?.contents;
  if (!first || !isMap(firstMap) || sopsPairIndex(firstMap) < 0) {
    if (first && isSeq(firstMap)) throw new NotEncryptedError({ file }, "not a sops-encrypted file: YAML documents that are sequences are not supported");
    throw new NotEncryptedError({ file }, "not a sops-encrypted file: it has no top-level 'sops' metadata (encrypt it with `flightdeck secrets` or sops)");
  }
  const tails: (string | undefined)[] = [];
  let metadataNode: Node | undefined;
  yaml.docs.forEach((doc, i) => {
    const map = doc.contents;
    if (map === null || map === undefined) {
      tails.push(undefined);
      return;
    }
    if (!isMap(map)) throw new UnsupportedValueError(whereOf(yaml, map), `document ${i + 1}: the top level of a sops file must be a map`);
    const at = sopsPairIndex(map);
    if (at < 0) {
      tails.push(undefined);
      return;
    }
    const pair = map.items[at]!;
    if (i === 0) metadataNode = pair.value as Node;
    tails.push(isScalar(pair.key) ? pair.key.commentBefore ?? undefined : undefined);
    map.items.splice(at, 1);
  });
  const metadata = parseMetadata(yaml, metadataNode);
  return { ...yaml, metadata, tails, format: detectFormat(text) };
}

function parseMetadata(yaml: YamlDocs, node: Node | undefined): Metadata {
  if (!isMap(node)) throw new NotEncryptedError(whereOf(yaml, node), "not a sops-encrypted file: its 'sops' metadata is not a map");
  const fields = new Map<string, Pair>();
  for (const pair of node.items) {
    const name = keyText(pair.key);
    if (name !== undefined) fields.set(name, pair);
  }
  const str = (name: string): string | undefined => {
    const v = fields.get(name)?.value;
    return isScalar(v) && typeof v.value === "string" && v.value !== "" ? v.value : undefined;
  };
  const at = (name: string): Where => whereOf(yaml, (fields.get(name)?.value as Node | undefined) ?? node);

  const version = str("version");
  const mac = str("mac");
  if (!version || !mac) {
    throw new NotEncryptedError(whereOf(yaml, node), `not a sops-encrypted file: its 'sops' metadata has no ${!version ? "version" : "mac"}`);
  }
  if (!/^v?[0-9]+\.[0-9]+(\.[0-9]+)?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new NotEncryptedError(at("version"), `sops metadata: version '${version}' is not a semantic version`);
  }
  const lastmodified = str("lastmodified");
  if (!lastmodified) throw new NotEncryptedError(whereOf(yaml, node), "sops metadata has no lastmodified");
  if (!parseRfc3339(lastmodified)) throw new NotEncryptedError(at("lastmodified"), `sops metadata: lastmodified '${lastmodified}' is not an RFC 3339 time`);

  if (fields.has("key_groups") || fields.has("shamir_threshold")) {
    throw new UnsupportedValueError(at(fields.has("key_groups") ? "key_groups" : "shamir_threshold"), "this file uses sops key groups (Shamir secret sharing), which Flightdeck does not support; keep one key group");
  }

  const rules = RULE_KINDS.filter((k) => str(k) !== undefined);
  if (rules.length > 1) throw new NotEncryptedError(at(rules[1]!), `sops metadata: at most one of ${RULE_KINDS.join(", ")} may be set; found ${rules.join(" and ")}`);
  const rule: EncryptionRule = rules.length ? { kind: rules[0]!, value: str(rules[0]!)! } : { kind: "unencrypted_suffix", value: DEFAULT_UNENCRYPTED_SUFFIX };
  if (rule.kind.endsWith("_regex")) {
    try {
      new RegExp(rule.value);
    } catch {
      throw new NotEncryptedError(at(rule.kind), `sops metadata: ${rule.kind} '${rule.value}' is not a valid regular expression`);
    }
  }
  const macOnly = fields.get("mac_only_encrypted")?.value;
  const macOnlyEncrypted = isScalar(macOnly) && typeof macOnly.value === "string" && resolveScalar(macOnly.value, macOnly.type === "PLAIN", macOnly.tag)?.value === true;

  const age: WrappedKey[] = [];
  const ageNode = fields.get("age")?.value;
  if (isSeq(ageNode)) {
    for (const item of ageNode.items) {
      if (!isMap(item)) throw new NotEncryptedError(whereOf(yaml, item as Node), "sops metadata: every age entry must be a map with recipient and enc");
      const get = (name: string) => {
        const v = item.items.find((p) => keyText(p.key) === name)?.value;
        return isScalar(v) && typeof v.value === "string" ? v.value : undefined;
      };
      const recipient = get("recipient");
      const enc = get("enc");
      if (!recipient || !enc) throw new NotEncryptedError(whereOf(yaml, item), "sops metadata: an age entry lacks its recipient or enc");
      age.push({ recipient, enc });
    }
  } else if (ageNode !== undefined && !(isScalar(ageNode) && (ageNode.value === "" || ageNode.value === "null" || ageNode.value === "~"))) {
    throw new NotEncryptedError(at("age"), "sops metadata: 'age' must be a list");
  }
  const others: { name: string; node: Node }[] = [];
  for (const name of OTHER_SOURCES) {
    const v = fields.get(name)?.value;
    if (isSeq(v) && v.items.length) others.push({ name, node: v });
  }
  if (!age.length && !others.length) throw new NotEncryptedError(whereOf(yaml, node), "sops metadata lists no keys (no age recipients)");
  return { age, lastmodified, mac, version, rule, macOnlyEncrypted, others, where: { lastmodified: at("lastmodified"), mac: at("mac") } };
}

/**
 * The indentation the file uses (so a rewrite changes only what changed): that of the first block nested under a
 * top-level key. sops writes 4, lists indented under their key.
 */
export function detectFormat(text: string): Format {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i + 1 < lines.length; i++) {
    const line = lines[i]!;
    if (!/^[^\s#-][^#]*:\s*$/.test(line)) continue;
    let j = i + 1;
    while (j < lines.length && /^\s*(#.*)?$/.test(lines[j]!)) j++;
    const next = lines[j];
    if (next === undefined) break;
    const indent = /^ */.exec(next)![0].length;
    if (next.slice(indent).startsWith("- ") || next.slice(indent) === "-") {
      if (indent === 0) return { indent: DEFAULT_FORMAT.indent, indentSeq: false };
      if (indent >= 2 && indent <= 8) return { indent, indentSeq: true };
    } else if (indent >= 2 && indent <= 8) return { indent, indentSeq: true };
  }
  return DEFAULT_FORMAT;
}

// ---------------------------------------------------------------------------------------------- walking

/** sops' shouldBeEncrypted: the rule is tested on each key of the path and on the comments above the value. */
export function shouldBeEncrypted(rule: EncryptionRule, path: readonly string[], stack: readonly (readonly string[])[], isComment: boolean): boolean {
  switch (rule.kind) {
    case "unencrypted_suffix":
      return !path.some((k) => k.endsWith(rule.value));
    case "encrypted_suffix":
      return path.some((k) => k.endsWith(rule.value));
    case "unencrypted_regex": {
      const re = new RegExp(rule.value);
      return !path.some((k) => re.test(k));
    }
    case "encrypted_regex": {
      const re = new RegExp(rule.value);
      return path.some((k) => re.test(k));
    }
    case "unencrypted_comment_regex": {
      const re = new RegExp(rule.value);
      return !stack.some((level) => level.some((c) => re.test(c)));
    }
    case "encrypted_comment_regex": {
      const re = new RegExp(rule.value);
      const last = stack.length - 1;
      return stack.some((level, i) => level.some((c, j) => !(isComment && i === last && j === level.length - 1) && re.test(c)));
    }
  }
}

export function aadOf(path: readonly string[]): string {
  return `${path.join(":")}:`;
}

export interface LeafVisit {
  path: string[];
  node: Scalar;
  stack: string[][];
  replace: (next: Scalar) => void;
}

export interface CommentVisit {
  /** The path of the map or list that holds the comment. */
  path: string[];
  text: string;
  stack: string[][];
  /** Where the comment sits in the `yaml` tree (for locating problems). */
  holder: Node | undefined;
}

interface Visitor {
  leaf(visit: LeafVisit): void;
  /** Returns the comment's new text. */
  comment(visit: CommentVisit): string;
}

/** Replace every alias by a copy of what it names, and drop anchors: sops expands aliases. */
export function expandAliases(yaml: YamlDocs): void {
  let budget = MAX_EXPANDED_NODES;
  const spend = (node: unknown) => {
    let n = 0;
    const count = (v: unknown) => {
      n++;
      if (isPair(v)) {
        count(v.key);
        count(v.value);
      } else if (isCollection(v)) for (const item of v.items) count(item);
    };
    count(node);
    budget -= n;
    if (budget < 0) throw new UnsupportedValueError({ file: yaml.file }, "YAML aliases expand to too many values");
  };
  for (const doc of yaml.docs) {
    // In document order, an anchored node is complete (its own aliases expanded) before any alias names it.
    const anchors = new Map<string, Node>();
    const expand = (node: unknown): unknown => {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (!target) throw new UnsupportedValueError(whereOf(yaml, node), `unknown alias *${node.source}`);
        const copy = target.clone() as Node;
        spend(copy);
        return copy;
      }
      if (isCollection(node)) {
        node.items = node.items.map((item: unknown) => {
          if (isPair(item)) {
            item.key = expand(item.key);
            item.value = expand(item.value);
            return item;
          }
          return expand(item);
        });
      }
      if ((isCollection(node) || isScalar(node)) && node.anchor) anchors.set(node.anchor, node);
      return node;
    };
    const strip = (node: unknown) => {
      if (isPair(node)) {
        strip(node.key);
        strip(node.value);
      } else if (isCollection(node)) {
        node.anchor = undefined;
        for (const item of node.items) strip(item);
      } else if (isScalar(node)) node.anchor = undefined;
    };
    if (doc.contents) {
      doc.contents = expand(doc.contents) as Node;
      strip(doc.contents);
    }
  }
}

function commentLines(text: string | null | undefined): string[] {
  return text ? text.split("\n") : [];
}

/**
 * Walk a document's values and comments in sops' order (document order), with each value's path and comment
 * stack (one level per enclosing map or list: the comments met since the previous item of that level). Returns
 * the new text of `tail` (comments that sat above the `sops` key; they belong to the top-level map).
 */
function walkDocument(yaml: YamlDocs, doc: Document, index: number, tail: string | undefined, visitor: Visitor): string | undefined {
  const comments = (text: string | null | undefined, path: string[], stack: string[][], holder: Node | undefined): string | undefined => {
    if (!text) return text ?? undefined;
    const level = stack[stack.length - 1]!;
    return commentLines(text)
      .map((line) => {
        if (line === "") return line;
        level.push(line);
        return visitor.comment({ path, text: line, stack: stack.map((l) => [...l]), holder });
      })
      .join("\n");
  };
  const walk = (node: YAMLMap | YAMLSeq, path: string[], stack: string[][]) => {
    const level = stack[stack.length - 1]!;
    node.commentBefore = comments(node.commentBefore, path, stack, node);
    const visitValue = (value: unknown, valuePath: string[], replace: (next: Scalar) => void) => {
      if (isMap(value) || isSeq(value)) {
        walk(value, valuePath, [...stack, []]);
      } else if (isScalar(value)) {
        value.commentBefore = comments(value.commentBefore, path, stack, value);
        value.comment = comments(value.comment, path, stack, value);
        visitor.leaf({ path: valuePath, node: value, stack: stack.map((l) => [...l]), replace });
      } else if (value !== null && value !== undefined) {
        throw new UnsupportedValueError(whereOf(yaml, value as Node), "unsupported YAML node");
      }
    };
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key;
        if (!isScalar(key)) throw new UnsupportedValueError(whereOf(yaml, key as Node), "only string keys are supported (this key is a map or list)");
        let resolved: Resolved;
        try {
          resolved = resolveScalar(String(key.value), key.type === "PLAIN", key.tag);
        } catch (e) {
          throw new UnsupportedValueError(whereOf(yaml, key), (e as Error).message);
        }
        if (resolved?.type !== "str") {
          throw new UnsupportedValueError(whereOf(yaml, key), `only string keys are supported: '${String(key.value)}' reads as ${resolved === null ? "null" : `a ${resolved.type}`} (quote it)`);
        }
        key.commentBefore = comments(key.commentBefore, path, stack, key);
        key.comment = comments(key.comment, path, stack, key);
        if (pair.value === null || pair.value === undefined) {
          const empty = new Scalar("");
          empty.type = "PLAIN";
          pair.value = empty;
        }
        visitValue(pair.value, [...path, resolved.value], (next) => (pair.value = next));
        level.length = 0;
      }
    } else {
      node.items.forEach((item, i) => {
        visitValue(item, path, (next) => (node.items[i] = next));
        level.length = 0;
      });
    }
    node.comment = comments(node.comment, path, stack, node);
  };

  const top: string[][] = [[]];
  doc.commentBefore = comments(doc.commentBefore, [], top, undefined) ?? null;
  const contents = doc.contents;
  if (contents !== null && contents !== undefined) {
    if (isSeq(contents)) throw new UnsupportedValueError(whereOf(yaml, contents), "YAML documents that are sequences are not supported; the top level must be a map");
    if (!isMap(contents)) throw new UnsupportedValueError(whereOf(yaml, contents), `document ${index + 1}: the top level must be a map of keys, not a single value`);
    // The top-level map is the first level: the document's own leading comments are part of it.
    walk(contents, [], top);
  }
  const newTail = comments(tail, [], top, undefined);
  doc.comment = comments(doc.comment, [], top, undefined) ?? null;
  return newTail;
}

/** A scalar's text (the failsafe schema makes every scalar a string; a missing value is empty). */
export function scalarText(node: Scalar): string {
  const v: unknown = node.value;
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return JSON.stringify(v) ?? "";
}

function resolveLeaf(yaml: YamlDocs, node: Scalar): Resolved {
  try {
    return resolveScalar(scalarText(node), node.type === "PLAIN" || node.type === undefined, node.tag);
  } catch (e) {
    if (e instanceof UnrepresentableScalar) throw new UnsupportedValueError(whereOf(yaml, node), e.message);
    throw e;
  }
}

function pathText(path: readonly string[]): string {
  return path.join(".") || "(top level)";
}

function stashKey(type: string, aad: string, bytes: Buffer): string {
  return `${type}\0${aad}\0${bytes.toString("base64")}`;
}

/** A plaintext scalar for a typed leaf, keeping the comments and spacing of the node it replaces. */
export function leafScalar(leaf: Leaf, like?: Scalar): Scalar {
  const { text, quote } = leafToYamlText(leaf);
  const node = new Scalar(text);
  node.type = text.includes("\n") ? "BLOCK_LITERAL" : quote ? "QUOTE_DOUBLE" : "PLAIN";
  if (like) copyDecorations(like, node);
  return node;
}

function copyDecorations(from: Scalar, to: Scalar) {
  to.commentBefore = from.commentBefore;
  to.comment = from.comment;
  to.spaceBefore = from.spaceBefore;
}

/** Ciphertexts of unchanged values and comments, by type, path and plaintext: reusing them keeps diffs small. */
export type Stash = Map<string, string>;

// ---------------------------------------------------------------------------------------------- decrypting

export interface Decrypted {
  /** The plaintext documents (comments decrypted, `sops` keys removed). */
  docs: Document[];
  stash: Stash;
  /** Comments that look encrypted but could not be decrypted (kept as they are, as sops does). */
  warnings: string[];
}

/**
 * Decrypt every value and comment with the data key and verify the MAC. A value that fails authentication or is
 * not encrypted where it should be, and a MAC that cannot be decrypted or does not match, are errors.
 */
export function decryptFile(sops: SopsFile, key: Buffer): Decrypted {
  const { metadata } = sops;
  const hash = createHash("sha512");
  if (metadata.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  const stash: Stash = new Map();
  const warnings: string[] = [];
  const docs = sops.docs.map((d) => d.clone());
  const yaml: YamlDocs = { ...sops, docs };
  expandAliases(yaml);
  const tails = docs.map((doc, i) =>
    walkDocument(yaml, doc, i, sops.tails[i], {
      leaf: ({ path, node, stack, replace }) => {
        const resolved = resolveLeaf(yaml, node);
        if (resolved === null) return;
        const encrypted = shouldBeEncrypted(metadata.rule, path, stack, false);
        let leaf: Leaf = resolved;
        if (encrypted && !(resolved.type === "str" && resolved.value === "")) {
          const where = whereOf(yaml, node);
          if (resolved.type !== "str") throw new DecryptError(where, `the value of '${pathText(path)}' is not encrypted (a ${resolved.type} in clear where sops expects ENC[AES256_GCM,...]); encrypt it with \`flightdeck secrets set\` or keep clear values under keys ending in ${metadata.rule.kind === "unencrypted_suffix" ? metadata.rule.value : "the file's unencrypted rule"}`);
          const parsed = parseEncrypted(resolved.value);
          if (typeof parsed === "string") throw new DecryptError(where, `the value of '${pathText(path)}' ${parsed}; it should be encrypted`);
          const aad = aadOf(path);
          const plain = decryptValue(key, parsed, aad);
          if (!plain) throw new DecryptError(where, `the value of '${pathText(path)}' fails authentication: it was changed, moved from another key, or encrypted with another data key`);
          const typed = leafFromPlaintext(parsed.type, plain);
          if (!typed) throw new DecryptError(where, `the value of '${pathText(path)}' has type '${parsed.type}', but its plaintext is not a valid ${parsed.type}`);
          leaf = typed;
          stash.set(stashKey(typed.type, aad, leafBytes(typed)), resolved.value);
          replace(leafScalar(typed, node));
        }
        if (!metadata.macOnlyEncrypted || encrypted) hash.update(leafBytes(leaf));
      },
      comment: ({ path, text, stack }) => {
        if (!shouldBeEncrypted(metadata.rule, path, stack, true) || !looksEncrypted(text)) return text;
        const parsed = parseEncrypted(text);
        if (typeof parsed === "string" || parsed.type !== "comment") return text;
        // The AAD of a comment is the path of the map or list holding it; where `yaml` and yaml.v3 attach a
        // comment differently, the enclosing paths are tried too (authentication makes a wrong guess harmless).
        for (let n = path.length; n >= 0; n--) {
          const aad = aadOf(path.slice(0, n));
          const plain = decryptValue(key, parsed, aad);
          if (plain) {
            const comment = plain.toString("utf8");
            stash.set(stashKey("comment", aadOf(path), plain), text);
            return comment;
          }
        }
        warnings.push(`${sops.file}: a comment under '${pathText(path)}' looks encrypted but does not decrypt; it is kept as it is`);
        return text;
      },
    }),
  );
  verifyMac(sops, key, hash.digest("hex").toUpperCase());
  // The comments above `sops:` belong to the data: in plaintext they close the top-level map.
  docs.forEach((doc, i) => {
    const tail = tails[i];
    if (tail && isMap(doc.contents)) doc.contents.comment = doc.contents.comment ? `${doc.contents.comment}\n${tail}` : tail;
  });
  return { docs, stash, warnings };
}

function verifyMac(sops: SopsFile, key: Buffer, computed: string): void {
  const { metadata } = sops;
  const parsed = parseEncrypted(metadata.mac);
  const aad = lastModifiedAad(metadata.lastmodified);
  const plain = typeof parsed === "string" ? null : decryptValue(key, parsed, aad);
  if (!plain) {
    throw new MacMismatchError(metadata.where.mac, "cannot decrypt the MAC: the mac or lastmodified field was changed, or the file was not written with this data key; the file cannot be trusted");
  }
  if (plain.toString("utf8") !== computed) {
    throw new MacMismatchError({ file: sops.file }, "MAC mismatch: the values do not match the file's MAC (a value was changed, added, removed or reordered outside sops and Flightdeck); the file cannot be trusted");
  }
}

/** The MAC's additional data: lastmodified re-formatted as Go's RFC3339 (whole seconds, offset kept). */
export function lastModifiedAad(lastmodified: string): string {
  const t = parseRfc3339(lastmodified);
  return t ? formatRfc3339Seconds(t) : lastmodified;
}

// ---------------------------------------------------------------------------------------------- encrypting

export interface EncryptOptions {
  file: string;
  key: Buffer;
  rule: EncryptionRule;
  macOnlyEncrypted: boolean;
  age: WrappedKey[];
  others: { name: string; node: Node }[];
  lastmodified: string;
  stash?: Stash;
  format: Format;
}

/**
 * Encrypt plaintext documents as sops does: every value the rule selects (not null, not an empty string), every
 * comment it selects, the MAC over all values in order, and the `sops` block (sorted keys) at the end of each
 * document. Unchanged values and comments reuse their old ciphertexts from the stash.
 */
export function encryptDocuments(plain: YamlDocs, options: EncryptOptions): string {
  const docs = plain.docs.length ? plain.docs.map((d) => d.clone()) : [new Document(new YAMLMap(), { schema: "failsafe" })];
  const yaml: YamlDocs = { ...plain, docs };
  expandAliases(yaml);
  const hash = createHash("sha512");
  if (options.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  const stash = options.stash ?? new Map<string, string>();
  const tails: (string | undefined)[] = [];
  docs.forEach((doc, i) => {
    if (doc.contents === null || doc.contents === undefined) doc.contents = new YAMLMap();
    if (isMap(doc.contents) && sopsPairIndex(doc.contents) >= 0) {
      throw new SecretsError(whereOf(yaml, doc.contents.items[sopsPairIndex(doc.contents)]!.key as Node), "a plaintext document cannot have a top-level 'sops' key (it is the metadata of an encrypted file)");
    }
    // Comments closing the top-level map or the document go above `sops:`, where sops puts them.
    const contents = doc.contents;
    let tail: string | undefined;
    if (isMap(contents)) {
      tail = [contents.comment, doc.comment].filter(Boolean).join("\n") || undefined;
      contents.comment = undefined;
      doc.comment = null;
    }
    tails.push(
      walkDocument(yaml, doc, i, tail, {
        leaf: ({ path, node, stack, replace }) => {
          const resolved = resolveLeaf(yaml, node);
          if (resolved === null) return;
          const encrypted = shouldBeEncrypted(options.rule, path, stack, false);
          if (!options.macOnlyEncrypted || encrypted) hash.update(leafBytes(resolved));
          if (!encrypted || (resolved.type === "str" && resolved.value === "")) return;
          const aad = aadOf(path);
          const bytes = leafBytes(resolved);
          const enc = stash.get(stashKey(resolved.type, aad, bytes)) ?? encryptValue(options.key, bytes, aad, resolved.type);
          const next = new Scalar(enc);
          next.type = "PLAIN";
          copyDecorations(node, next);
          replace(next);
        },
        comment: ({ path, text, stack }) => {
          if (!shouldBeEncrypted(options.rule, path, stack, true)) return text;
          if (looksEncrypted(text)) return text; // one that could not be decrypted: kept as it was
          const aad = aadOf(path);
          const bytes = Buffer.from(text, "utf8");
          return stash.get(stashKey("comment", aad, bytes)) ?? encryptValue(options.key, bytes, aad, "comment");
        },
      }),
    );
  });
  const mac = hash.digest("hex").toUpperCase();
  const encryptedMac = encryptValue(options.key, Buffer.from(mac, "utf8"), lastModifiedAad(options.lastmodified), "str");
  const out: string[] = [];
  docs.forEach((doc, i) => {
    const map = doc.contents as YAMLMap;
    blockStyle(map);
    const key = new Scalar("sops");
    if (tails[i]) key.commentBefore = tails[i];
    map.items.push(new Pair(key, metadataNode(options, encryptedMac)));
    let text = doc.toString({ indent: options.format.indent, indentSeq: options.format.indentSeq, lineWidth: 0 });
    if (i > 0 && !text.startsWith("---")) text = `---\n${text}`;
    out.push(text);
  });
  return out.join("");
}

/** sops writes block collections only (an ENC[...] value cannot be a plain scalar inside [ ] or { }). */
function blockStyle(node: unknown): void {
  if (!isCollection(node)) return;
  node.flow = false;
  for (const item of node.items) {
    if (isPair(item)) blockStyle(item.value);
    else blockStyle(item);
  }
}

function stringNode(text: string, type: Scalar.Type = "PLAIN"): Scalar {
  const node = new Scalar(text);
  let quote = type !== "PLAIN";
  if (!quote) {
    try {
      quote = resolveScalar(text, true)?.type !== "str";
    } catch {
      quote = true;
    }
  }
  node.type = quote && type === "PLAIN" ? "QUOTE_DOUBLE" : type;
  return node;
}

/** The `sops` block, keys sorted as sops 3.13 writes them (and as every version reads them). */
function metadataNode(options: EncryptOptions, mac: string): YAMLMap {
  const fields = new Map<string, Node>();
  if (options.age.length) {
    const list = new YAMLSeq();
    for (const entry of options.age) {
      const item = new YAMLMap();
      item.items.push(new Pair(new Scalar("enc"), stringNode(entry.enc.endsWith("\n") ? entry.enc : `${entry.enc}\n`, "BLOCK_LITERAL")));
      item.items.push(new Pair(new Scalar("recipient"), stringNode(entry.recipient)));
      list.items.push(item);
    }
    fields.set("age", list);
  }
  for (const other of options.others) fields.set(other.name, other.node.clone() as Node);
  fields.set("lastmodified", stringNode(options.lastmodified, "QUOTE_DOUBLE"));
  fields.set("mac", stringNode(mac));
  if (options.macOnlyEncrypted) fields.set("mac_only_encrypted", new Scalar("true"));
  fields.set(options.rule.kind, stringNode(options.rule.value));
  fields.set("version", stringNode(SOPS_VERSION));
  const map = new YAMLMap();
  for (const name of [...fields.keys()].sort()) map.items.push(new Pair(new Scalar(name), fields.get(name)));
  return map;
}

// ---------------------------------------------------------------------------------------------- plain data

/** A plaintext YAML text (e.g. from an editor) as documents; it must not carry sops metadata. */
export function parsePlaintext(text: string, file: string): YamlDocs {
  const yaml = parseYaml(text, file);
  yaml.docs.forEach((doc, i) => {
    const contents = doc.contents;
    if (contents === null || contents === undefined) return;
    if (isSeq(contents)) throw new UnsupportedValueError(whereOf(yaml, contents), "YAML documents that are sequences are not supported; the top level must be a map");
    if (!isMap(contents)) throw new UnsupportedValueError(whereOf(yaml, contents), `document ${i + 1}: the top level must be a map of keys`);
    const at = sopsPairIndex(contents);
    if (at >= 0) throw new SecretsError(whereOf(yaml, contents.items[at]!.key as Node), "a plaintext file with a top-level 'sops' key cannot be encrypted (sops keeps its metadata there)");
  });
  return yaml;
}

/** The plaintext documents as YAML text, in the file's indentation. */
export function plaintextText(docs: readonly Document[], format: Format): string {
  return docs
    .map((doc, i) => {
      const text = doc.toString({ indent: format.indent, indentSeq: format.indentSeq, lineWidth: 0 });
      return i > 0 && !text.startsWith("---") ? `---\n${text}` : text;
    })
    .join("");
}

/** A document's data as JavaScript values, typed as sops types them (comments dropped). */
export function documentValues(yaml: YamlDocs, doc: Document): Record<string, unknown> {
  const convert = (node: unknown): unknown => {
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = keyText(pair.key);
        if (key !== undefined) Object.defineProperty(out, key, { value: convert(pair.value), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    if (isSeq(node)) return node.items.map(convert);
    if (isScalar(node)) {
      const leaf = resolveLeaf(yaml, node);
      return leaf === null ? null : leafToJs(leaf);
    }
    return null;
  };
  const contents = doc.contents;
  return isMap(contents) ? (convert(contents) as Record<string, unknown>) : {};
}

/** The key names of a sops file (dotted paths, file order), read without any identity: sops keeps them in clear. */
export function secretKeyNames(text: string, file = "secrets.yml"): string[] {
  const sops = parseSops(text, file);
  const first = sops.docs[0];
  return first ? documentKeys(first) : [];
}

/** Every map key path of a document, dotted (`maas.dc1_key`), in file order; maps inside lists are not addressable. */
export function documentKeys(doc: Document): string[] {
  const out: string[] = [];
  const walk = (node: unknown, prefix: string[]) => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = keyText(pair.key);
      if (key === undefined) continue;
      const path = [...prefix, key];
      out.push(path.join("."));
      walk(pair.value, path);
    }
  };
  walk(doc.contents, []);
  return out;
}
