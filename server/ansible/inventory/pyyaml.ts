/**
 * YAML as Ansible loads it (PyYAML's SafeLoader resolver, YAML 1.1, with AnsibleConstructor): `yes`/`on` are
 * booleans, `0777` is octal, `1:30` is 90, `1e3` is text (a float needs a dot), `2024-01-15` is a date (which
 * ansible-inventory prints as ISO text), `<<` merges, duplicate keys keep the last value, `!vault` is a vaulted
 * value, `!unsafe` keeps its text. The syntax is read with the `yaml` package (failsafe schema: every scalar as
 * written), and the values are built here by PyYAML's rules.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, type Pair, type Scalar, type YAMLMap } from "yaml";
import { fail, type Where } from "./errors";
import type { PyValue } from "./python-literal";
import { floatValue, intValue, jsonKey, keyWhere, pythonKeyIdentity, Secret, setKey, valueWhere, type Value, type VarMap } from "./values";

const Y = "tag:yaml.org,2002:";

// PyYAML's implicit resolvers, in registration order, with the first characters each applies to.
const RESOLVERS: [string, RegExp, string][] = [
  ["bool", /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/, "yYnNtTfFoO"],
  [
    "float",
    /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
    "-+0123456789.",
  ],
  ["int", /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/, "-+0123456789"],
  ["merge", /^(?:<<)$/, "<"],
  ["null", /^(?:~|null|Null|NULL|)$/, "~nN"],
  ["timestamp", /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/, "0123456789"],
  ["value", /^(?:=)$/, "="],
];

/** The tag PyYAML gives a plain scalar. */
export function resolvePlain(value: string): string {
  if (value === "") return "null";
  for (const [tag, re, first] of RESOLVERS) if (first.includes(value[0]!) && re.test(value)) return tag;
  return "str";
}

export interface YamlLoad {
  /** The document's value; undefined for an empty stream. */
  value: Value | undefined;
}

/** Load one YAML document as Ansible does; YAML errors and values JSON cannot hold are located errors. */
export function loadAnsibleYaml(text: string, file: string): YamlLoad {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { schema: "failsafe", version: "1.1", uniqueKeys: false, merge: false, lineCounter: lines, prettyErrors: false });
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [parsed];
  const where = (offset: number): Where => {
    const pos = lines.linePos(offset);
    return { file, line: pos.line, col: pos.col };
  };
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) fail(where(error.pos[0]), `YAML syntax: ${error.message.split("\n")[0]}`);
  }
  if (docs.length > 1) fail(where(docs[1]!.range[0]), "expected a single document in the stream, but found another document");
  const doc = docs[0];
  if (!doc || doc.contents === null) return { value: doc ? null : undefined };
  return { value: new Constructor(doc, text, where).construct(doc.contents) };
}

class Constructor {
  private readonly done = new Map<Node, Value>();
  private readonly building = new Set<Node>();

  constructor(
    private readonly doc: Document.Parsed,
    private readonly text: string,
    private readonly where: (offset: number) => Where,
  ) {}

  private at(node: Node | Pair | null | undefined): Where {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    let offset = range?.[0] ?? 0;
    // A tagged node's range starts after its tag: point at the tag (`!vault`), as PyYAML does.
    if ((node as { tag?: string } | null | undefined)?.tag) {
      for (let i = offset - 1; i >= 0 && this.text[i] !== "\n"; i--) {
        if (this.text[i] === "!" && (i === 0 || /\s/.test(this.text[i - 1]!))) {
          offset = i;
          break;
        }
      }
    }
    return this.where(offset);
  }

  private target(node: Node): Node {
    if (!isAlias(node)) return node;
    const target = node.resolve(this.doc);
    if (!target) fail(this.at(node), `found undefined alias '${node.source}'`);
    return target;
  }

  construct(input: Node | null): Value {
    if (input === null) return null;
    const node = this.target(input);
    const cached = this.done.get(node);
    if (cached !== undefined) return cached;
    if (this.building.has(node)) fail(this.at(input), "a recursive alias (a value that contains itself) has no JSON form");
    this.building.add(node);
    const value = this.build(node);
    this.building.delete(node);
    this.done.set(node, value);
    return value;
  }

  private build(node: Node): Value {
    const tag = node.tag;
    if (isScalar(node)) {
      if (tag === "!vault" || tag === "!vault-encrypted") return new Secret(this.at(node), String(node.value));
      if (tag === "!unsafe") return String(node.value);
      return scalarValue(this.scalar(node));
    }
    if (isMap(node)) {
      if (tag === undefined || tag === `${Y}map` || tag === `${Y}python/dict` || tag === "!unsafe" || tag === "!") return this.mapping(node);
      return this.unsupportedTag(node, tag);
    }
    if (isSeq(node)) {
      if (tag === undefined || tag === `${Y}seq` || tag === "!unsafe" || tag === "!") {
        const list = node.items.map((item) => this.construct(item as Node | null));
        valueWhere.set(list, this.at(node));
        return list;
      }
      return this.unsupportedTag(node, tag);
    }
    return fail(this.at(node), "unexpected YAML node");
  }

