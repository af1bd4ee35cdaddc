/**
 * The filters. Each declares its arguments (checked when the template is compiled) and is strict about its input:
 * the wrong kind of value is an error naming what was expected, never a silent conversion. `default` is the one
 * filter that sees undefined input. Text filters (upper, replace, quote...) take strings, and numbers and booleans
 * as their text; none, lists and maps are errors.
 */
import { stringify } from "yaml";
import { Problem } from "./errors";
import { type Args, type Signature } from "./signature";
import { UNDEFINED, describeKind, formatNumber, isMap, member, ownKeys, ownValue, toPlain, truthy } from "./values";

/** What filters may ask of the renderer: size limits, and other filters and tests (for map/select). */
export interface Env {
  /** Fails when a produced string is over the output limit; returns it otherwise. */
  text(s: string): string;
  /** Fails when a string of this length would be over the output limit: checked before building big strings. */
  reserve(length: number): void;
  /** Fails when a produced list is over the item limit. */
  items(n: number): void;
  filter(name: string, input: unknown, args: readonly unknown[]): unknown;
  test(name: string, input: unknown, args: readonly unknown[]): boolean;
  /** Fails, with a suggestion, when there is no such filter. */
  checkFilter(name: string): void;
  /** Fails, with a suggestion, when there is no such test. */
  checkTest(name: string): void;
}

export interface FilterDef extends Signature {
  /** The input may be UNDEFINED (a missing path) rather than an error: only `default`. */
  acceptsUndefined?: boolean;
  apply(input: unknown, args: Args, env: Env): unknown;
}

function expected(what: string, v: unknown): Problem {
  return new Problem(`expected ${what}, got ${describeKind(v)}`);
}

/** Strings, and numbers and booleans as their text. */
function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  throw expected("a string", v);
}

function list(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw expected("a list", v);
  return v;
}

function map(v: unknown): Record<string, unknown> {
  if (!isMap(v)) throw expected("a map", v);
  return v;
}

function number(v: unknown): number {
  if (typeof v !== "number") throw expected("a number", v);
  return v;
}

/** `item['a.b']`-style lookups for `attribute=` arguments: dotted keys, digits index lists. UNDEFINED when missing. */
export function lookupAttribute(item: unknown, attribute: string | number): unknown {
  const parts = typeof attribute === "number" ? [attribute] : attribute.split(".").map((p) => (/^-?[0-9]+$/.test(p) ? Number(p) : p));
  let cur = item;
  for (const p of parts) {
    const m = member(cur, p, "");
    if (!m.ok) return UNDEFINED;
    cur = m.value;
  }
  return cur;
}

function attributeOf(item: unknown, index: number, attribute: string | number): unknown {
  const v = lookupAttribute(item, attribute);
  if (v === UNDEFINED) throw new Problem(`item ${index} has no attribute '${attribute}'`);
  return v;
}

function byAttribute(items: readonly unknown[], args: Args): unknown[] {
  if (!args.has("attribute")) return [...items];
  const attribute = args.attribute("attribute");
  return items.map((item, i) => attributeOf(item, i, attribute));
}

/** Strings, numbers and booleans for join; their text. */
function joinable(v: unknown, index: number): string {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return text(v);
  throw new Problem(`item ${index} is ${describeKind(v)}; join takes strings, numbers and booleans`);
}

