/**
 * The value model. Templates see six kinds of values: string, number, boolean, none (null), list (array) and map
 * (plain object). Anything else is "unsupported": it can be passed along but never looked into or rendered.
 *
 * Safety: members are read only as own, enumerable data properties of plain objects and arrays. Prototype
 * members (`constructor`, `__proto__`, `toString`...), getters and anything on class instances are invisible, and
 * nothing is ever called.
 */
import { closest, didYouMean } from "./suggest";
import { Problem } from "./errors";

/** What a guarded read gives for a missing path (inside `default(...)` and `is defined`). */
export const UNDEFINED: unique symbol = Symbol("undefined");

export type Kind = "string" | "number" | "boolean" | "none" | "list" | "map" | "undefined" | "unsupported";

export function isMap(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function kindOf(v: unknown): Kind {
  if (v === null) return "none";
  if (v === UNDEFINED || v === undefined) return "undefined";
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    default:
      if (Array.isArray(v)) return "list";
      return isMap(v) ? "map" : "unsupported";
  }
}

/** "a string", "a list", "none"... for messages. */
export function describeKind(v: unknown): string {
  const k = kindOf(v);
  switch (k) {
    case "none":
      return "none";
    case "undefined":
      return "undefined";
    case "unsupported":
      return "an unsupported value";
    default:
      return `a ${k}`;
  }
}

/** An own, enumerable data property that holds a value, or UNDEFINED. */
export function ownValue(obj: object, key: string): unknown {
  const d = Object.getOwnPropertyDescriptor(obj, key);
  if (d === undefined || !d.enumerable || !("value" in d) || d.value === undefined) return UNDEFINED;
  return d.value as unknown;
}

/** The keys `ownValue` can read, in insertion order. */
export function ownKeys(obj: object): string[] {
  return Object.keys(obj).filter((k) => ownValue(obj, k) !== UNDEFINED);
}

export type Member = { ok: true; value: unknown } | { ok: false; why: string; suggest?: string };

const MAX_SUGGEST_KEYS = 5000;

/**
 * `base[key]` under the rules above. `baseDesc` names the base in explanations ("'vars.port' is a number").
 * Numbers index lists and strings (negative from the end); strings key maps (a number keys a map by its digits).
 */
export function member(base: unknown, key: string | number, baseDesc: string): Member {
  if (Array.isArray(base)) {
    if (typeof key !== "number") return { ok: false, why: `'${baseDesc}' is a list` };
    const n = base.length;
    const i = key < 0 ? n + key : key;
    const value: unknown = i >= 0 && i < n ? base[i] : undefined;
    if (value === undefined) return { ok: false, why: n === 0 ? "the list is empty" : `the list has ${n} item${n === 1 ? "" : "s"}` };
    return { ok: true, value };
  }
  if (isMap(base)) {
    const k = String(key);
    const value = ownValue(base, k);
    if (value !== UNDEFINED) return { ok: true, value };
    const keys = ownKeys(base);
    return { ok: false, why: "", suggest: keys.length <= MAX_SUGGEST_KEYS ? closest(k, keys) : undefined };
  }
  if (typeof base === "string") {
    if (typeof key !== "number") return { ok: false, why: `'${baseDesc}' is a string` };
    const chars = Array.from(base);
    const i = key < 0 ? chars.length + key : key;
    const value = chars[i];
    if (value === undefined) return { ok: false, why: chars.length === 0 ? "the string is empty" : `the string has ${chars.length} character${chars.length === 1 ? "" : "s"}` };
    return { ok: true, value };
  }
  return { ok: false, why: `'${baseDesc}' is ${describeKind(base)}` };
}

/** Python truthiness: false, none, 0, '', [] and {} are false. */
export function truthy(v: unknown): boolean {
  if (v === null || v === false || v === undefined || v === UNDEFINED) return false;
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  if (typeof v === "string") return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return ownKeys(v).length > 0;
  return true;
}

/** Deep equality of template values; values of different kinds are never equal (`1 == true` is false). */
export function equals(a: unknown, b: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH) throw new Problem("values nested too deeply to compare");
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => equals(x, b[i], depth + 1));
  if (isMap(a)) {
    if (!isMap(b)) return false;
    const ka = ownKeys(a);
    const kb = ownKeys(b);
    return ka.length === kb.length && ka.every((k) => equals(a[k], ownValue(b, k), depth + 1));
  }
  return false;
}

/** How a key extends a path in messages: `.name`, `['make token']`, `[0]`. */
export function formatKey(key: string | number): string {
  if (typeof key === "number") return `[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return `.${key}`;
  return `[${quoteString(key)}]`;
}

export function quoteString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
}

/** Numbers render plainly: integers without a decimal point, floats as JavaScript prints them. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Problem(`${n} is not a finite number`);
  return String(n);
}

/**
 * The text of a scalar: strings as they are, numbers plainly, booleans as `true` / `false`. Everything else is a
 * Problem saying how to render it; `what` names the value ("'vars.x'").
 */
export function scalarText(v: unknown, what: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Problem(`${what} is not a finite number (${String(v)})`);
    return String(v);
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v === null) throw new Problem(`${what} is none: use '| default(...)' for a fallback, or '| string' to render it as empty text`);
  if (Array.isArray(v)) throw new Problem(`${what} is a list: render it with '| join(...)', '| tojson' or '| toyaml'`);
  if (isMap(v)) throw new Problem(`${what} is a map: render it with '| tojson' or '| toyaml'`);
  throw new Problem(`${what} is ${describeKind(v)} and cannot be rendered`);
}

export const MAX_DEPTH = 200;

/**
 * A fresh plain copy of a template value (for results handed outside: `renderValue`, `tojson`, `toyaml`). Fails
 * on unsupported values, non-finite numbers and nesting deeper than MAX_DEPTH (which also catches cycles). Map
 * entries holding JavaScript `undefined` are dropped, as JSON does.
 */
export function toPlain(v: unknown, where = "", depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new Problem(`the value is nested more than ${MAX_DEPTH} levels deep${where ? ` at ${where}` : ""} (is it cyclic?)`);
  if (typeof v === "string" || typeof v === "boolean" || v === null) return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Problem(`${String(v)} is not a finite number${where ? ` (at ${where})` : ""}`);
    return v;
  }
  if (Array.isArray(v)) return v.map((x: unknown, i) => toPlain(x === undefined ? null : x, `${where}[${i}]`, depth + 1));
  if (isMap(v)) return Object.fromEntries(ownKeys(v).map((k) => [k, toPlain(v[k], `${where}${formatKey(k)}`, depth + 1)]));
  throw new Problem(`${describeKind(v)} cannot be converted${where ? ` (at ${where})` : ""}`);
}

// "Did you mean" is shared with the site model's lint.
export { closest, didYouMean };
