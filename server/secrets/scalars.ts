/**
 * Scalar values as sops sees them. sops reads YAML with Go's yaml.v3 and encrypts each value according to its
 * Go type, so an interoperable tool must type plain scalars the way yaml.v3 does (not the way YAML 1.2 core or
 * YAML 1.1 do) and must write each type's bytes the way Go does (spec A5, A7):
 *
 *   str    the string itself                int    decimal (strconv.Itoa)
 *   float  strconv.FormatFloat(v,'f',-1,64)  bool   "True" / "False"
 *   time   time.MarshalText (RFC3339Nano)    bytes  raw bytes (never produced by YAML)
 *
 * Files are parsed with the `yaml` package's failsafe schema (every scalar a string, with its style and tag),
 * and this module decides the type from the text, so `3.0` stays a float, `0777` is octal as in yaml.v3, and an
 * unquoted `2024-01-01` is a timestamp.
 */

export type Leaf =
  | { type: "str"; value: string }
  | { type: "int"; value: bigint }
  | { type: "float"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "time"; value: GoTime }
  | { type: "bytes"; value: Uint8Array };

export type LeafType = Leaf["type"];

/** A Go time.Time reduced to what sops needs: its MarshalText form and the instant, for JavaScript. */
export interface GoTime {
  /** RFC3339 with nanoseconds, trailing zeros trimmed, `Z` for a zero offset: Go's MarshalText. */
  text: string;
  /** Milliseconds since the epoch (sub-millisecond digits live only in `text`). */
  ms: number;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Why a scalar cannot be represented by sops (yaml.v3 would give it a Go type sops does not walk). */
export class UnrepresentableScalar extends Error {}

/** The resolved value of a YAML scalar: a typed leaf, or null (never encrypted, never hashed). */
export type Resolved = Leaf | null;

const TAG = "tag:yaml.org,2002:";

/**
 * Type a scalar as yaml.v3 decodes it into `interface{}`: `text` is the scalar's content, `plain` tells an
 * unquoted, non-block scalar from the others, `tag` is an explicit tag if any.
 */
export function resolveScalar(text: string, plain: boolean, tag?: string | null): Resolved {
  if (tag) {
    switch (tag) {
      case `${TAG}str`:
      case `${TAG}binary`:
        return { type: "str", value: text };
      case `${TAG}null`:
        return null;
      case `${TAG}bool`:
      case `${TAG}int`:
      case `${TAG}float`:
      case `${TAG}timestamp`: {
        const resolved = resolvePlain(text);
        const want = tag.slice(TAG.length);
        const got = resolved === null ? "null" : resolved.type === "time" ? "timestamp" : resolved.type;
        if (got === want) return resolved;
        if (want === "float" && resolved?.type === "int") return { type: "float", value: Number(resolved.value) };
        throw new UnrepresentableScalar(`cannot decode ${JSON.stringify(text)} as !!${want}`);
      }
      default:
        // yaml.v3 decodes a scalar with an unknown tag into interface{} as its string.
        return plain ? resolvePlain(text) : { type: "str", value: text };
    }
  }
  return plain ? resolvePlain(text) : { type: "str", value: text };
}

const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const TRUES = new Set(["true", "True", "TRUE"]);
const FALSES = new Set(["false", "False", "FALSE"]);
const NANS = new Set([".nan", ".NaN", ".NAN"]);
const INFS = new Set([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"]);
const NEG_INFS = new Set(["-.inf", "-.Inf", "-.INF"]);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** yaml.v3's `resolve` for an untagged plain scalar. */
export function resolvePlain(text: string): Resolved {
  if (NULLS.has(text)) return null;
  if (TRUES.has(text)) return { type: "bool", value: true };
  if (FALSES.has(text)) return { type: "bool", value: false };
  if (NANS.has(text)) return { type: "float", value: NaN };
  if (INFS.has(text)) return { type: "float", value: Infinity };
  if (NEG_INFS.has(text)) return { type: "float", value: -Infinity };
  const first = text.charAt(0);
  if (first === ".") {
    if (YAML_STYLE_FLOAT.test(text)) {
      const f = Number(text);
      if (Number.isFinite(f)) return { type: "float", value: f };
    }
    return { type: "str", value: text };
  }
  if (!/[0-9+-]/.test(first)) return { type: "str", value: text };
  const time = parseYamlTimestamp(text);
  if (time) return { type: "time", value: time };
  const plain = text.replace(/_/g, "");
  const int = goParseInt(plain);
  if (int !== null) {
    if (int >= INT64_MIN && int <= INT64_MAX) return { type: "int", value: int };
    if (int >= 0n && int <= UINT64_MAX && !plain.startsWith("+") && !plain.startsWith("-")) {
      throw new UnrepresentableScalar(`the integer ${text} does not fit in 64 signed bits (sops cannot encrypt it; quote it to keep it as a string)`);
    }
  }
  if (YAML_STYLE_FLOAT.test(plain)) {
    const f = Number(plain);
    // Go's ParseFloat fails on overflow, and yaml.v3 then keeps the text as a string.
    if (Number.isFinite(f)) return { type: "float", value: f };
  }
  return { type: "str", value: text };
}

/** Go's strconv.ParseInt(s, 0, 64) syntax (range checked by the caller): sign, then 0x / 0o / 0b / 0 octal / decimal. */
function goParseInt(s: string): bigint | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return null;
  const sign = m[1] === "-" ? -1n : 1n;
  let body = m[2]!;
  let value: bigint;
  if (/^0[xX]/.test(body)) value = BigInt(`0x${body.slice(2)}`);
  else if (/^0[oO]/.test(body)) value = BigInt(`0o${body.slice(2)}`);
  else if (/^0[bB]/.test(body)) value = BigInt(`0b${body.slice(2)}`);
  else if (body.length > 1 && body.startsWith("0")) {
    body = body.slice(1);
    value = BigInt(`0o${body}`);
  } else value = BigInt(body);
  return sign * value;
}

// ---------------------------------------------------------------------------------------------- times

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS[month - 1]!;
}

interface TimeParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Nanoseconds, 0..999999999. */
  nanos: number;
  /** Offset from UTC in minutes. */
  offset: number;
}