  private unsupportedTag(node: Node, tag: string): never {
    const name = tag.startsWith(Y) ? `!!${tag.slice(Y.length)}` : tag;
    if (name === "!!set" || name === "!!omap" || name === "!!pairs" || name === "!!binary") fail(this.at(node), `${name} values have no JSON form (Ansible itself cannot print them)`);
    return fail(this.at(node), `could not determine a constructor for the tag '${name}'`);
  }

  /** A scalar as the Python value PyYAML constructs (dates as ISO text: Ansible prints them so). */
  private scalar(node: Scalar): PyValue {
    const text = String(node.value);
    let tag = node.tag;
    if (tag === undefined) tag = node.type === "PLAIN" ? `${Y}${resolvePlain(text)}` : `${Y}str`;
    if (tag === "!" || tag === `${Y}python/unicode`) tag = `${Y}str`;
    const w = this.at(node);
    switch (tag) {
      case `${Y}str`:
        return { t: "str", v: text };
      case `${Y}null`:
        return { t: "none" };
      case `${Y}bool`: {
        const v = ({ yes: true, no: false, true: true, false: false, on: true, off: false } as Record<string, boolean>)[text.toLowerCase()];
        if (v === undefined) fail(w, `'${text}' is not a boolean`);
        return { t: "bool", v };
      }
      case `${Y}int`:
        return { t: "int", v: yamlInt(text, w) };
      case `${Y}float`:
        return { t: "float", v: yamlFloat(text, w) };
      case `${Y}timestamp`:
        return { t: "str", v: isoTimestamp(text, w) };
      case `${Y}value`:
        return fail(w, "could not determine a constructor for the tag 'tag:yaml.org,2002:value' (a plain '=': quote it)");
      case `${Y}merge`:
        return fail(w, "a '<<' merge key where a value was expected");
      default:
        return this.unsupportedTag(node, tag);
    }
  }

  private mapping(node: YAMLMap): VarMap {
    const pairs = this.flatten(node);
    const map: VarMap = {};
    const keys = new Map<string, Where>();
    const identity = new Map<string, string>();
    for (const pair of pairs) {
      const keyNode = pair.key === null ? null : this.target(pair.key as Node);
      const key = this.key(keyNode, pair);
      const id = pythonKeyIdentity(key);
      const name = identity.get(id) ?? jsonKey(key, this.at(keyNode ?? node));
      if (!identity.has(id)) {
        if (Object.hasOwn(map, name)) fail(this.at(keyNode ?? node), `two keys of one map both print as '${name}' in JSON`);
        identity.set(id, name);
      }
      setKey(map, name, this.construct(pair.value as Node | null));
      keys.set(name, this.at(keyNode ?? node));
    }
    valueWhere.set(map, this.at(node));
    keyWhere.set(map, keys);
    return map;
  }

  /** Merge keys first (PyYAML's flatten_mapping): merged pairs come before the map's own, which win. */
  private flatten(node: YAMLMap): Pair[] {
    const merged: Pair[] = [];
    const own: Pair[] = [];
    for (const pair of node.items) {
      const key = pair.key === null ? null : this.target(pair.key as Node);
      const isMerge = isScalar(key) && ((key.tag === undefined && key.type === "PLAIN" && String(key.value) === "<<") || key.tag === `${Y}merge`);
      if (!isMerge) {
        own.push(pair);
        continue;
      }
      const value = pair.value === null ? null : this.target(pair.value as Node);
      if (isMap(value)) merged.push(...this.flatten(value));
      else if (isSeq(value)) {
        const subs: Pair[][] = [];
        for (const item of value.items) {
          const sub = item === null ? null : this.target(item as Node);
          if (!isMap(sub)) fail(this.at(sub ?? value), "a '<<' merge takes a map or a list of maps");
          subs.push(this.flatten(sub));
        }
        for (const sub of subs.reverse()) merged.push(...sub);
      } else fail(this.at(value ?? key), "a '<<' merge takes a map or a list of maps");
    }
    return [...merged, ...own];
  }

