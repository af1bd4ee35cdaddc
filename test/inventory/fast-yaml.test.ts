/**
 * The fast YAML path must give exactly what `yaml` gives, or step aside: for every input here, either
 * `fastParseYaml` returns undefined, or `yaml` parses the text without errors or warnings to the same values.
 * It must also actually take the plain files sites are made of, or it is no faster.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { generateSite } from "../../bench/generate-site";
import { readSiteDir } from "../../server/inventory";
import { fastParseYaml } from "../../server/inventory/fast-yaml";
import { parseSite } from "../../server/inventory/source";

/**
 * Characters JavaScript counts as white space (String.prototype.trim, `\s`) but YAML does not: its white space is
 * only space and tab, its line breaks LF and CR. YAML keeps these in a plain scalar; some are also characters
 * `yaml` reports or that only it reads (U+0085, U+2028/2029, U+FEFF), which the fast path must decline.
 */
const UNICODE_SPACES = [
  "\u00a0", "\u1680", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007",
  "\u2008", "\u2009", "\u200a", "\u202f", "\u205f", "\u3000", "\ufeff", "\u2028", "\u2029", "\u0085", "\u000b", "\u000c",
];

const DEMO = readSiteDir(fileURLToPath(new URL("../../examples/ha-kvm", import.meta.url)));

function reference(text: string): { clean: boolean; values: unknown[] } {
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const clean = list.every((d) => d.errors.length === 0 && d.warnings.length === 0);
  return { clean, values: clean ? list.map((d) => d.toJS({ maxAliasCount: 1000 }) as unknown) : [] };
}

/** The property: the fast path agrees with `yaml` or declines. Returns whether it took the text. */
function agrees(text: string): boolean {
  const fast = fastParseYaml(text);
  if (fast === undefined) return false;
  const ref = reference(text);
  assert.ok(ref.clean, `the fast path accepted text that yaml reports problems for:\n${text}`);
  assert.deepStrictEqual(fast, ref.values, `values differ for:\n${text}`);
  return true;
}

function takes(text: string) {
  assert.ok(agrees(text), `the fast path should take:\n${text}`);
}

describe("what sites are made of goes the fast way, with yaml's values", () => {
  test("the demo site's inventories and profiles (blueprints use block scalars: yaml reads those)", () => {
    const data = DEMO.filter((f) => !/blueprints|deployment/.test(f.path));
    assert.ok(data.length >= 3);
    for (const file of data) takes(file.content);
  });

  test("generated sites", () => {
    for (const file of generateSite({ hosts: 300, groups: 30, profiles: 12, hostFiles: 2 })) takes(file.content);
  });

  const plain: Record<string, string> = {
    "empty": "",
    "comments only": "# a\n  # b\n\n",
    "nested block maps": "a:\n  b:\n    c: 1\n  d: x\n",
    "a list at its key's column": "spec:\n  hosts:\n  - name: a\n    data: {x: 1}\n  - name: b\n",
    "an indented list": "a:\n    - 1\n    - two\n",
    "compact maps with extra spaces": "-   name: a\n    v: 1\n-  name: b\n",
    "a list at the column of a key in a list item": "- a:\n  - x\n  - y\n  b: 2\n",
    "empty values": "a:\nb: ~\nc: null\nd:\n  -\n  - x\n",
    "flow collections": "a: [1, two, 3.5, {b: c, d: [e, f]}]\nb: {}\nc: []\nd: [ ]\ne: { }\nf: [a b , c]\n",
    "block list of flow maps": "- {name: a, members: [h1, h2]}\n- [x, y]\n",
    "quoted scalars and keys": `a: 'it''s'\nb: "q \\" \\\\ \\n \\t \\u00e9 \\x41 \\U0001F600 \\/"\n"!ntp": ~\n'c d': e\n"x:y": 1\n`,
    "comments after values": "a: b # c\nd: [1, 2] # e\nf: 'g' # h\n# i\n",
    "plain scalars with colons and hashes": "a: http://x:80/p\nb: b#c\nc: 10.0.0.1:22\nd: [http://x, 10.0.0.1:22]\ne: x:y:z\n",
    "plain scalars with flow characters inside": "cmd: apt-get install -y {{ vars.packages | join(' ') }}\nb: a, b [c]\n",
    "scalar types": "i: 12\nn: -3\np: +4\nz: -0\no: 0o17\nh: 0x1F\nf: 1.50\ng: .5\ne: 1e3\nE: -2.5E-3\ninf: .inf\nninf: -.Inf\nnan: .NaN\nt: true\nT: True\nF: FALSE\nu: ~\nN: NULL\ny: yes\noff: off\nd: 2024-01-01\nt2: 12:30\nb: 0b101\nl: 007\nm: 08\nu2: 1_000\ndot: 1.\n",
    "keys that are Object members": "toString: 1\n__proto__: {a: 1}\nconstructor: x\nhasOwnProperty: [1]\n",
    "dotted and spaced keys": "vm.swappiness: 10\nnet.ipv4.ip_forward: 1\nHA mode: on\nkeys/deploy: x\n",
    "several documents": "a: 1\n---\n---\n# c\n---  # marker comment\nb: 2\n---\n",
    "a leading marker": "# head\n---\na: 1\n",
    "root scalars and lists": "hello world\n---\n- a\n- b\n---\n42\n",
    "trailing spaces": "a: b   \nc:   \n  - d  \n",
    "unicode": "name: café\nemoji: 🚀\n",
    // JavaScript's trim() would drop these; YAML keeps them, so `true<NBSP>` is a string, not a boolean.
    "Unicode spaces ending plain scalars": "enabled: true\u00a0\nport: 22\u00a0\nname: a\u3000 # c\nb: \u2000\nk\u00a0: 1\n",
    "Unicode spaces in flow collections": "a: [x\u00a0, \u2009y, 1\u200a]\nb: {c: true\u00a0, d: 0x1F\u3000}\n",
    "Unicode spaces before a would-be comment": "a: b\u00a0#c\n",
    "a key of 1024 characters": `${"k".repeat(1024)}: 1\n'${"q".repeat(1022)}': 2\n`,
  };
  for (const [name, text] of Object.entries(plain)) test(name, () => takes(text));
});

