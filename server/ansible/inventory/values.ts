/**
 * Variable values as Ansible holds them, narrowed to what JSON (and so `ansible-inventory --list` and a Flightdeck
 * site) can carry: strings, numbers, booleans, null, lists, maps with string keys, and vault-encrypted secrets.
 * Python values that JSON cannot carry (complex, sets, bytes inside containers, inf, nan, integers beyond 2^53,
 * dates are the exception: Ansible prints them as ISO text) are located errors.
 */
import { fail, type Where } from "./errors";
import { hashKey, pyFloatRepr, type PyValue } from "./python-literal";

/**
 * A vault-encrypted value: an inline `!vault` scalar (`ciphertext`), or a variable of a fully vaulted file
 * (`plain`: its decrypted value). Ansible shows the first as `{"__ansible_vault": ciphertext}` until it is used.
 */
export class Secret {
  constructor(
    readonly where: Where,
    readonly ciphertext?: string,
    readonly plain?: Value,
    /** The vaulted file a `plain` secret came from. */
    readonly file?: string,
  ) {}
}

export type Value = null | boolean | number | string | Secret | Value[] | { [key: string]: Value };
export type VarMap = { [key: string]: Value };

export function isVarMap(v: unknown): v is VarMap {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Secret);
}

/** Set a key on a plain object, `__proto__` included (as an own property, never the prototype). */
export function setKey(o: VarMap, key: string, value: Value): void {
  if (key === "__proto__") Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

/** Where each map and list was written, for problems found later inside a value. */
export const valueWhere = new WeakMap<object, Where>();
/** Where each key of a map read from YAML was written. */
export const keyWhere = new WeakMap<object, Map<string, Where>>();

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A number JSON holds exactly, or a located error. */
export function intValue(v: bigint, where: Where): number {
  if (v > MAX_SAFE || v < -MAX_SAFE) fail(where, `the integer ${v} is beyond what JSON numbers hold exactly (±2^53); quote it to keep it as text`);
  return Number(v);
}

export function floatValue(v: number, where: Where): number {
  if (!Number.isFinite(v)) fail(where, `the float ${Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf"} has no JSON form (inf and nan cannot be stored); quote it to keep it as text`);
  return v;
}

/** How json.dumps writes a dict key; other key types make Ansible itself fail. */
export function jsonKey(k: PyValue, where: Where): string {
  switch (k.t) {
    case "str":
      return k.v;
    case "int":
      return k.v.toString();
    case "bool":
      return k.v ? "true" : "false";
    case "none":
      return "null";
    case "float":
      floatValue(k.v, where);
      return pyFloatRepr(k.v);
    default:
      return fail(where, `a ${describe(k)} cannot be a key: JSON keys are text (Ansible itself cannot print this)`);
  }
}

function describe(v: PyValue): string {
  switch (v.t) {
    case "complex":
      return "complex number";
    case "ellipsis":
      return "Ellipsis (...)";
    case "none":
      return "None";
    default:
      return v.t;
  }
}

/**
 * A literal_eval result as a variable value. `topLevel`: the INI plugin turns a top-level bytes value into text
 * (to_text), but bytes inside a list or dict stay bytes, which Ansible cannot print.
 */
export function fromPython(v: PyValue, where: Where, topLevel = true): Value {
  switch (v.t) {
    case "str":
      return v.v;
    case "bytes": {
      if (!topLevel) return fail(where, "bytes inside a list or dict have no JSON form (Ansible itself cannot print them); use a text string");
      const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      try {
        return text.decode(v.v);
      } catch {
        return fail(where, "these bytes are not UTF-8 text");
      }
    }
    case "int":
      return intValue(v.v, where);
    case "float":
      return floatValue(v.v, where);
    case "bool":
      return v.v;
    case "none":
      return null;
    case "tuple":
    case "list": {
      const list = v.items.map((item) => fromPython(item, where, false));
      valueWhere.set(list, where);
      return list;
    }
    case "dict": {
      const map: VarMap = {};
      for (const [k, item] of v.entries) {
        const key = jsonKey(k, where);
        if (Object.hasOwn(map, key)) fail(where, `two keys of one dict both print as '${key}' in JSON`);
        setKey(map, key, fromPython(item, where, false));
      }
      valueWhere.set(map, where);
      return map;
    }
    case "set":
      return fail(where, "a Python set has no JSON form (Ansible itself cannot print it); use a list: [...]");
    case "complex":
    case "ellipsis":
      return fail(where, `a ${describe(v)} has no JSON form (Ansible itself cannot print it); quote it to keep it as text`);
  }
}

/** Python's hash identity of a key, for maps built key by key (YAML). */
export function pythonKeyIdentity(k: PyValue): string {
  return hashKey(k);
}

/** Deep equality of values; secrets are equal when they are the same object. */
export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a === b) return true;
  if (a instanceof Secret || b instanceof Secret) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameValue(x, b[i]));
  }
  if (isVarMap(a) && isVarMap(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && sameValue(a[k], b[k]));
  }
  return false;
}
