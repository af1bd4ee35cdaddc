/**
 * A fast path for the plain YAML that site files are made of: block maps and lists, one-line flow collections,
 * plain and quoted one-line scalars, comments and `---`. For such a file it returns exactly what `yaml` gives
 * (`parseAllDocuments(text)`, each document's `toJS()`, core schema), and `undefined` as soon as it meets
 * anything else: anchors, aliases, tags, block scalars, multi-line scalars or flow collections, directives,
 * tabs, complex or non-string keys, and anything that would be a YAML error or warning. The caller then
 * parses with `yaml`, which also gives the positions that diagnostics need.
 *
 * Why: `yaml` builds a full syntax tree at one or two MB/s, this reads 20-40; a 10,000-host site is 4 MB, and
 * positions are only needed when something is reported or explained (source.ts parses with `yaml` lazily then).
 * fast-yaml.test.ts checks it against `yaml` on the demo site, generated sites and random damage to them.
 */

/** Thrown to leave the fast path (one instance: no stack to capture); never escapes this module. */
const BAIL = new Error("not plain YAML");

// Characters `yaml` treats specially or warns about anywhere in a file: leave those files to it.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const UNUSUAL_CHARS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
// A plain key we are sure about: no indicators, quotes, flow characters or comments anywhere in it.
const SAFE_KEY = /^[A-Za-z0-9_][^#'"[\]{},&*!|>%@`]*$/;
// Every character of every core-schema number (`0x1F`, `-1.5e3`, `0o17`, `.inf`, `.NaN`), starting as one can.
const NUMBER_CHARS = /^[-+.0-9][-+.0-9a-fA-FxoinINF]*$/;
/**
 * YAML limits an implicit key to 1024 characters from its start to its `:`; `yaml` reports a longer one
 * (KEY_OVER_1024_CHARS) in block maps. Longer keys are left to it so the error is its own, with its position.
 */
const MAX_KEY_SPAN = 1024;
// What cannot start a plain scalar (the rest are handled where they can occur: `-`, `?`, `:`).
const PLAIN_START_FORBIDDEN = new Set(["&", "*", "!", "|", ">", "%", "@", "`", "#", ",", "[", "]", "{", "}", "'", '"']);

export function fastParseYaml(text: string): unknown[] | undefined {
  if (UNUSUAL_CHARS.test(text)) return undefined;
  try {
    return new FastYaml(text).documents();
  } catch {
    // BAIL, or anything unexpected (deep nesting, a bad code point): `yaml` decides, as it always did.
    return undefined;
  }
}

function bail(): never {
  throw BAIL;
}

/**
 * Resolve a plain scalar as the YAML 1.2 core schema does (`yaml`'s default). Its tags' patterns are told apart
 * by the first character (null: `~`/`n`/`N`; bool: `t`/`f`; numbers: a digit, sign or dot), so most names
 * and addresses are decided by one test.
 */
export function resolvePlain(s: string): unknown {
  if (s.length === 0) return null;
  const c = s[0]!;
  // The null and bool patterns (`~|[Nn]ull|NULL`, `[Tt]rue|TRUE`, `[Ff]alse|FALSE`) spelled out.
  if (c === "~" || c === "n" || c === "N") return s === "~" || s === "null" || s === "Null" || s === "NULL" ? null : s;
  if (c === "t" || c === "T") return s === "true" || s === "True" || s === "TRUE" ? true : s;
  if (c === "f" || c === "F") return s === "false" || s === "False" || s === "FALSE" ? false : s;
  if (!NUMBER_CHARS.test(s)) return s;
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s)) {
    return s.slice(-3).toLowerCase() === "nan" ? NaN : s[0] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s)) return parseFloat(s);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)) return parseFloat(s);
  return s;
}

/**
 * Set a key as `yaml`'s toJS does, leaving the fast path on a duplicate (which `yaml` reports). Inherited names
 * (`toString`, `__proto__`) become own properties. One lookup tells both apart from a new key: our values and
 * every Object.prototype member are defined.
 */
function setKey(map: Record<string, unknown>, key: string, value: unknown) {
  if (map[key] === undefined) {
    map[key] = value;
    return;
  }
  if (Object.prototype.hasOwnProperty.call(map, key)) bail();
  Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
}

const DQ_ESCAPES: Record<string, string> = {
  "0": "\0", a: "\x07", b: "\b", e: "\x1b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v",
  N: "\u0085", _: "\u00a0", L: "\u2028", P: "\u2029", " ": " ", '"': '"', "/": "/", "\\": "\\",
};

