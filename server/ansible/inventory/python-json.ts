/**
 * Python's `json.loads` as Ansible's loader calls it before trying YAML (any vars file, whatever its extension):
 * strict strings, exact integers, NaN/Infinity, the last of duplicate keys (in the first one's place), and
 * AnsibleJSONDecoder's object hook (`{"__ansible_vault": ...}` is a vaulted value, `{"__ansible_unsafe": x}` is
 * x). Returns undefined when the text is not JSON (the caller then reads it as YAML).
 */
import { fail, type Where } from "./errors";
import { floatValue, intValue, Secret, setKey, valueWhere, type Value, type VarMap } from "./values";

const NOT_JSON = new Error("not JSON");

export function loadPythonJson(text: string, file: string): Value | undefined {
  if (text.startsWith("\ufeff")) return undefined; // "Unexpected UTF-8 BOM"
  const p = new JsonParser(text, file);
  try {
    p.ws();
    const v = p.value();
    p.ws();
    if (p.i !== text.length) return undefined; // "Extra data"
    return v;
  } catch (e) {
    if (e === NOT_JSON) return undefined;
    throw e;
  }
}

class JsonParser {
  i = 0;
  private lineStarts?: number[];
  constructor(
    private readonly s: string,
    private readonly file: string,
  ) {}

  where(at: number): Where {
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let k = 0; k < this.s.length; k++) if (this.s[k] === "\n") this.lineStarts.push(k + 1);
    }
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, col: at - this.lineStarts[lo]! + 1 };
  }

  ws() {
    while (this.i < this.s.length && " \t\n\r".includes(this.s[this.i]!)) this.i++;
  }

  value(): Value {
    const c = this.s[this.i];
    const start = this.i;
    if (c === "{") return this.object();
    if (c === "[") {
      this.i++;
      const list: Value[] = [];
      this.ws();
      if (this.s[this.i] === "]") {
        this.i++;
      } else {
        for (;;) {
          this.ws();
          list.push(this.value());
          this.ws();
          if (this.s[this.i] === ",") this.i++;
          else if (this.s[this.i] === "]") {
            this.i++;
            break;
          } else throw NOT_JSON;
        }
      }
      valueWhere.set(list, this.where(start));
      return list;
    }
    if (c === '"') return this.string();
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    for (const word of ["NaN", "Infinity", "-Infinity"]) {
      if (this.s.startsWith(word, this.i)) return floatValue(word === "NaN" ? NaN : word === "Infinity" ? Infinity : -Infinity, this.where(start));
    }
    const m = /^(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) throw NOT_JSON;
    this.i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) return intValue(BigInt(m[1]!), this.where(start));
    return floatValue(Number(m[0]), this.where(start));
  }

  private object(): Value {
    const start = this.i;
    this.i++;
    const map: VarMap = {};
    this.ws();
    if (this.s[this.i] === "}") this.i++;
    else {
      for (;;) {
        this.ws();
        if (this.s[this.i] !== '"') throw NOT_JSON;
        const key = this.string();
        this.ws();
        if (this.s[this.i] !== ":") throw NOT_JSON;
        this.i++;
        this.ws();
        setKey(map, key, this.value());
        this.ws();
        if (this.s[this.i] === ",") this.i++;
        else if (this.s[this.i] === "}") {
          this.i++;
          break;
        } else throw NOT_JSON;
      }
    }
    // AnsibleJSONDecoder.object_hook: the first special key (in key order) decides.
    for (const key of Object.keys(map)) {
      if (key === "__ansible_vault") {
        const text = map[key];
        if (typeof text !== "string") fail(this.where(start), "__ansible_vault must hold vault text");
        return new Secret(this.where(start), text);
      }
      if (key === "__ansible_unsafe") return map[key]!;
    }
    valueWhere.set(map, this.where(start));
    return map;
  }

  private string(): string {
    this.i++;
    let out = "";
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) throw NOT_JSON;
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c.charCodeAt(0) < 0x20) throw NOT_JSON; // strict: no control characters
      if (c !== "\\") {
        out += c;
        this.i++;
        continue;
      }
      const e = this.s[this.i + 1];
      const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (e !== undefined && e in simple) {
        out += simple[e];
        this.i += 2;
      } else if (e === "u") {
        const hex = this.s.slice(this.i + 2, this.i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw NOT_JSON;
        out += String.fromCharCode(parseInt(hex, 16)); // surrogate pairs join as UTF-16 does
        this.i += 6;
      } else throw NOT_JSON;
    }
  }
}
