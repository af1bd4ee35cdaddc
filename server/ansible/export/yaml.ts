/**
 * YAML for Ansible's loader. Ansible reads YAML 1.1 with PyYAML: `yes`, `on`, `0777`, `1:20` and `2001-12-14`
 * are not strings there, `1e+3` is not a number (a float needs a dot), `=` and `<<` have tags of their own, and
 * U+2028 breaks a line. So this writer is deliberately plain: a string stays unquoted only when it could not be
 * read as anything else, anything else is double-quoted with escapes, and numbers are written the way PyYAML
 * reads them back. Map keys are sorted, so the same values always give the same bytes.
 */

/** A value no YAML file can hold for Ansible; callers add where it came from. */
export class UnwritableValueError extends Error {
  override name = "UnwritableValueError";
}

/** A value Ansible Vault encrypted: written as a `!vault |` block. */
export class VaultValue {
  constructor(readonly envelope: string) {}
}

/**
 * A secret value that is not a string: written as itself, in a file that is then encrypted whole (inline
 * `!vault` values are strings only). The writer of the file must encrypt it: see `holdsFileSecret`.
 */
export class FileSecret {
  constructor(readonly value: unknown) {}
}

/** Whether a value holds a FileSecret anywhere (its file must be encrypted whole). */
export function holdsFileSecret(v: unknown): boolean {
  if (v instanceof FileSecret) return true;
  if (Array.isArray(v)) return v.some(holdsFileSecret);
  if (v instanceof Map) return [...(v as Map<string, unknown>).values()].some(holdsFileSecret);
  if (v !== null && typeof v === "object" && !(v instanceof VaultValue)) return Object.values(v).some(holdsFileSecret);
  return false;
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_./@+-]*(?: [A-Za-z0-9_./@+-]+)*$/;
// PyYAML's booleans and nulls (YAML 1.1), and y/n, which other YAML 1.1 readers take as booleans.
const WORDS = new Set(["yes", "no", "true", "false", "on", "off", "y", "n", "null"]);
/** PyYAML takes a simple key of more than 1024 characters for an error: longer keys are written `? key`. */
const SIMPLE_KEY_MAX = 1000;

/** A map: a plain object, or a Map to keep an order of its own (object keys that look like numbers come first). */
export type YamlMap = Record<string, unknown> | ReadonlyMap<string, unknown>;

/** A document: optional `#` comment lines, then the map (keys sorted unless `sort` is false: then as given). */
export function yamlDocument(value: YamlMap, comments: readonly string[] = [], options: { sort?: boolean } = {}): string {
  const head = comments.map((c) => (c ? `# ${c}` : "#")).join("\n");
  const body = mapLines(value, 0, options.sort ?? true).join("\n");
  return `${head ? `${head}\n` : ""}${body}\n`;
}

/** A scalar as one line of YAML, or undefined for maps, lists and strings better written as blocks. */
export function inlineScalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return number(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return string(v);
  if (v instanceof Date) return string(v.toISOString());
  throw new UnwritableValueError(`a ${typeof v} cannot be written as YAML`);
}

function number(n: number): string {
  if (Number.isNaN(n)) return ".nan";
  if (!Number.isFinite(n)) return n > 0 ? ".inf" : "-.inf";
  if (Object.is(n, -0)) return "0";
  const s = String(n);
  if (Number.isInteger(n) && !s.includes("e")) return s;
  // PyYAML's floats need a dot in the mantissa and a sign in the exponent: 1e+21 -> 1.0e+21, 1e-7 -> 1.0e-7.
  const [mantissa, exponent] = s.split("e") as [string, string | undefined];
  const m = mantissa.includes(".") ? mantissa : `${mantissa}.0`;
  return exponent === undefined ? m : `${m}e${/^[-+]/.test(exponent) ? exponent : `+${exponent}`}`;
}

export function string(s: string): string {
  if (PLAIN.test(s) && !WORDS.has(s.toLowerCase())) return s;
  return quoted(s);
}