/** Ordering for sort/min/max: all numbers or all strings. */
function compareAll(values: readonly unknown[], caseSensitive: boolean): (a: unknown, b: unknown) => number {
  const kinds = new Set(values.map((v) => typeof v));
  if (values.length > 0 && !(kinds.size === 1 && (kinds.has("number") || kinds.has("string")))) {
    const names = [...new Set(values.map((v) => describeKind(v)))].join(", ");
    throw new Problem(`can only order numbers or strings, not a mix (${names})`);
  }
  return (a, b) => {
    if (typeof a === "number" && typeof b === "number") return a - b;
    const x = caseSensitive ? (a as string) : (a as string).toLowerCase();
    const y = caseSensitive ? (b as string) : (b as string).toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

/** A key equal for equal values (maps regardless of key order), for `unique`. */
function canonical(v: unknown, caseSensitive: boolean, depth = 0): string {
  if (depth > 200) throw new Problem("values nested too deeply");
  if (typeof v === "string") return JSON.stringify(caseSensitive ? v : v.toLowerCase());
  if (typeof v === "number" || typeof v === "boolean" || v === null) return `${typeof v}:${String(v)}`;
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x, caseSensitive, depth + 1)).join(",")}]`;
  if (isMap(v)) {
    const keys = ownKeys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k], caseSensitive, depth + 1)}`).join(",")}}`;
  }
  throw expected("strings, numbers, booleans, none, lists or maps", v);
}

/** Python's int(): decimal digits (or a float's text, truncated), with `base` 2, 8 or 16 also their prefixes. */
function toInt(v: unknown, base: number): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v !== "string") return undefined;
  const s = v.trim().replace(/_/g, "");
  if (base === 10) {
    if (/^[+-]?[0-9]+$/.test(s)) return parseInt(s, 10);
    const f = toFloat(s);
    return f === undefined ? undefined : Math.trunc(f);
  }
  const digits = { 2: "01", 8: "0-7", 16: "0-9a-fA-F" }[base];
  const prefix = { 2: "0[bB]", 8: "0[oO]", 16: "0[xX]" }[base];
  if (digits === undefined || prefix === undefined) throw new Problem(`'base' must be 2, 8, 10 or 16, got ${base}`);
  const m = new RegExp(`^([+-]?)(?:${prefix})?([${digits}]+)$`).exec(s);
  if (!m) return undefined;
  const n = parseInt(m[2]!, base);
  return m[1] === "-" ? -n : n;
}

function toFloat(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v !== "string") return undefined;
  const s = v.trim();
  return /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(s) ? parseFloat(s) : undefined;
}

const TRUE_WORDS = new Set(["true", "yes", "on", "y", "1"]);
const FALSE_WORDS = new Set(["false", "no", "off", "n", "0", ""]);

/** POSIX shell quoting, as Python's shlex.quote: safe words stay bare, anything else goes in single quotes. */
export function shellQuote(s: string): string {
  if (s === "") return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** Python's str.replace: the first `count` occurrences (all when negative); '' matches between characters. */
function replaceText(s: string, from: string, to: string, count: number, env: Env): string {
  const at: number[] = [];
  const more = () => count < 0 || at.length < count;
  if (from === "") {
    for (let i = 0; i <= s.length && more(); i++) at.push(i);
  } else {
    for (let i = s.indexOf(from); i !== -1 && more(); i = s.indexOf(from, i + from.length)) at.push(i);
  }
  env.reserve(s.length + at.length * (to.length - from.length));
  let out = "";
  let last = 0;
  for (const i of at) {
    out += s.slice(last, i) + to;
    last = i + from.length;
  }
  return out + s.slice(last);
}

function flatten(items: readonly unknown[], levels: number, out: unknown[], env: Env, depth = 0): unknown[] {
  if (depth > 200) throw new Problem("lists nested more than 200 levels deep");
  for (const item of items) {
    if (Array.isArray(item) && levels !== 0) flatten(item, levels - 1, out, env, depth + 1);
    else out.push(item);
    env.items(out.length);
  }
  return out;
}

function indent(s: string, width: string, first: boolean, blank: boolean): string {
  const lines = s.split("\n");
  return lines.map((line, i) => ((i === 0 && !first) || (!blank && line.trim() === "") ? line : width + line)).join("\n");
}

function pythonRound(n: number, precision: number, method: string): number {
  const f = 10 ** precision;
  const x = n * f;
  let r: number;
  if (method === "common") r = Math.sign(x) * Math.round(Math.abs(x));
  else if (method === "ceil") r = Math.ceil(x);
  else if (method === "floor") r = Math.floor(x);
  else throw new Problem(`'method' must be 'common', 'ceil' or 'floor', got '${method}'`);
  return r / f;
}

function selectBy(items: readonly unknown[], args: Args, env: Env, keep: boolean, attribute: string | number | undefined): unknown[] {
  const test = args.has("test") ? args.string("test") : undefined;
  if (test !== undefined) env.checkTest(test);
  return items.filter((item, i) => {
    let v = item;
    if (attribute !== undefined) {
      v = lookupAttribute(item, attribute);
      if (v === UNDEFINED && test !== "defined" && test !== "undefined") throw new Problem(`item ${i} has no attribute '${attribute}'`);
    }
    const ok = test === undefined ? truthy(v) : env.test(test, v, args.rest);
    return ok === keep;
  });
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const TABLE: Record<string, FilterDef> = {
  default: {
    params: [{ name: "value", default: "" }, { name: "boolean", default: false }],
    acceptsUndefined: true,
    apply: (v, a) => (v === UNDEFINED || v === null || (a.boolean("boolean") && !truthy(v)) ? a.any("value") : v),
  },
  join: {
    params: [{ name: "sep", default: "" }, { name: "attribute", optional: true }],
    apply: (v, a, env) => {
      const parts = byAttribute(list(v), a).map(joinable);
      const sep = a.string("sep");
      env.reserve(parts.reduce((n, p) => n + p.length, 0) + sep.length * Math.max(0, parts.length - 1));
      return parts.join(sep);
    },
  },
  upper: { params: [], apply: (v) => text(v).toUpperCase() },
  lower: { params: [], apply: (v) => text(v).toLowerCase() },
  capitalize: {
    params: [],
    apply: (v) => {
      const s = text(v);
      return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
    },
  },
  trim: {
    params: [{ name: "chars", optional: true }],
    apply: (v, a) => {
      const s = text(v);
      if (!a.has("chars")) return s.trim();
      const chars = new Set(Array.from(a.string("chars")));
      const cs = Array.from(s);
      let i = 0;
      let j = cs.length;
      while (i < j && chars.has(cs[i]!)) i++;
      while (j > i && chars.has(cs[j - 1]!)) j--;
      return cs.slice(i, j).join("");
    },
  },
  length: {
    params: [],
    apply: (v) => {
      if (typeof v === "string") return Array.from(v).length;
      if (Array.isArray(v)) return v.length;
      if (isMap(v)) return ownKeys(v).length;
      throw expected("a string, list or map", v);
    },
  },
  first: {
    params: [],
    apply: (v) => {
      const items = typeof v === "string" ? Array.from(v) : list(v);
      if (items.length === 0) throw new Problem(typeof v === "string" ? "the string is empty" : "the list is empty");
      return items[0];
    },
  },
  last: {
    params: [],
    apply: (v) => {
      const items = typeof v === "string" ? Array.from(v) : list(v);
      if (items.length === 0) throw new Problem(typeof v === "string" ? "the string is empty" : "the list is empty");
      return items[items.length - 1];
    },
  },
  int: {
    params: [{ name: "default", optional: true }, { name: "base", default: 10 }],
    apply: (v, a) => {
      const n = toInt(v, a.integer("base"));
      if (n !== undefined) return n;
      if (a.has("default")) return a.any("default");
      throw new Problem(`cannot convert ${typeof v === "string" ? JSON.stringify(v) : describeKind(v)} to an integer (give a default: int(0))`);
    },
  },
  float: {
    params: [{ name: "default", optional: true }],
    apply: (v, a) => {
      const n = toFloat(v);
      if (n !== undefined) return n;
      if (a.has("default")) return a.any("default");
      throw new Problem(`cannot convert ${typeof v === "string" ? JSON.stringify(v) : describeKind(v)} to a number (give a default: float(0))`);
    },
  },
  string: {
    params: [],
    apply: (v) => {
      if (v === null) return "";
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return text(v);
      throw new Problem(`cannot convert ${describeKind(v)} to a string (use '| tojson' or '| join(...)')`);
    },
  },
  bool: {
    params: [],
    apply: (v) => {
      if (typeof v === "boolean") return v;
      if (v === null) return false;
      if (typeof v === "number") return v !== 0;
      if (typeof v === "string") {
        const w = v.trim().toLowerCase();
        if (TRUE_WORDS.has(w)) return true;
        if (FALSE_WORDS.has(w)) return false;
        throw new Problem(`cannot read ${JSON.stringify(v)} as a boolean (true/false, yes/no, on/off, 1/0)`);
      }
      throw expected("a boolean, number, string or none", v);
    },
  },
  tojson: {
    params: [{ name: "indent", optional: true }],
    apply: (v, a, env) => env.text(JSON.stringify(toPlain(v), null, a.has("indent") ? a.integer("indent") : undefined)),
  },
  toyaml: {
    params: [{ name: "indent", default: 2 }],
    apply: (v, a, env) => {
      const width = a.integer("indent");
      if (width < 1 || width > 10) throw new Problem(`'indent' must be between 1 and 10, got ${width}`);
      // YAML 1.1 quoting, so that strings like 'yes', 'on' or '1:20' stay strings for 1.1 readers too.
      const out = stringify(toPlain(v), { version: "1.1", lineWidth: 0, aliasDuplicateObjects: false, indent: width });
      return env.text(out.endsWith("\n") ? out.slice(0, -1) : out);
    },
  },
  replace: {
    params: [{ name: "old" }, { name: "new" }, { name: "count", optional: true }],
    apply: (v, a, env) => replaceText(text(v), a.string("old"), a.string("new"), a.has("count") ? a.integer("count") : -1, env),
  },
  split: {
    params: [{ name: "sep", optional: true }, { name: "maxsplit", default: -1 }],
    apply: (v, a, env) => {
      const s = text(v);
      const max = a.integer("maxsplit");
      let parts: string[];
      if (!a.has("sep") || a.any("sep") === null) {
        parts = s.trim() === "" ? [] : s.trim().split(/\s+/);
        if (max >= 0 && parts.length > max + 1) {
          const rest = s.trimStart();
          parts = parts.slice(0, max);
          let tail = rest;
          for (const p of parts) tail = tail.slice(tail.indexOf(p) + p.length).trimStart();
          parts.push(tail);
        }
      } else {
        const sep = a.string("sep");
        if (sep === "") throw new Problem("empty separator");
        parts = s.split(sep);
        if (max >= 0 && parts.length > max + 1) parts = [...parts.slice(0, max), parts.slice(max).join(sep)];
      }
      env.items(parts.length);
      return parts;
    },
  },
  quote: { params: [], apply: (v) => shellQuote(text(v)) },
  b64encode: { params: [], apply: (v, _a, env) => env.text(Buffer.from(text(v), "utf8").toString("base64")) },
  b64decode: {
    params: [],
    apply: (v) => {
      const s = text(v).replace(/\s+/g, "");
      if (!B64.test(s)) throw new Problem("not valid base64");
      try {
        return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(s, "base64"));
      } catch {
        throw new Problem("the decoded bytes are not UTF-8 text");
      }
    },
  },
  sort: {
    params: [{ name: "reverse", default: false }, { name: "case_sensitive", default: true }, { name: "attribute", optional: true }],
    apply: (v, a) => {
      const items = list(v);
      const keys = byAttribute(items, a);
      const cmp = compareAll(keys, a.boolean("case_sensitive"));
      const sign = a.boolean("reverse") ? -1 : 1;
      return items
        .map((item, i) => ({ item, key: keys[i] }))
        .sort((x, y) => sign * cmp(x.key, y.key))
        .map((e) => e.item);
    },
  },
  unique: {
    params: [{ name: "case_sensitive", default: true }, { name: "attribute", optional: true }],
    apply: (v, a) => {
      const items = list(v);
      const keys = byAttribute(items, a);
      const seen = new Set<string>();
      const cs = a.boolean("case_sensitive");
      return items.filter((_, i) => {
        const k = canonical(keys[i], cs);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    },
  },
  reverse: {
    params: [],
    apply: (v) => (typeof v === "string" ? Array.from(v).reverse().join("") : [...list(v)].reverse()),
  },
  list: {
    params: [],
    apply: (v) => {
      if (typeof v === "string") return Array.from(v);
      if (isMap(v)) return ownKeys(v);
      return [...list(v)];
    },
  },
  keys: { params: [], apply: (v) => ownKeys(map(v)) },
  values: {
    params: [],
    apply: (v) => {
      const m = map(v);
      return ownKeys(m).map((k) => ownValue(m, k));
    },
  },
  items: {
    params: [],
    apply: (v) => {
      const m = map(v);
      return ownKeys(m).map((k) => [k, ownValue(m, k)]);
    },
  },
  map: {
    params: [{ name: "filter", optional: true }, { name: "attribute", optional: true, kwOnly: true }, { name: "default", optional: true, kwOnly: true }],
    rest: true,
    apply: (v, a, env) => {
      const items = list(v);
      if (a.has("attribute")) {
        if (a.has("filter")) throw new Problem("give either a filter name or attribute=, not both");
        const attribute = a.attribute("attribute");
        return items.map((item, i) => {
          const x = lookupAttribute(item, attribute);
          if (x !== UNDEFINED) return x;
          if (a.has("default")) return a.any("default");
          throw new Problem(`item ${i} has no attribute '${attribute}' (give map(attribute='${attribute}', default=...))`);
        });
      }
      if (!a.has("filter")) throw new Problem("give a filter name (map('upper')) or attribute= (map(attribute='name'))");
      const name = a.string("filter");
      env.checkFilter(name);
      return items.map((item, i) => {
        try {
          return env.filter(name, item, a.rest);
        } catch (e) {
          if (e instanceof Problem) throw new Problem(`item ${i}: ${e.message}`);
          throw e;
        }
      });
    },
  },
  select: { params: [{ name: "test", optional: true }], rest: true, apply: (v, a, env) => selectBy(list(v), a, env, true, undefined) },
  reject: { params: [{ name: "test", optional: true }], rest: true, apply: (v, a, env) => selectBy(list(v), a, env, false, undefined) },
  selectattr: {
    params: [{ name: "attribute" }, { name: "test", optional: true }],
    rest: true,
    apply: (v, a, env) => selectBy(list(v), a, env, true, a.attribute("attribute")),
  },
  rejectattr: {
    params: [{ name: "attribute" }, { name: "test", optional: true }],
    rest: true,
    apply: (v, a, env) => selectBy(list(v), a, env, false, a.attribute("attribute")),
  },
  min: {
    params: [{ name: "attribute", optional: true }, { name: "case_sensitive", default: true }],
    apply: (v, a) => extreme(v, a, -1),
  },
  max: {
    params: [{ name: "attribute", optional: true }, { name: "case_sensitive", default: true }],
    apply: (v, a) => extreme(v, a, 1),
  },
  sum: {
    params: [{ name: "attribute", optional: true }, { name: "start", default: 0 }],
    apply: (v, a) =>
      byAttribute(list(v), a).reduce<number>((acc, x, i) => {
        if (typeof x !== "number") throw new Problem(`item ${i} is ${describeKind(x)}; sum takes numbers`);
        return acc + x;
      }, a.number("start")),
  },
  abs: { params: [], apply: (v) => Math.abs(number(v)) },
  round: {
    params: [{ name: "precision", default: 0 }, { name: "method", default: "common" }],
    apply: (v, a) => pythonRound(number(v), a.integer("precision"), a.string("method")),
  },
  flatten: {
    params: [{ name: "levels", optional: true }],
    apply: (v, a, env) => flatten(list(v), a.has("levels") ? a.integer("levels") : -1, [], env),
  },
  indent: {
    params: [{ name: "width", default: 4 }, { name: "first", default: false }, { name: "blank", default: false }],
    apply: (v, a, env) => {
      const w = a.any("width");
      const width = typeof w === "string" ? w : " ".repeat(Math.max(0, Math.min(a.integer("width"), 1000)));
      const s = text(v);
      env.reserve(s.length + width.length * (s.split("\n").length - (a.boolean("first") ? 0 : 1)));
      return indent(s, width, a.boolean("first"), a.boolean("blank"));
    },
  },
  basename: { params: [], apply: (v) => text(v).slice(text(v).lastIndexOf("/") + 1) },
  dirname: {
    params: [],
    apply: (v) => {
      const s = text(v);
      const head = s.slice(0, s.lastIndexOf("/") + 1);
      let end = head.length;
      while (end > 0 && head[end - 1] === "/") end--;
      return end === 0 ? head : head.slice(0, end);
    },
  },
};

/** Every filter by name, with Jinja's aliases `d` (default) and `count` (length). */
/** The item whose key compares lowest (`sign` -1, for `min`) or highest (1, for `max`); the first on ties. */
function extreme(v: unknown, a: Parameters<typeof byAttribute>[1], sign: 1 | -1): unknown {
  const items = list(v);
  if (items.length === 0) throw new Problem("the list is empty");
  const keys = byAttribute(items, a);
  const cmp = compareAll(keys, a.boolean("case_sensitive"));
  let best = 0;
  keys.forEach((k, i) => {
    if (cmp(k, keys[best]) * sign > 0) best = i;
  });
  return items[best];
}

export const FILTERS: ReadonlyMap<string, FilterDef> = new Map<string, FilterDef>([
  ...Object.entries(TABLE),
  ["d", TABLE.default!],
  ["count", TABLE.length!],
]);