interface Key {
  name: string;
  /** The column after the `:`. */
  next: number;
}

class FastYaml {
  private readonly lines: string[];
  /** The current line, and the end (exclusive) of the current document. */
  private i = 0;
  private end = 0;
  /** Where the last one-line value (flow collection, quoted or flow plain scalar) ended on its line. */
  private at = 0;

  constructor(text: string) {
    this.lines = text.split("\n");
  }

  /** `---` lines split documents; content before the first one is a document only if it is not just comments. */
  documents(): unknown[] {
    const bounds: [number, number][] = [];
    let start = 0;
    let marker = false;
    for (let n = 0; n < this.lines.length; n++) {
      const line = this.lines[n]!;
      if (line.startsWith("---")) {
        const rest = line.slice(3);
        if (rest !== "" && !rest.startsWith(" ")) bail();
        const q = skipSpaces(line, 3);
        if (q < line.length && line[q] !== "#") bail();
        if (marker || this.hasContent(start, n)) bounds.push([start, n]);
        start = n + 1;
        marker = true;
      } else if (line.startsWith("...") || line.startsWith("%")) {
        bail();
      }
    }
    if (marker || this.hasContent(start, this.lines.length)) bounds.push([start, this.lines.length]);
    return bounds.map(([a, b]) => {
      this.i = a;
      this.end = b;
      return this.document();
    });
  }

  private hasContent(from: number, to: number): boolean {
    for (let n = from; n < to; n++) if (!isBlank(this.lines[n]!)) return true;
    return false;
  }

  private document(): unknown {
    if (!this.skipBlank()) return null;
    const value = this.blockNode(indentOf(this.lines[this.i]!), -1);
    if (this.skipBlank()) bail(); // something the structure above did not take: an error in YAML
    return value;
  }

  /** Move to the next line with content; false at the end of the document. */
  private skipBlank(): boolean {
    while (this.i < this.end && isBlank(this.lines[this.i]!)) this.i++;
    return this.i < this.end;
  }

  /** The node starting on the current line at `indent`; `owner` is the indent of the map or list holding it. */
  private blockNode(indent: number, owner: number): unknown {
    const line = this.lines[this.i]!;
    if (isSeqItem(line, indent)) return this.blockSeq(indent);
    const key = this.keyAt(line, indent);
    if (key) return this.blockMap(indent, key);
    const value = this.inlineValue(line, indent);
    this.i++;
    this.endOfInline(owner);
    return value;
  }

  /** After a one-line value, a deeper line would continue it (a multi-line scalar) or be an error. */
  private endOfInline(owner: number) {
    if (this.skipBlank() && indentOf(this.lines[this.i]!) > owner) bail();
  }