/**
 * yaml.v3's timestamp formats, in its order: `2006-1-2T15:4:5.999999999Z07:00` (also with a lower-case t),
 * `2006-1-2 15:4:5.999999999` (UTC) and `2006-1-2`. Anything else is not a timestamp.
 */
export function parseYamlTimestamp(text: string): GoTime | null {
  if (!/^[0-9]{4}-/.test(text)) return null;
  let m = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})$/.exec(text);
  if (!m) m = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2}) ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]+))?()$/.exec(text);
  if (!m) m = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})()()()()()$/.exec(text);
  if (!m) return null;
  const parts = timeParts(m);
  return parts ? goTime(parts) : null;
}

/** Go's time.Time.UnmarshalText: RFC3339 with optional fractional seconds. */
export function parseRfc3339(text: string): GoTime | null {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})$/.exec(text);
  if (!m) return null;
  const parts = timeParts(m);
  return parts ? goTime(parts) : null;
}

function timeParts(m: RegExpExecArray): TimeParts | null {
  const num = (i: number) => (m[i] ? Number(m[i]) : 0);
  const year = num(1);
  const month = num(2);
  const day = num(3);
  const hour = num(4);
  const minute = num(5);
  const second = num(6);
  const frac = (m[7] ?? "").slice(0, 9);
  const nanos = frac ? Number(frac.padEnd(9, "0")) : 0;
  let offset = 0;
  const zone = m[8] ?? "";
  if (zone && zone !== "Z" && zone !== "z") {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 24 || om > 59) return null;
    offset = (zone.startsWith("-") ? -1 : 1) * (oh * 60 + om);
  }
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  return { year, month, day, hour, minute, second, nanos, offset };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

