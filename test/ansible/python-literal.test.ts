/** Our literal_eval against Python's own, on the values an INI inventory can hold (tricky ones on purpose). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { literalEval, pyFloatRepr, UnhashableError, UnsupportedLiteralError, type PyValue } from "../../server/ansible/inventory/python-literal";

const CASES = [
  // numbers
  "0", "00", "0_0", "007", "012", "1_000", "1__0", "1_", "0x1F", "0X_1f", "0x", "0o17", "0O_7", "0o8", "0b101", "0b2", "-0x10", "+1.5", "--1", "+-1", "-(1)", "-(1,)",
  "1.", ".5", "1.5e3", "1e5", "1E+3", "1e-400", "1e400", "-1e400", "1_0.0_1", "1_.0", "1._0", "1e_5", "1e1_0", "00.5", "0e0", "1..2", "1.5.3", "12345678901234567890",
  "9007199254740993", "1a", "0x1g", "1e", "1j", "1.5j", "1+2j", "-1-2j", "2j+1", "1+2", "1 -1", "True+1j", "(1+2j)", "1jx", "-0.0", "3.14159", "1e16", "1e-5",
  // constants and names
  "True", "False", "None", "true", "none", "...", "hello", "hello world", "not True", "-True", "set()", "set( )", "set(1)", "x.y", "a[0]", "f(1)", "lambda: 1", "1 if 1 else 2",
  // strings
  "'a'", '"a"', "'a' 'b'", "'a''b'", "'a' b'b'", "b'ab'", "B'ab'", "rb'\\x41'", "Br'\\n'", "r'\\n'", "R'a\\'b'", "u'x'", "U'x'", "ur'x'", "f'x'", "F'{1}'", "'a' f'b'", "'''a'''", '"""a"b"""', "''''",
  "'\\n\\t\\\\\\'\\\"'", "'\\a\\b\\f\\v\\r'", "'\\x41\\101\\u00e9\\U0001F600'", "'\\x4'", "'\\u12'", "'\\U00110000'", "'\\d\\w'", "'\\777'", "b'\\777'", "b'\\u0041'", "b'é'", "'é ✓'",
  "'unterminated", "'a' # comment", "  'x'", "\t'x'", "'a'  ", "'#not a comment'", "r'\\'", "'\\\\'",
  // containers
  "[]", "[1, 2]", "[1, 2,]", "[,]", "[1,,2]", "()", "(1)", "(1,)", "(1, 2)", "1, 2", "1,", ",", "{}", "{1: 2}", "{'a': 1, 'b': [1, {'c': None}]}", "{'a': 1, 'a': 2}",
  "{1: 'a', True: 'b'}", "{1.0: 'a', 1: 'b'}", "{1, 2}", "{1, True, 1.0}", "{[1]: 2}", "{(1, [2]): 3}", "{(1, 2): 3}", "{'a': x, [1]: 2}", "{[1]: 2, 'a': x}", "{1, [2]}",
  "{1: 2,}", "{1: 2, 3}", "{**a}", "[1, foo]", "[1][0]", "{'a': 1}['a']", "[[[]]]", "{'k': (1, 'x', b'y')}",
];

/** Python's answer for each case, tagged so floats, bytes and sets compare exactly. */
function python(cases: string[]): unknown[] {
  const script = `
import ast, json, sys
def tag(v):
    if isinstance(v, bool): return ["bool", v]
    if v is None: return ["none"]
    if v is Ellipsis: return ["ellipsis"]
    if isinstance(v, int): return ["int", str(v)]
    if isinstance(v, float): return ["float", repr(v)]
    if isinstance(v, complex): return ["complex", repr(v.real), repr(v.imag)]
    if isinstance(v, str): return ["str", v]
    if isinstance(v, bytes): return ["bytes", v.hex()]
    if isinstance(v, tuple): return ["tuple"] + [tag(x) for x in v]
    if isinstance(v, list): return ["list"] + [tag(x) for x in v]
    if isinstance(v, (set, frozenset)): return ["set"] + sorted((tag(x) for x in v), key=json.dumps)
    if isinstance(v, dict): return ["dict"] + [[tag(k), tag(x)] for k, x in v.items()]
    return ["?", repr(v)]
out = []
for s in json.load(sys.stdin):
    try: out.append(tag(ast.literal_eval(s)))
    except (ValueError, SyntaxError): out.append("NOT")
    except TypeError: out.append("TYPE")
json.dump(out, sys.stdout)
`;
  const r = spawnSync("/usr/bin/python3", ["-W", "ignore", "-c", script], { input: JSON.stringify(cases), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as unknown[];
}

function tag(v: PyValue): unknown {
  switch (v.t) {
    case "bool":
      return ["bool", v.v];
    case "none":
      return ["none"];
    case "ellipsis":
      return ["ellipsis"];
    case "int":
      return ["int", v.v.toString()];
    case "float":
      return ["float", floatRepr(v.v)];
    case "complex":
      return ["complex", floatRepr(v.re), floatRepr(v.im)];
    case "str":
      return ["str", v.v];
    case "bytes":
      return ["bytes", v.v.toString("hex")];
    case "tuple":
    case "list":
      return [v.t, ...v.items.map(tag)];
    case "set":
      return ["set", ...v.items.map(tag).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))];
    case "dict":
      return ["dict", ...v.entries.map(([k, x]) => [tag(k), tag(x)])];
  }
}

function floatRepr(v: number): string {
  const r = pyFloatRepr(v);
  return r === "Infinity" ? "inf" : r === "-Infinity" ? "-inf" : r === "NaN" ? "nan" : r;
}

function ours(s: string): unknown {
  try {
    const v = literalEval(s);
    return v === undefined ? "NOT" : tag(v);
  } catch (e) {
    if (e instanceof UnhashableError) return "TYPE";
    throw e;
  }
}

test("literal_eval matches Python's on every case", () => {
  const expected = python(CASES);
  CASES.forEach((s, i) => assert.deepEqual(ours(s), expected[i], `literal_eval(${JSON.stringify(s)})`));
});

test("\\N{NAME} escapes are refused, not guessed", () => {
  assert.throws(() => literalEval("'\\N{BULLET}'"), UnsupportedLiteralError);
  assert.equal(literalEval("r'\\N{BULLET}'")?.t, "str");
});

test("float reprs are Python's", () => {
  const values = [1, 1.5, 0.1, 1e16, 1e15, 123456789012345680000, 1e-5, 0.0001, 2.5e-300, 1 / 3, 5e-324, 1.7976931348623157e308];
  const r = spawnSync("/usr/bin/python3", ["-c", "import json,sys; print(json.dumps([repr(float(x)) for x in json.load(sys.stdin)]))"], { input: JSON.stringify(values.map(String)), encoding: "utf8" });
  assert.deepEqual(values.map(pyFloatRepr), JSON.parse(r.stdout));
});