describe("anything else is left to yaml", () => {
  const others: Record<string, string> = {
    "anchors and aliases": "a: &x 1\nb: *x\n",
    "tags": "a: !!str 1\nb: !custom x\n",
    "an unquoted removal (a tag)": "a: {!ntp: ~}\n",
    "block scalars": "a: |\n  x\n  y\nb: >\n  z\n",
    "multi-line plain scalars": "a: one\n  two\n",
    "multi-line quoted scalars": 'a: "one\n  two"\n',
    "multi-line flow collections": "a: [1,\n  2]\n",
    "complex keys": "? a\n: b\n",
    "merge keys": "a: {x: 1}\nb:\n  <<: {y: 2}\n",
    "directives": "%YAML 1.2\n---\na: 1\n",
    "document end markers": "a: 1\n...\n",
    "content on a marker line": "--- a: 1\n",
    "tabs": "a:\n\tb: 1\n",
    "CRLF": "a: 1\r\nb: 2\r\n",
    "a byte order mark": "\ufeffa: 1\n",
    "duplicate keys": "a: 1\na: 2\n",
    "duplicate flow keys": "a: {b: 1, b: 2}\n",
    "duplicate keys, quoted and plain": "a: 1\n'a': 2\n",
    "non-string keys": "1: a\ntrue: b\n~: c\n[a]: d\n",
    "trailing commas": "a: [1, 2,]\nb: {c: 1,}\n",
    "flow pairs": "a: [b: 1]\n",
    "empty flow values": "a: {b: , c: 1}\nd: {e}\n",
    "adjacent JSON values": 'a: {"b":1}\n',
    "nested lists on one line": "- - a\n  - b\n",
    "a map after a scalar": "a: b: c\n",
    "a bad escape": 'a: "\\q"\n',
    "a list item after a map at its column": "a: 1\n- b\n",
    "over-indented entries": "a: 1\n  b: 2\n",
    "an unclosed quote": "a: 'b\n",
    "comment without a space": "a: 'b'#c\n",
    "reserved indicators": "a: @b\nc: `d`\n",
    "a lone dash value": "a: -\n",
    "a Unicode space after a document marker": "---\u00a0\na: 1\n--- \u3000\nb: 2\n",
    "a key over 1024 characters": `${"k".repeat(1025)}: 1\n`,
    "a quoted key over 1024 characters": `'${"q".repeat(1023)}': 1\n`,
    "a key over 1024 characters in a list item": `- ${"k".repeat(1025)}: 1\n`,
    "a key over 1024 characters in a flow map": `a: {${"k".repeat(1025)}: 1}\n`,
  };
  for (const [name, text] of Object.entries(others)) {
    test(name, () => {
      agrees(text);
    });
  }

  test("the cases the fast path declines really are outside its subset", () => {
    // Not a requirement of correctness, but of speed: these are declined, not parsed differently.
    for (const name of [
      "anchors and aliases", "tags", "block scalars", "multi-line plain scalars", "duplicate keys", "tabs", "CRLF",
      "a Unicode space after a document marker", "a key over 1024 characters", "a quoted key over 1024 characters",
      "a key over 1024 characters in a list item",
    ]) {
      assert.equal(fastParseYaml(others[name]!), undefined, name);
    }
  });
});