function goTime(p: TimeParts): GoTime {
  const local = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  // Date.UTC maps years 0..99 to 1900..1999: set the full year explicitly.
  const at = new Date(local);
  at.setUTCFullYear(p.year);
  const ms = at.getTime() - p.offset * 60_000 + Math.floor(p.nanos / 1e6);
  const frac = p.nanos ? `.${pad(p.nanos, 9).replace(/0+$/, "")}` : "";
  const zone = p.offset === 0 ? "Z" : `${p.offset < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(p.offset) / 60))}:${pad(Math.abs(p.offset) % 60)}`;
  const text = `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${frac}${zone}`;
  return { text, ms };
}

/** A JavaScript Date as a Go time in UTC. */
export function timeFromDate(date: Date): GoTime {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new UnrepresentableScalar("an invalid Date cannot be encrypted");
  const parsed = parseRfc3339(date.toISOString());
  if (!parsed) throw new UnrepresentableScalar(`the date ${date.toISOString()} is outside the years 0000-9999`);
  return parsed;
}

/** RFC3339 without fractional seconds, keeping the offset: Go's `t.Format(time.RFC3339)`. The MAC's AAD. */
export function formatRfc3339Seconds(t: GoTime): string {
  return t.text.replace(/\.[0-9]+(?=Z|[+-])/, "");
}

/** Now, as sops writes `lastmodified`: UTC, whole seconds. */
export function nowLastModified(now = new Date()): string {
  return now.toISOString().replace(/\.[0-9]+Z$/, "Z");
}

// ---------------------------------------------------------------------------------------------- Go formats

/** strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that round-trip, never an exponent. */
export function goFormatFloat(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "+Inf";
  if (x === -Infinity) return "-Inf";
  if (Object.is(x, -0)) return "-0";
  const s = String(x);
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?e([+-][0-9]+)$/.exec(s);
  if (!m) return s;
  const sign = m[1]!;
  const digits = `${m[2]!}${m[3] ?? ""}`;
  const point = m[2]!.length + Number(m[4]);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** strconv.ParseFloat(s, 64) for the forms Go accepts in practice (decimal, exponent, Inf, NaN). */
export function goParseFloat(s: string): number | null {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  const plain = s.replace(/_/g, "");
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(plain) && !/^[+-]?0[xX]/.test(plain)) return null;
  const f = Number(plain.replace(/^\+/, ""));
  return Number.isNaN(f) ? null : f;
}

/** strconv.ParseBool. */
export function goParseBool(s: string): boolean | null {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return null;
}

/** strconv.Atoi on a 64-bit platform. */
export function goAtoi(s: string): bigint | null {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const v = BigInt(s.replace(/^\+/, ""));
  return v >= INT64_MIN && v <= INT64_MAX ? v : null;
}

// ---------------------------------------------------------------------------------------------- leaves

/** The bytes sops encrypts and hashes for a value (cipher.Encrypt, sops.ToBytes). */
export function leafBytes(leaf: Leaf): Buffer {
  switch (leaf.type) {
    case "str":
      return Buffer.from(leaf.value, "utf8");
    case "int":
      return Buffer.from(leaf.value.toString(), "utf8");
    case "float":
      return Buffer.from(goFormatFloat(leaf.value), "utf8");
    case "bool":
      return Buffer.from(leaf.value ? "True" : "False", "utf8");
    case "time":
      return Buffer.from(leaf.value.text, "utf8");
    case "bytes":
      return Buffer.from(leaf.value);
  }
}

/** A decrypted plaintext back to its typed value, as cipher.Decrypt does. Null when the text is not of the type. */
export function leafFromPlaintext(type: string, bytes: Buffer): Leaf | null {
  const text = bytes.toString("utf8");
  switch (type) {
    case "str":
      return { type: "str", value: text };
    case "int": {
      const v = goAtoi(text);
      return v === null ? null : { type: "int", value: v };
    }
    case "float": {
      const v = goParseFloat(text);
      return v === null ? null : { type: "float", value: v };
    }
    case "bool": {
      const v = goParseBool(text);
      return v === null ? null : { type: "bool", value: v };
    }
    case "time": {
      const v = parseRfc3339(text);
      return v === null ? null : { type: "time", value: v };
    }
    case "bytes":
      return { type: "bytes", value: new Uint8Array(bytes) };
    default:
      return null;
  }
}