  /** A map whose keys sit at column `col`, starting with `first`, the key on the current line. */
  private blockMap(col: number, first: Key): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    for (let key: Key | undefined = first; ; key = undefined) {
      if (!key) {
        if (!this.skipBlank()) break;
        const line = this.lines[this.i]!;
        const indent = indentOf(line);
        if (indent < col) break;
        if (indent > col) bail();
        if (isSeqItem(line, col)) break; // a list item at the map's column: the caller decides (usually an error)
        key = this.keyAt(line, col);
        if (!key) bail();
      }
      const line = this.lines[this.i]!;
      const p = skipSpaces(line, key.next);
      if (p === line.length || line[p] === "#") {
        this.i++;
        setKey(map, key.name, this.valueBelow(col, true));
      } else {
        setKey(map, key.name, this.inlineValue(line, p));
        this.i++;
        this.endOfInline(col);
      }
    }
    return map;
  }

  /** A value on the lines after `key:` or `-`: deeper content, a list at the key's own column, or null. */
  private valueBelow(owner: number, sameColumnList: boolean): unknown {
    if (!this.skipBlank()) return null;
    const line = this.lines[this.i]!;
    const indent = indentOf(line);
    if (indent > owner) return this.blockNode(indent, owner);
    if (indent === owner && sameColumnList && isSeqItem(line, indent)) return this.blockSeq(indent);
    return null;
  }

  private blockSeq(indent: number): unknown[] {
    const list: unknown[] = [];
    while (this.skipBlank()) {
      const line = this.lines[this.i]!;
      const at = indentOf(line);
      if (at < indent) break;
      if (at > indent) bail();
      if (!isSeqItem(line, at)) break; // the next key of the map this list belongs to
      const p = skipSpaces(line, at + 1);
      if (p === line.length || line[p] === "#") {
        this.i++;
        list.push(this.valueBelow(indent, false));
        continue;
      }
      if (isSeqItem(line, p)) bail(); // `- - x`
      const key = this.keyAt(line, p);
      if (key) {
        list.push(this.blockMap(p, key));
      } else {
        list.push(this.inlineValue(line, p));
        this.i++;
        this.endOfInline(indent);
      }
    }
    return list;
  }

  /** The map key starting at column `p`, or undefined when the line holds no key there. */
  private keyAt(line: string, p: number): Key | undefined {
    const c = line[p];
    if (c === "[" || c === "{") return undefined; // a flow collection (a flow key fails in endOfLine)
    if (c === '"' || c === "'") {
      const name = this.quoted(line, p);
      const q = this.at;
      if (line[q] !== ":") return undefined;
      if (q + 1 < line.length && line[q + 1] !== " ") bail();
      if (q - p > MAX_KEY_SPAN) bail();
      return { name, next: q + 1 };
    }
    let k = line.indexOf(":", p);
    while (k >= 0 && k + 1 < line.length && line[k + 1] !== " ") k = line.indexOf(":", k + 1);
    if (k < 0) return undefined;
    if (k - p > MAX_KEY_SPAN) bail();
    const text = line.slice(p, k);
    if (!SAFE_KEY.test(text) || text.endsWith(" ")) bail();
    const name = resolvePlain(text);
    if (typeof name !== "string" || name === "<<") bail();
    return { name, next: k + 1 };
  }

  /** A value that ends on its line: a flow collection, a quoted scalar or a plain scalar. */
  private inlineValue(line: string, p: number): unknown {
    const c = line[p]!;
    if (c === "[" || c === "{" || c === '"' || c === "'") {
      const value = c === "[" || c === "{" ? this.flowNode(line, p) : this.quoted(line, p);
      endOfLine(line, this.at);
      return value;
    }
    if (PLAIN_START_FORBIDDEN.has(c) || ((c === "-" || c === "?" || c === ":") && (p + 1 === line.length || line[p + 1] === " "))) bail();
    const comment = line.indexOf(" #", p);
    const text = trimWhiteEnd(comment < 0 ? line.slice(p) : line.slice(p, comment));
    if (text.includes(": ") || text.endsWith(":")) bail(); // a nested map on one line: an error in YAML
    return resolvePlain(text);
  }

  /** A one-line quoted scalar starting at `p`; `at` is set after its closing quote. */
  private quoted(line: string, p: number): string {
    let out = "";
    let q = p + 1;
    if (line[p] === "'") {
      for (;;) {
        const k = line.indexOf("'", q);
        if (k < 0) bail();
        out += line.slice(q, k);
        if (line[k + 1] !== "'") {
          this.at = k + 1;
          return out;
        }
        out += "'";
        q = k + 2;
      }
    }
    for (;;) {
      let k = q;
      while (k < line.length && line[k] !== '"' && line[k] !== "\\") k++;
      if (k === line.length) bail();
      out += line.slice(q, k);
      if (line[k] === '"') {
        this.at = k + 1;
        return out;
      }
      const e = line[k + 1];
      if (e === undefined) bail();
      const simple = DQ_ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        q = k + 2;
      } else if (e === "x" || e === "u" || e === "U") {
        const length = e === "x" ? 2 : e === "u" ? 4 : 8;
        const hex = line.substr(k + 2, length);
        if (hex.length !== length || !/^[0-9a-fA-F]+$/.test(hex)) bail();
        out += String.fromCodePoint(parseInt(hex, 16));
        q = k + 2 + length;
      } else {
        bail();
      }
    }
  }

  /** `[...]` or `{...}` closed on the same line; `at` is set after it. */
  private flowNode(line: string, p: number): unknown {
    return line[p] === "[" ? this.flowSeq(line, p) : this.flowMap(line, p);
  }

  private flowSeq(line: string, p: number): unknown[] {
    const list: unknown[] = [];
    let q = skipSpaces(line, p + 1);
    if (line[q] === "]") {
      this.at = q + 1;
      return list;
    }
    for (;;) {
      list.push(this.flowItem(line, q));
      q = skipSpaces(line, this.at);
      if (line[q] === "]") {
        this.at = q + 1;
        return list;
      }
      if (line[q] !== ",") bail(); // includes `[a: 1]` (a pair) and a flow that goes on to the next line
      q = skipSpaces(line, q + 1);
      if (line[q] === "]") bail(); // a trailing comma: legal, but rare enough to leave to `yaml`
    }
  }

  private flowMap(line: string, p: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    let q = skipSpaces(line, p + 1);
    if (line[q] === "}") {
      this.at = q + 1;
      return map;
    }
    for (;;) {
      let name: unknown;
      const keyStart = q;
      if (line[q] === '"' || line[q] === "'") name = this.quoted(line, q);
      else {
        const text = this.flowPlain(line, q);
        if (!SAFE_KEY.test(text)) bail();
        name = resolvePlain(text);
      }
      q = this.at;
      // `yaml` checks the 1024 limit only in block maps and flow sequences; declining here costs nothing.
      if (typeof name !== "string" || name === "<<" || q - keyStart > MAX_KEY_SPAN) bail();
      if (line[q] !== ":" || line[q + 1] !== " ") bail(); // `{a}`, `{a:1}`, `{"a":1}`: valid, but left to `yaml`
      q = skipSpaces(line, q + 1);
      if (line[q] === "," || line[q] === "}") bail(); // an empty value
      setKey(map, name, this.flowItem(line, q));
      q = skipSpaces(line, this.at);
      if (line[q] === "}") {
        this.at = q + 1;
        return map;
      }
      if (line[q] !== ",") bail();
      q = skipSpaces(line, q + 1);
      if (line[q] === "}") bail();
    }
  }

  private flowItem(line: string, p: number): unknown {
    const c = line[p];
    if (c === undefined) bail();
    if (c === "[" || c === "{") return this.flowNode(line, p);
    if (c === '"' || c === "'") return this.quoted(line, p);
    return resolvePlain(this.flowPlain(line, p));
  }

  /** A plain scalar inside a flow collection: up to `,[]{}`, or a `:` that separates a key from its value. */
  private flowPlain(line: string, p: number): string {
    const c = line[p]!;
    if (PLAIN_START_FORBIDDEN.has(c) || ((c === "-" || c === "?" || c === ":") && (p + 1 === line.length || " ,[]{}".includes(line[p + 1]!)))) bail();
    let q = p;
    for (; q < line.length; q++) {
      const ch = line.charCodeAt(q);
      if (isFlowIndicator(ch)) break;
      if (ch === 35 /* # */) bail(); // a comment (or a `#` inside a scalar): leave it to `yaml`
      if (ch === 58 /* : */ && (q + 1 === line.length || line.charCodeAt(q + 1) === 32 || isFlowIndicator(line.charCodeAt(q + 1)))) break;
    }
    if (q === line.length) bail(); // the collection goes on to the next line
    const text = trimWhiteEnd(line.slice(p, q));
    if (text === "") bail();
    this.at = q;
    return text;
  }
}