/** mulberry32: the same cases every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("what the fast path declines is reported by yaml, located", () => {
  test("a key over 1024 characters: yaml's own error at the key", () => {
    const content = `a: 1\n${"k".repeat(1025)}: 2\n`;
    assert.equal(fastParseYaml(content), undefined);
    const { diagnostics } = parseSite([{ path: "hosts.yaml", content }]);
    assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
    const [d] = diagnostics;
    assert.equal(d!.severity, "error");
    assert.equal(d!.line, 2);
    assert.equal(d!.col, 1);
    assert.match(d!.message, /1024 chars/);
  });
});

describe("random damage: the fast path agrees with yaml or declines", () => {
  const corpus = [...DEMO.map((f) => f.content), ...generateSite({ hosts: 12, groups: 8, profiles: 6, hostFiles: 1 }).map((f) => f.content)];
  const noise = [
    ":", ": ", "-", "- ", " ", "  ", "\n", "\n  ", "[", "]", "{", "}", ",", "'", '"', "#", " #", "&a ", "*a", "!", "~",
    "---\n", "?", "0x1", "1e3", ".inf", "true", "null", "\\", "|",
    ...UNICODE_SPACES, ...UNICODE_SPACES.map((u) => `${u} `), ...UNICODE_SPACES.map((u) => ` ${u}`),
    // Keys just under and over YAML's 1024-character limit, wherever they land.
    "k".repeat(1020), "k".repeat(1030), `${"k".repeat(1024)}: `, `\n${"k".repeat(1025)}: x\n`,
  ];

  test("deleted, inserted, swapped and re-indented characters and lines", () => {
    const next = random(42);
    let taken = 0;
    for (let i = 0; i < 1500; i++) {
      let text = corpus[Math.floor(next() * corpus.length)]!;
      for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
        const at = Math.floor(next() * text.length);
        const kind = Math.floor(next() * 5);
        if (kind === 0) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 6));
        else if (kind === 1) text = text.slice(0, at) + noise[Math.floor(next() * noise.length)]! + text.slice(at);
        else {
          const lines = text.split("\n");
          const a = Math.floor(next() * lines.length);
          const b = Math.floor(next() * lines.length);
          if (kind === 2) [lines[a], lines[b]] = [lines[b]!, lines[a]!];
          else if (kind === 3) lines.splice(a, 0, lines[b]!);
          else lines[a] = (next() < 0.5 ? " " : "") + lines[a]!.replace(/^ /, next() < 0.5 ? "" : " ");
          text = lines.join("\n");
        }
      }
      if (agrees(text)) taken++;
    }
    // Many damaged files are still plain YAML: the property was tested on both branches.
    assert.ok(taken > 200, `only ${taken} damaged files took the fast path`);
  });

  test("Unicode spaces and long keys where values and keys end", () => {
    // Random insertion rarely lands just before a line end, a comma or a colon, where trimming would matter.
    const next = random(7);
    let taken = 0;
    for (let i = 0; i < 1500; i++) {
      let text = corpus[Math.floor(next() * corpus.length)]!;
      const ends = [...text.matchAll(/(?= ?(?:\n|,|\]|\}|: | #))/g)].map((m) => m.index);
      for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
        const at = ends[Math.floor(next() * ends.length)] ?? 0;
        const insert = next() < 0.9
          ? UNICODE_SPACES[Math.floor(next() * UNICODE_SPACES.length)]!.repeat(1 + Math.floor(next() * 2))
          : "k".repeat(1015 + Math.floor(next() * 20));
        text = text.slice(0, at) + insert + text.slice(at);
      }
      if (agrees(text)) taken++;
    }
    assert.ok(taken > 200, `only ${taken} files with Unicode spaces took the fast path`);
  });

  test("every truncation of a demo file", () => {
    for (const file of DEMO) for (let cut = 0; cut <= file.content.length; cut += 3) agrees(file.content.slice(0, cut));
  });
});