/** A double-quoted scalar; every character PyYAML would not read back as itself is escaped. */
function quoted(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += `\\x${hex(c, 2)}`;
    else if (c === 0x2028) out += "\\L";
    else if (c === 0x2029) out += "\\P";
    else if (c === 0xfeff || c === 0xfffe || c === 0xffff) out += `\\u${hex(c, 4)}`;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += s.slice(i, i + 2); // a whole astral character: printable for PyYAML
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) throw new UnwritableValueError("a string holds half of a UTF-16 surrogate pair, which no YAML file can hold");
    else out += ch;
  }
  return `${out}"`;
}

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, "0");
}

/**
 * A multi-line string as a literal block (`|`, `|-` or `|+` for its trailing newlines), when that reads back
 * exactly: printable characters only, no tab or carriage return, and a first line that does not start with a
 * space (which would need an indentation indicator).
 */
function block(s: string, indent: number): string[] | undefined {
  if (!s.includes("\n") || !s.trim()) return undefined;
  if (!/^[^\s]/.test(s.replace(/^\n+/, ""))) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0a) continue;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff) return undefined;
    if (c >= 0xd800 && c <= 0xdfff) {
      const pair = c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
      if (!pair) return undefined;
      i++;
    }
  }
  const trailing = /\n*$/.exec(s)![0].length;
  const indicator = trailing === 0 ? "|-" : trailing === 1 ? "|" : "|+";
  const lines = s.split("\n");
  if (trailing) lines.pop();
  const pad = " ".repeat(indent);
  return [indicator, ...lines.map((l) => (l ? pad + l : ""))];
}

function isMap(v: unknown): v is YamlMap {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof VaultValue) && !(v instanceof FileSecret) && !(v instanceof Date);
}

function entries(map: YamlMap): [string, unknown][] {
  return map instanceof Map ? [...(map as ReadonlyMap<string, unknown>)] : Object.entries(map);
}

/**
 * The value after `key:` or `- `: `[rest of this line, ...following lines]`. Non-empty maps and lists start on
 * the next line, indented by `indent`.
 */
function valueLines(v: unknown, indent: number, sort: boolean): { inline: string; lines: string[] } {
  if (v instanceof FileSecret) return valueLines(v.value, indent, sort);
  if (v instanceof VaultValue) {
    const pad = " ".repeat(indent);
    return { inline: "!vault |", lines: v.envelope.trimEnd().split("\n").map((l) => pad + l) };
  }
  if (Array.isArray(v)) return v.length ? { inline: "", lines: listLines(v, indent, sort) } : { inline: "[]", lines: [] };
  if (isMap(v)) return entries(v).length ? { inline: "", lines: mapLines(v, indent, sort) } : { inline: "{}", lines: [] };
  if (typeof v === "string") {
    const b = block(v, indent);
    if (b) return { inline: b[0]!, lines: b.slice(1) };
  }
  return { inline: inlineScalar(v), lines: [] };
}

/** A map's entries; an undefined value is written as nothing after the colon (a host without variables). */
function mapLines(map: YamlMap, indent: number, sort: boolean): string[] {
  const pad = " ".repeat(indent);
  const out: string[] = [];
  const pairs = entries(map);
  if (sort) pairs.sort((a, b) => compareKeys(a[0], b[0]));
  for (const [key, value] of pairs) {
    const k = string(key);
    const { inline, lines } = value === undefined ? { inline: "", lines: [] } : valueLines(value, indent + 2, sort);
    if (k.length > SIMPLE_KEY_MAX) {
      out.push(`${pad}? ${k}`);
      out.push(`${pad}:${inline ? ` ${inline}` : ""}`);
    } else out.push(`${pad}${k}:${inline ? ` ${inline}` : ""}`);
    out.push(...lines);
  }
  return out;
}

function listLines(list: readonly unknown[], indent: number, sort: boolean): string[] {
  const pad = " ".repeat(indent);
  const out: string[] = [];
  for (const item of list) {
    const { inline, lines } = valueLines(item, indent + 2, sort);
    if (inline) {
      out.push(`${pad}- ${inline}`);
      out.push(...lines);
    } else {
      // A map or list item: its first line goes after the dash (`- a: 1`), the rest keep their indentation.
      out.push(`${pad}- ${lines[0]!.slice(indent + 2)}`);
      out.push(...lines.slice(1));
    }
  }
  return out;
}

/** By UTF-16 code units, never by locale: the same keys always come out in the same order. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