function isBlank(line: string): boolean {
  for (let k = 0; k < line.length; k++) {
    const c = line.charCodeAt(k);
    if (c === 32) continue;
    return c === 35; /* # */
  }
  return true;
}

/**
 * Drop trailing YAML white space: only spaces and tabs. Not String.prototype.trimEnd, which also drops NBSP,
 * U+2000-U+200A, U+3000 and the like; YAML keeps those in a plain scalar (`true<NBSP>` is a string).
 */
function trimWhiteEnd(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
  return end === s.length ? s : s.slice(0, end);
}

function indentOf(line: string): number {
  let n = 0;
  while (line.charCodeAt(n) === 32) n++;
  return n;
}

function skipSpaces(line: string, p: number): number {
  while (line.charCodeAt(p) === 32) p++;
  return p;
}

/** `-` followed by a space or the end of the line, at column `p`. */
function isSeqItem(line: string, p: number): boolean {
  return line[p] === "-" && (p + 1 === line.length || line[p + 1] === " ");
}

/** Only spaces and a comment (after at least one space) may follow a value on its line. */
function endOfLine(line: string, p: number) {
  const q = skipSpaces(line, p);
  if (q === line.length) return;
  if (line[q] === "#" && q > p) return;
  bail();
}

/** `,` `[` `]` `{` `}` */
function isFlowIndicator(ch: number): boolean {
  return ch === 44 || ch === 91 || ch === 93 || ch === 123 || ch === 125;
}