  /** A key as the Python object PyYAML builds; only what json.dumps can write as a key is allowed. */
  private key(node: Node | null, pair: Pair): PyValue {
    if (node === null) return { t: "none" };
    if (!isScalar(node)) fail(this.at(node), "a map or list cannot be a key (Python cannot hash it)");
    const tag = node.tag;
    if (tag === "!vault" || tag === "!vault-encrypted") fail(this.at(node), "a vaulted value cannot be a key");
    if (tag === "!unsafe") return { t: "str", v: String(node.value) };
    // A plain '=' key is text (flatten_mapping retags it).
    if (tag === undefined && node.type === "PLAIN" && String(node.value) === "=") return { t: "str", v: "=" };
    const v = this.scalar(node);
    if (v.t === "str" && tag === undefined && node.type === "PLAIN" && resolvePlain(String(node.value)) === "timestamp") {
      fail(this.at(node ?? pair), "a date cannot be a key (Ansible itself cannot print it); quote it");
    }
    return v;
  }
}

/** What scalar() builds, as a value (its numbers were checked against what JSON holds). */
function scalarValue(v: PyValue): Value {
  switch (v.t) {
    case "str":
      return v.v;
    case "bool":
      return v.v;
    case "int":
      return Number(v.v);
    case "float":
      return v.v;
    default:
      return null;
  }
}

/** PyYAML's construct_yaml_int, checked against what JSON holds. */
function yamlInt(text: string, w: Where): bigint {
  let value = text.replace(/_/g, "");
  let sign = 1n;
  if (value[0] === "-") sign = -1n;
  if (value[0] === "-" || value[0] === "+") value = value.slice(1);
  let n: bigint;
  try {
    if (value === "0") n = 0n;
    else if (value.startsWith("0b")) n = BigInt(`0b${value.slice(2)}`);
    else if (value.startsWith("0x")) n = BigInt(`0x${value.slice(2)}`);
    else if (value[0] === "0") n = BigInt(`0o${value}`);
    else if (value.includes(":")) {
      n = 0n;
      let base = 1n;
      for (const part of value.split(":").reverse()) {
        n += BigInt(part) * base;
        base *= 60n;
      }
    } else if (/^[0-9]+$/.test(value)) n = BigInt(value);
    else throw new Error();
  } catch {
    return fail(w, `'${text}' is not an integer`);
  }
  n *= sign;
  intValue(n, w);
  return n;
}

/** PyYAML's construct_yaml_float, checked against what JSON holds. */
function yamlFloat(text: string, w: Where): number {
  let value = text.replace(/_/g, "").toLowerCase();
  let sign = 1;
  if (value[0] === "-") sign = -1;
  if (value[0] === "-" || value[0] === "+") value = value.slice(1);
  let v: number;
  if (value === ".inf") v = Infinity;
  else if (value === ".nan") v = NaN;
  else if (value.includes(":")) {
    v = 0;
    let base = 1;
    for (const part of value.split(":").reverse()) {
      v += Number(part) * base;
      base *= 60;
    }
  } else {
    // Python's float(): digits with an optional dot and exponent, or inf/nan spelled out.
    if (!/^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?$/.test(value) && !/^(?:inf|infinity|nan)$/.test(value)) fail(w, `'${text}' is not a float`);
    v = value.startsWith("inf") ? Infinity : value === "nan" ? NaN : Number(value);
  }
  return floatValue(v * sign, w);
}

const TIMESTAMP = /^([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?$/;

/** A YAML timestamp as Python's date/datetime isoformat() (what ansible-inventory prints). */
function isoTimestamp(text: string, w: Where): string {
  const m = TIMESTAMP.exec(text);
  if (!m) return fail(w, `'${text}' is not a timestamp`);
  const [, y, mo, d, h, mi, s, fraction, tz, tzSign, tzHour, tzMinute] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > days) fail(w, `'${text}' is not a valid date`);
  const two = (n: number) => String(n).padStart(2, "0");
  const date = `${String(year).padStart(4, "0")}-${two(month)}-${two(day)}`;
  if (h === undefined) return date;
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (hour > 23 || minute > 59 || second > 59) fail(w, `'${text}' is not a valid time`);
  let out = `${date}T${two(hour)}:${two(minute)}:${two(second)}`;
  if (fraction) {
    const micro = Number(fraction.slice(0, 6).padEnd(6, "0"));
    if (micro) out += `.${String(micro).padStart(6, "0")}`;
  }
  if (tzSign) {
    const offset = Number(tzHour) * 60 + Number(tzMinute ?? 0);
    if (offset >= 24 * 60) fail(w, `'${text}' has a time zone offset of 24 hours or more`);
    out += offset === 0 ? "+00:00" : `${tzSign}${two(Math.floor(offset / 60))}:${two(offset % 60)}`;
  } else if (tz) out += "+00:00";
  return out;
}
