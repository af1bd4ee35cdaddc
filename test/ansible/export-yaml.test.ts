/**
 * The export's YAML writer against Ansible's own loader (PyYAML, YAML 1.1, through ansible.parsing.yaml):
 * thousands of generated values full of what YAML 1.1 reads differently (yes/on/0777/1:20/dates, `=`, `<<`,
 * U+2028, control characters, block scalars, long keys) must load back as exactly themselves.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { UnwritableValueError, VaultValue, yamlDocument } from "../../server/ansible/export/yaml";

/** The Python that runs Ansible (the shebang of ansible-inventory). */
function ansiblePython(): string {
  const which = execFileSync("sh", ["-c", "command -v ansible-inventory"]).toString().trim();
  return /^#!\s*(\S+)/.exec(readFileSync(which, "utf8"))?.[1] ?? "python3";
}

const LOAD = `
import sys, json
from ansible.parsing.yaml.loader import AnsibleLoader
from ansible.parsing.ajson import AnsibleJSONEncoder
out = []
for text in json.load(sys.stdin):
    try:
        out.append(AnsibleLoader(text).get_single_data())
    except Exception as e:
        out.append({"__error__": str(e)})
json.dump(out, sys.stdout, cls=AnsibleJSONEncoder, preprocess_unsafe=False)
`;

function ansibleLoad(texts: string[]): unknown[] {
  return JSON.parse(execFileSync(ansiblePython(), ["-c", LOAD], { input: JSON.stringify(texts), maxBuffer: 1 << 28 }).toString()) as unknown[];
}

/** JSON with map keys sorted (Python and JavaScript order keys differently). */
function norm(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));
}

const PIECES = [
  "a", "Z", "0", "9", " ", "\n", "\t", "\r", ":", "#", "-", "?", "!", "&", "*", "'", '"', "\\", "{", "}", "[", "]", ",", "|", ">", "%", "@", "`", "~", "=", "<", ".", "+", "_", "/",
  "é", "\u2028", "\u2029", "\u0085", "\u00a0", "\ufeff", "😀", "\u0000", "\u001b", "\u007f", "yes", "No", "on", "OFF", "null", "~", "0x", "0o", "1:2", "2001-12-14", "1e3", "1.5", ".inf", "  ", "\n\n", "<<", "{{ x }}",
];
const NUMBERS = [0, -0, 1, -1, 1.5, 1e21, 1e-7, 2 ** 60, 123456789, 0.1, -3.25e-12, 1e300, Number.MAX_SAFE_INTEGER];

function generator(seed: number) {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const str = (): string => Array.from({ length: Math.floor(rnd() * 7) }, () => pick(PIECES)).join("");
  const value = (depth: number): unknown => {
    const r = rnd();
    if (depth > 3 || r < 0.45) return pick([str, () => pick(NUMBERS), () => true, () => false, () => null])();
    if (r < 0.7) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [str(), value(depth + 1)]));
  };
  return () => Object.fromEntries(Array.from({ length: 4 }, () => [str(), value(0)]));
}

describe("yamlDocument", () => {
  test("generated values load back unchanged in Ansible", () => {
    const next = generator(12345);
    const values = Array.from({ length: 1500 }, next);
    values.push({ ["k".repeat(2000)]: { nested: ["x".repeat(3000)] }, "multi\nline key": "a\n  b\n\n", lead: "\n\nx\n", spaces: "x\n   \ny" });
    const texts = values.map((v) => yamlDocument(v, ["a comment"]));
    const loaded = ansibleLoad(texts);
    const wrong = values.map((v, i) => ({ v, i })).filter(({ v, i }) => norm(v) !== norm(loaded[i]));
    assert.deepEqual(wrong.slice(0, 3).map(({ i }) => ({ text: texts[i], loaded: loaded[i] })), [], `${wrong.length} of ${values.length} differ`);
  });

  test("plain where that is safe, quoted where YAML 1.1 would read something else", () => {
    assert.equal(
      yamlDocument({ a: "web-1.example", b: "yes", c: "0777", d: "1:20", e: "2001-12-14", f: 1e21, g: 1e-7, h: "=", i: "two words", j: "a: b", k: true, l: null, m: [] }),
      'a: web-1.example\nb: "yes"\nc: "0777"\nd: "1:20"\ne: "2001-12-14"\nf: 1.0e+21\ng: 1.0e-7\nh: "="\ni: two words\nj: "a: b"\nk: true\nl: null\nm: []\n',
    );
    assert.equal(yamlDocument({ s: "one\ntwo\n" }), "s: |\n  one\n  two\n");
    assert.equal(yamlDocument({ b: 1, a: { d: 1, c: 2 } }), "a:\n  c: 2\n  d: 1\nb: 1\n", "keys sorted at every depth");
    assert.equal(yamlDocument(new Map([["b", 1], ["a", 2]]), [], { sort: false }), "b: 1\na: 2\n", "a Map keeps its order when asked");
  });

  test("a vault value is a !vault block", () => {
    assert.equal(yamlDocument({ pw: new VaultValue("$ANSIBLE_VAULT;1.1;AES256\n6162\n6364\n") }), "pw: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n  6364\n");
  });

  test("what no YAML file can hold is refused", () => {
    assert.throws(() => yamlDocument({ a: "\ud800" }), (e: unknown) => e instanceof UnwritableValueError);
  });
});
