/** Tests for `x is name` / `x is not name`. `defined` and `undefined` are the ones that accept a missing path. */
import { Problem } from "./errors";
import { type Args, type Signature } from "./signature";
import { UNDEFINED, describeKind, equals, isMap, ownValue } from "./values";

export interface TestDef extends Signature {
  acceptsUndefined?: boolean;
  apply(value: unknown, args: Args): boolean;
}

function integer(v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new Problem(`expected an integer, got ${describeKind(v)}`);
  return v;
}

/** lt, le, gt, ge: numbers with numbers, strings with strings. */
function ordering(op: "<" | "<=" | ">" | ">="): TestDef {
  return {
    params: [{ name: "other" }],
    apply: (v, a) => {
      const other = a.any("other");
      const ok = (typeof v === "number" && typeof other === "number") || (typeof v === "string" && typeof other === "string");
      if (!ok) throw new Problem(`cannot compare ${describeKind(v)} and ${describeKind(other)} with '${op}'`);
      return op === "<" ? v < other : op === "<=" ? v <= other : op === ">" ? v > other : v >= other;
    },
  };
}

/** `x in container`, shared with the `in` operator. */
export function contains(container: unknown, x: unknown): boolean {
  if (typeof container === "string") {
    if (typeof x !== "string") throw new Problem(`'in' a string needs a string on the left, got ${describeKind(x)}`);
    return container.includes(x);
  }
  if (Array.isArray(container)) return container.some((item) => equals(item, x));
  if (isMap(container)) {
    if (typeof x !== "string" && typeof x !== "number") throw new Problem(`'in' a map needs a string key on the left, got ${describeKind(x)}`);
    return ownValue(container, String(x)) !== UNDEFINED;
  }
  throw new Problem(`'in' needs a string, list or map on the right, got ${describeKind(container)}`);
}

const one = [{ name: "other" }];

const TABLE: Record<string, TestDef> = {
  defined: { params: [], acceptsUndefined: true, apply: (v) => v !== UNDEFINED },
  undefined: { params: [], acceptsUndefined: true, apply: (v) => v === UNDEFINED },
  none: { params: [], apply: (v) => v === null },
  boolean: { params: [], apply: (v) => typeof v === "boolean" },
  true: { params: [], apply: (v) => v === true },
  false: { params: [], apply: (v) => v === false },
  string: { params: [], apply: (v) => typeof v === "string" },
  number: { params: [], apply: (v) => typeof v === "number" },
  integer: { params: [], apply: (v) => typeof v === "number" && Number.isInteger(v) },
  float: { params: [], apply: (v) => typeof v === "number" && !Number.isInteger(v) },
  list: { params: [], apply: (v) => Array.isArray(v) },
  mapping: { params: [], apply: (v) => isMap(v) },
  odd: { params: [], apply: (v) => Math.abs(integer(v)) % 2 === 1 },
  even: { params: [], apply: (v) => integer(v) % 2 === 0 },
  divisibleby: {
    params: [{ name: "num" }],
    apply: (v, a) => {
      const n = a.integer("num");
      if (n === 0) throw new Problem("division by zero");
      return integer(v) % n === 0;
    },
  },
  eq: { params: one, apply: (v, a) => equals(v, a.any("other")) },
  ne: { params: one, apply: (v, a) => !equals(v, a.any("other")) },
  lt: ordering("<"),
  le: ordering("<="),
  gt: ordering(">"),
  ge: ordering(">="),
  in: { params: [{ name: "seq" }], apply: (v, a) => contains(a.any("seq"), v) },
  startswith: { params: [{ name: "prefix" }], apply: (v, a) => typeof v === "string" && v.startsWith(a.string("prefix")) },
  endswith: { params: [{ name: "suffix" }], apply: (v, a) => typeof v === "string" && v.endsWith(a.string("suffix")) },
};

/** Every test by name, with Jinja's aliases. */
export const TESTS: ReadonlyMap<string, TestDef> = new Map<string, TestDef>([
  ...Object.entries(TABLE),
  ["equalto", TABLE.eq!],
  ["lessthan", TABLE.lt!],
  ["greaterthan", TABLE.gt!],
]);
