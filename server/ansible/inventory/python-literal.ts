/**
 * Python's `ast.literal_eval` (3.11), as Ansible's INI plugin applies it to every `key=value` it reads: a value
 * that is a Python literal becomes that value, anything else (a syntax error, or valid Python that is not a
 * literal) stays the text as written. Literals: str and bytes with every prefix, escape and implicit
 * concatenation; int (decimal, 0x, 0o, 0b, underscores), float, complex; True, False, None, `...`; tuples, lists,
 * sets, `set()`, dicts; one unary + or -; `number ± imaginary`. A dict key or set element that cannot be hashed
 * is Python's TypeError, which makes Ansible refuse the file: `UnhashableError` here.
 */

/** A Python value as literal_eval builds it. */
export type PyValue =
  | { t: "str"; v: string }
  | { t: "bytes"; v: Buffer }
  | { t: "int"; v: bigint }
  | { t: "float"; v: number }
  | { t: "complex"; re: number; im: number }
  | { t: "bool"; v: boolean }
  | { t: "none" }
  | { t: "ellipsis" }
  | { t: "tuple" | "list" | "set"; items: PyValue[] }
  | { t: "dict"; entries: [PyValue, PyValue][] };

/** A dict key or set element Python cannot hash (a list, dict or set): literal_eval raises TypeError. */
export class UnhashableError extends Error {
  override name = "UnhashableError";
}

/** An escape Python knows and Flightdeck cannot reproduce (`\N{NAME}` needs Unicode's name table). */
export class UnsupportedLiteralError extends Error {
  override name = "UnsupportedLiteralError";
}

/** Not a literal: the caller keeps the text. Returned where a value is expected, thrown (as FAILED) by the parser. */
const NOT_LITERAL = Symbol("not a literal");
type Fail = typeof NOT_LITERAL;
const FAILED = new Error("not a literal");

type Token =
  | { k: "str"; value: string; bytes: boolean; fstring: boolean }
  | { k: "num"; value: PyValue }
  | { k: "name"; value: string }
  | { k: "op"; value: string }
  | { k: "end" };