/** The JavaScript value of a leaf: strings, numbers (bigint beyond 2^53), booleans, Dates. */
export function leafToJs(leaf: Leaf): string | number | bigint | boolean | Date {
  switch (leaf.type) {
    case "str":
      return leaf.value;
    case "int":
      return leaf.value >= BigInt(Number.MIN_SAFE_INTEGER) && leaf.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(leaf.value) : leaf.value;
    case "float":
      return leaf.value;
    case "bool":
      return leaf.value;
    case "time":
      return new Date(leaf.value.ms);
    case "bytes":
      return Buffer.from(leaf.value).toString("utf8");
  }
}

/** A JavaScript value as a leaf (null for null). Integral numbers within 2^53 are ints, other numbers floats. */
export function leafFromJs(value: unknown): Resolved {
  if (value === null) return null;
  switch (typeof value) {
    case "string":
      return { type: "str", value };
    case "boolean":
      return { type: "bool", value };
    case "bigint":
      if (value < INT64_MIN || value > INT64_MAX) throw new UnrepresentableScalar(`the integer ${value} does not fit in 64 signed bits`);
      return { type: "int", value };
    case "number":
      return Number.isSafeInteger(value) && !Object.is(value, -0) ? { type: "int", value: BigInt(value) } : { type: "float", value };
    default:
      if (value instanceof Date) return { type: "time", value: timeFromDate(value) };
      throw new UnrepresentableScalar(`a ${value === undefined ? "missing value" : typeof value} cannot be stored in a secrets file`);
  }
}

/** Whether a JavaScript value is the same as a leaf: an unchanged value keeps its node, type and ciphertext. */
export function sameValue(leaf: Resolved, value: unknown): boolean {
  if (leaf === null) return value === null;
  switch (leaf.type) {
    case "str":
      return value === leaf.value;
    case "int":
      return (typeof value === "bigint" && value === leaf.value) || (typeof value === "number" && Number.isInteger(value) && BigInt(value) === leaf.value);
    case "float":
      return typeof value === "number" && (value === leaf.value || (Number.isNaN(value) && Number.isNaN(leaf.value))) && Object.is(value, -0) === Object.is(leaf.value, -0);
    case "bool":
      return value === leaf.value;
    case "time":
      return value instanceof Date && value.getTime() === leaf.value.ms;
    case "bytes":
      return value === Buffer.from(leaf.value).toString("utf8");
  }
}

/**
 * How to write a leaf as a plaintext YAML scalar so that yaml.v3 (and `resolveScalar`) reads the same type back:
 * the text, and whether it must be quoted. Floats always carry a point (`3.0`), so they stay floats.
 */
export function leafToYamlText(leaf: Leaf): { text: string; quote: boolean } {
  switch (leaf.type) {
    case "str":
    case "bytes": {
      const text = leaf.type === "str" ? leaf.value : Buffer.from(leaf.value).toString("utf8");
      let quote = false;
      try {
        quote = resolvePlain(text)?.type !== "str";
      } catch {
        quote = true;
      }
      return { text, quote };
    }
    case "int":
      return { text: leaf.value.toString(), quote: false };
    case "float": {
      if (Number.isNaN(leaf.value)) return { text: ".nan", quote: false };
      if (leaf.value === Infinity) return { text: ".inf", quote: false };
      if (leaf.value === -Infinity) return { text: "-.inf", quote: false };
      const text = goFormatFloat(leaf.value);
      return { text: text.includes(".") ? text : `${text}.0`, quote: false };
    }
    case "bool":
      return { text: leaf.value ? "true" : "false", quote: false };
    case "time":
      return { text: leaf.value.text, quote: false };
  }
}