const ID_START = /[\p{L}\p{Nl}_]/u;
const ID_CONTINUE = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_]/u;
const OPERATORS = ["**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "<<", ">>", "<=", ">=", "==", "!=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=",
  "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "+", "-", "*", "/", "%", "&", "|", "^", "~", "<", ">", "=", "@"];

const DIGITS = "(?:[0-9](?:_?[0-9])*)";
const EXPONENT = `(?:[eE][+-]?${DIGITS})`;
const POINT_FLOAT = `(?:${DIGITS}?\\.${DIGITS}|${DIGITS}\\.)`;
const NUMBER = new RegExp(
  "^(?:" +
    [
      `(?<imag>(?:${POINT_FLOAT}${EXPONENT}?|${DIGITS}${EXPONENT}|${DIGITS})[jJ])`,
      `(?<float>${POINT_FLOAT}${EXPONENT}?|${DIGITS}${EXPONENT})`,
      "(?<hex>0[xX](?:_?[0-9a-fA-F])+)",
      "(?<oct>0[oO](?:_?[0-7])+)",
      "(?<bin>0[bB](?:_?[01])+)",
      "(?<dec>[1-9](?:_?[0-9])*|0(?:_?0)*)",
    ].join("|") +
    ")",
);

class Lexer {
  private i = 0;
  constructor(private readonly s: string) {}

  next(): Token | Fail {
    const s = this.s;
    for (;;) {
      while (this.i < s.length && " \t\f".includes(s[this.i]!)) this.i++;
      if (s[this.i] === "#") {
        while (this.i < s.length && s[this.i] !== "\n") this.i++;
      }
      if (this.i < s.length && (s[this.i] === "\n" || s[this.i] === "\r")) {
        this.i++;
        continue;
      }
      break;
    }
    if (this.i >= s.length) return { k: "end" };
    const c = s[this.i]!;
    const rest = s.slice(this.i);
    const prefix = /^([rRuUbBfF]{0,2})(['"])/.exec(rest);
    if (prefix && validPrefix(prefix[1]!)) return this.string(prefix[1]!.toLowerCase());
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(s[this.i + 1] ?? ""))) return this.number(rest);
    if (ID_START.test(c)) {
      let j = this.i + 1;
      while (j < s.length && ID_CONTINUE.test(s[j]!)) j++;
      const value = s.slice(this.i, j);
      this.i = j;
      return { k: "name", value };
    }
    for (const op of OPERATORS) {
      if (rest.startsWith(op)) {
        this.i += op.length;
        return { k: "op", value: op };
      }
    }
    return NOT_LITERAL; // a character Python's tokenizer rejects (or a backslash continuation)
  }

  private number(rest: string): Token | Fail {
    const m = NUMBER.exec(rest);
    if (!m) return NOT_LITERAL;
    const text = m[0];
    const after = rest[text.length];
    // "1a", "0x1g", "1_" or "012": Python's tokenizer rejects a number running into a name or a digit.
    if (after !== undefined && (ID_CONTINUE.test(after) || after === ".")) return NOT_LITERAL;
    this.i += text.length;
    const g = m.groups!;
    const clean = text.replace(/_/g, "");
    if (g.imag !== undefined) return { k: "num", value: { t: "complex", re: 0, im: Number(clean.slice(0, -1)) } };
    if (g.float !== undefined) return { k: "num", value: { t: "float", v: Number(clean) } };
    if (g.hex !== undefined) return { k: "num", value: { t: "int", v: BigInt(clean) } };
    if (g.oct !== undefined) return { k: "num", value: { t: "int", v: BigInt(`0o${clean.slice(2)}`) } };
    if (g.bin !== undefined) return { k: "num", value: { t: "int", v: BigInt(`0b${clean.slice(2)}`) } };
    return { k: "num", value: { t: "int", v: BigInt(clean) } };
  }

  private string(prefix: string): Token | Fail {
    const s = this.s;
    this.i += prefix.length;
    const quote = s.startsWith(s[this.i]!.repeat(3), this.i) ? s[this.i]!.repeat(3) : s[this.i]!;
    this.i += quote.length;
    const raw = prefix.includes("r");
    const bytes = prefix.includes("b");
    const start = this.i;
    for (;;) {
      if (this.i >= s.length) return NOT_LITERAL; // unterminated
      const ch = s[this.i]!;
      if (ch === "\\") {
        this.i += 2;
        continue;
      }
      if (quote.length === 1 && (ch === "\n" || ch === "\r")) return NOT_LITERAL;
      if (s.startsWith(quote, this.i)) break;
      this.i++;
    }
    if (this.i > s.length) return NOT_LITERAL;
    const body = s.slice(start, this.i);
    this.i += quote.length;
    if (bytes && [...body].some((ch) => ch.charCodeAt(0) > 0x7f)) return NOT_LITERAL; // "bytes can only contain ASCII literal characters"
    if (raw) return { k: "str", value: body, bytes, fstring: prefix.includes("f") };
    const value = unescape(body, bytes);
    if (value === NOT_LITERAL) return NOT_LITERAL;
    return { k: "str", value, bytes, fstring: prefix.includes("f") };
  }
}

function validPrefix(p: string): boolean {
  const l = p.toLowerCase();
  return ["", "r", "u", "b", "br", "rb", "f", "fr", "rf"].includes(l);
}

const SIMPLE_ESCAPES: Record<string, string> = { "\n": "", "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/** The escapes of a non-raw literal. Bytes bodies come back as latin1 text (one char per byte). */
function unescape(body: string, bytes: boolean): string | Fail {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return NOT_LITERAL;
    if (e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
      i++;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      const code = parseInt(m, 8);
      out += String.fromCodePoint(bytes ? code & 0xff : code); // bytes keep the low 8 bits, as CPython does
      i += m.length;
    } else if (e === "x") {
      const m = /^[0-9a-fA-F]{2}/.exec(body.slice(i + 2));
      if (!m) return NOT_LITERAL; // truncated \xXX escape
      out += String.fromCharCode(parseInt(m[0], 16));
      i += 3;
    } else if (!bytes && (e === "u" || e === "U")) {
      const n = e === "u" ? 4 : 8;
      const m = new RegExp(`^[0-9a-fA-F]{${n}}`).exec(body.slice(i + 2));
      if (!m) return NOT_LITERAL;
      const code = parseInt(m[0], 16);
      if (code > 0x10ffff) return NOT_LITERAL;
      out += String.fromCodePoint(code);
      i += 1 + n;
    } else if (!bytes && e === "N") {
      if (!/^\{[^}]+\}/.test(body.slice(i + 2))) return NOT_LITERAL;
      throw new UnsupportedLiteralError("a \\N{...} escape (a character by its Unicode name) is not supported: write the character itself");
    } else {
      out += `\\${e}`; // unknown escapes keep their backslash
      i++;
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ parser

type Node =
  | { n: "const"; value: PyValue }
  | { n: "seq"; t: "tuple" | "list" | "set"; elts: Node[] }
  | { n: "dict"; keys: Node[]; values: Node[] }
  | { n: "unary"; op: "+" | "-"; operand: Node }
  | { n: "binop"; op: "+" | "-"; left: Node; right: Node }
  | { n: "other" };

class Parser {
  private tok: Token;
  constructor(private readonly lexer: Lexer) {
    this.tok = this.advance();
  }

  private advance(): Token {
    const t = this.lexer.next();
    if (t === NOT_LITERAL) throw FAILED;
    this.tok = t;
    return t;
  }

  private isOp(v: string): boolean {
    return this.tok.k === "op" && this.tok.value === v;
  }

  private expect(v: string) {
    if (!this.isOp(v)) throw FAILED;
    this.advance();
  }

  /** The whole input: one expression, or a bare tuple (`1, 2`). */
  parseInput(): Node {
    const node = this.exprList(() => this.tok.k === "end");
    if (this.tok.k !== "end") throw FAILED;
    return node;
  }

  /** Expressions separated by commas; a comma makes a tuple. `done` says where the list may end. */
  private exprList(done: () => boolean): Node {
    if (done()) throw FAILED;
    const first = this.expr();
    if (!this.isOp(",")) return first;
    const elts = [first];
    while (this.isOp(",")) {
      this.advance();
      if (done()) break;
      elts.push(this.expr());
    }
    return { n: "seq", t: "tuple", elts };
  }

  private expr(): Node {
    let left = this.unary();
    while (this.isOp("+") || this.isOp("-")) {
      const op = (this.tok as { value: string }).value as "+" | "-";
      this.advance();
      left = { n: "binop", op, left, right: this.unary() };
    }
    if (this.tok.k === "op" && !["+", "-", ",", ")", "]", "}", ":"].includes(this.tok.value)) {
      // Another operator (`*`, `<`, `.`, `(` after an atom...): valid Python perhaps, but not a literal.
      throw FAILED;
    }
    if (this.tok.k !== "op" && this.tok.k !== "end") throw FAILED;
    return left;
  }

  private unary(): Node {
    if (this.isOp("+") || this.isOp("-")) {
      const op = (this.tok as { value: string }).value as "+" | "-";
      this.advance();
      return { n: "unary", op, operand: this.unary() };
    }
    return this.atom();
  }

  private atom(): Node {
    const t = this.tok;
    if (t.k === "num") {
      this.advance();
      return { n: "const", value: t.value };
    }
    if (t.k === "str") return this.strings();
    if (t.k === "name") {
      this.advance();
      if (t.value === "True" || t.value === "False") return { n: "const", value: { t: "bool", v: t.value === "True" } };
      if (t.value === "None") return { n: "const", value: { t: "none" } };
      if (t.value === "set" && this.isOp("(")) {
        this.advance();
        if (this.isOp(")")) {
          this.advance();
          return { n: "seq", t: "set", elts: [] };
        }
        throw FAILED;
      }
      if (KEYWORDS.has(t.value)) throw FAILED;
      return { n: "other" };
    }
    if (t.k === "op") {
      if (t.value === "...") {
        this.advance();
        return { n: "const", value: { t: "ellipsis" } };
      }
      if (t.value === "(") {
        this.advance();
        if (this.isOp(")")) {
          this.advance();
          return { n: "seq", t: "tuple", elts: [] };
        }
        const inner = this.exprList(() => this.isOp(")"));
        this.expect(")");
        return inner;
      }
      if (t.value === "[") {
        this.advance();
        const elts: Node[] = [];
        while (!this.isOp("]")) {
          elts.push(this.expr());
          if (!this.isOp(",")) break;
          this.advance();
        }
        this.expect("]");
        return { n: "seq", t: "list", elts };
      }
      if (t.value === "{") return this.braces();
    }
    throw FAILED;
  }

  private braces(): Node {
    this.advance();
    if (this.isOp("}")) {
      this.advance();
      return { n: "dict", keys: [], values: [] };
    }
    const first = this.expr();
    if (this.isOp(":")) {
      this.advance();
      const keys = [first];
      const values = [this.expr()];
      while (this.isOp(",")) {
        this.advance();
        if (this.isOp("}")) break;
        keys.push(this.expr());
        this.expect(":");
        values.push(this.expr());
      }
      this.expect("}");
      return { n: "dict", keys, values };
    }
    const elts = [first];
    while (this.isOp(",")) {
      this.advance();
      if (this.isOp("}")) break;
      elts.push(this.expr());
    }
    this.expect("}");
    return { n: "seq", t: "set", elts };
  }

  /** Adjacent string literals concatenate; str and bytes may not mix; an f-string is not a literal. */
  private strings(): Node {
    let value = "";
    let bytes: boolean | undefined;
    let fstring = false;
    while (this.tok.k === "str") {
      if (bytes !== undefined && bytes !== this.tok.bytes) throw FAILED;
      bytes = this.tok.bytes;
      fstring ||= this.tok.fstring;
      value += this.tok.value;
      this.advance();
    }
    if (fstring) return { n: "other" };
    return { n: "const", value: bytes ? { t: "bytes", v: Buffer.from(value, "latin1") } : { t: "str", v: value } };
  }
}

const KEYWORDS = new Set(["and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield"]);

// ------------------------------------------------------------------------------------------------ convert

function convert(node: Node): PyValue | Fail {
  switch (node.n) {
    case "const":
      return node.value;
    case "seq": {
      const items: PyValue[] = [];
      const seen = new Set<string>();
      for (const e of node.elts) {
        const v = convert(e);
        if (v === NOT_LITERAL) return NOT_LITERAL;
        if (node.t === "set") {
          const key = hashKey(v);
          if (seen.has(key)) continue;
          seen.add(key);
        }
        items.push(v);
      }
      return { t: node.t, items };
    }
    case "dict": {
      const entries: [PyValue, PyValue][] = [];
      const index = new Map<string, number>();
      for (let i = 0; i < node.keys.length; i++) {
        const k = convert(node.keys[i]!);
        if (k === NOT_LITERAL) return NOT_LITERAL;
        const v = convert(node.values[i]!);
        if (v === NOT_LITERAL) return NOT_LITERAL;
        const key = hashKey(k);
        const at = index.get(key);
        // Python keeps the first key object and its place, with the last value.
        if (at !== undefined) entries[at]![1] = v;
        else {
          index.set(key, entries.length);
          entries.push([k, v]);
        }
      }
      return { t: "dict", entries };
    }
    case "binop": {
      const left = signedNumber(node.left);
      if (left === NOT_LITERAL) return NOT_LITERAL;
      const right = number(node.right);
      if (right === NOT_LITERAL) return NOT_LITERAL;
      if ((left.t === "int" || left.t === "float") && right.t === "complex") {
        const re = Number(left.v);
        return { t: "complex", re: node.op === "+" ? re + right.re : re - right.re, im: node.op === "+" ? right.im : -right.im };
      }
      return NOT_LITERAL;
    }
    case "unary":
    case "other":
      return signedNumber(node);
  }
}

function number(node: Node): Extract<PyValue, { t: "int" | "float" | "complex" }> | Fail {
  if (node.n !== "const") return NOT_LITERAL;
  const v = node.value;
  return v.t === "int" || v.t === "float" || v.t === "complex" ? v : NOT_LITERAL;
}

function signedNumber(node: Node): Extract<PyValue, { t: "int" | "float" | "complex" }> | Fail {
  if (node.n !== "unary") return number(node);
  const v = number(node.operand);
  if (v === NOT_LITERAL || node.op === "+") return v;
  if (v.t === "int") return { t: "int", v: -v.v };
  if (v.t === "float") return { t: "float", v: -v.v };
  return { t: "complex", re: -v.re, im: -v.im };
}

/** Python's hash equality: 1 == 1.0 == True, and (1, 'a') by its items. Unhashable values raise. */
export function hashKey(v: PyValue): string {
  switch (v.t) {
    case "bool":
      return `n:${v.v ? 1 : 0}`;
    case "int":
      return `n:${v.v}`;
    case "float":
      return Number.isInteger(v.v) ? `n:${BigInt(v.v)}` : `f:${v.v}`;
    case "complex":
      return v.im === 0 ? hashKey({ t: "float", v: v.re }) : `c:${v.re},${v.im}`;
    case "str":
      return `s:${v.v}`;
    case "bytes":
      return `b:${v.v.toString("hex")}`;
    case "none":
      return "none";
    case "ellipsis":
      return "...";
    case "tuple":
      return `t(${v.items.map(hashKey).join(",")})`;
    default:
      throw new UnhashableError(`unhashable type: '${v.t}'`);
  }
}

/** literal_eval of the text: its value, or undefined when Python would not take it as a literal. */
export function literalEval(text: string): PyValue | undefined {
  const source = text.replace(/^[ \t]+/, "");
  if (source.includes("\0")) return undefined;
  let node: Node;
  try {
    node = new Parser(new Lexer(source)).parseInput();
  } catch (e) {
    if (e === FAILED) return undefined;
    throw e;
  }
  const value = convert(node);
  return value === NOT_LITERAL ? undefined : value;
}

/** Python's repr() of a float, as json.dumps writes a float dict key. */
export function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 16) {
    const [mantissa, e] = v.toExponential().split("e") as [string, string];
    const n = Number(e);
    return `${mantissa}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  const s = String(v);
  return s.includes(".") || s.includes("e") ? s : `${s}.0`;
}
