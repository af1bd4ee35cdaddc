/** Loading never throws on bad input: hostile documents and random damage to the demo site give diagnostics. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { formatDiagnostic, hasErrors, loadSite, readSiteDir, type SiteFile } from "../../server/inventory";
import { lint } from "./helpers";

const DEMO = fileURLToPath(new URL("../../examples/ha-kvm", import.meta.url));

/** A small seeded generator (mulberry32): the same cases on every run, so a failure can be replayed. */
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

/** Load, check every diagnostic is well formed, and resolve every host the model kept (plain and explained). */
function loadsCleanly(files: SiteFile[], label: string): number {
  let site;
  try {
    site = loadSite(files);
    for (const name of site.model.hosts.keys()) {
      site.resolver.resolve(name);
      site.resolver.resolve(name, true);
    }
  } catch (e) {
    assert.fail(`${label}: threw ${e instanceof Error ? e.stack : String(e)}`);
  }
  const paths = new Set(files.map((f) => f.path));
  for (const d of site.diagnostics) {
    assert.ok(paths.has(d.file), `${label}: ${formatDiagnostic(d)}`);
    assert.ok(d.line >= 1 && d.col >= 1 && d.endLine >= d.line, `${label}: ${formatDiagnostic(d)}`);
    assert.ok(d.message.length > 0 && !d.message.includes("\n"), `${label}: ${formatDiagnostic(d)}`);
  }
  return site.diagnostics.length;
}

describe("hostile documents", () => {
  const cases: Record<string, string> = {
    "hosts is a map": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: {a: 1}\n",
    "groups is a string": "kind: inventory\napi_version: v1beta1\nspec:\n  groups: web\n",
    "null entries": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [~, {name: h}]\n  groups: [~, {name: g, members: [~, h]}]\n",
    "spec is a list": "kind: inventory\napi_version: v1beta1\nspec: [1]\n",
    "kind is a number": "kind: 5\napi_version: v1beta1\nspec: {}\n",
    "profile spec is a string": "kind: profile\napi_version: v1beta1\nspec: base\n",
    "profile name is a map": "kind: profile\napi_version: v1beta1\nspec: {name: {a: 1}}\n",
    "alias to nothing": "kind: inventory\napi_version: v1beta1\nspec: *nothing\n",
    "aliases and anchors": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - &h {name: h, data: &d {a: 1}}\n  - {name: i, data: *d}\n",
    "complex keys": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: h, data: {[1, 2]: x, {a: 1}: y, 3: z}}]\n",
    "deep nesting": `kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: h, data: ${"{a: ".repeat(200)}1${"}".repeat(200)}}]\n`,
    "unquoted removal is a tag": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: h, data: {!ntp: ~}}]\n",
    "binary junk": "\u0000\u0001\u0002kind: \uFFFF\n\t- [}\n",
    "a lone document marker": "---\n...\n---\n",
  };
  for (const [label, content] of Object.entries(cases)) {
    test(label, () => {
      loadsCleanly([{ path: "inv.yml", content }], label);
    });
  }

  test("aliases that expand without bound are an error, not a hang or a crash", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (const name of "bcdefgh") {
      const prev = String.fromCharCode(name.charCodeAt(0) - 1);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    const content = `kind: inventory\napi_version: v1beta1\nspec: {}\n${levels.join("\n")}\n`;
    assert.equal(loadsCleanly([{ path: "inv.yml", content }], "billion laughs"), 1);
    assert.deepEqual(lint(content), ["inv.yml:1:1: error: YAML: Excessive alias count indicates a resource exhaustion attack"]);
  });
});

describe("random damage to the demo site", () => {
  const demo = readSiteDir(DEMO);

  test("the demo site itself is clean", () => {
    assert.deepEqual(loadSite(demo).diagnostics.map(formatDiagnostic), []);
  });

  test("every truncation of every file loads without throwing", () => {
    const next = random(20240601);
    let withDiagnostics = 0;
    let cases = 0;
    for (const file of demo) {
      for (let i = 0; i < 60; i++) {
        const cut = Math.floor(next() * file.content.length);
        const damaged = demo.map((f) => (f === file ? { ...f, content: f.content.slice(0, cut) } : f));
        if (loadsCleanly(damaged, `${file.path} cut at ${cut}`)) withDiagnostics++;
        cases++;
      }
    }
    // Most cuts break a reference or a document; a few land on a clean boundary.
    assert.ok(withDiagnostics > cases / 2, `${withDiagnostics} of ${cases} truncations gave diagnostics`);
  });

  test("random edits (deleted, inserted and swapped characters and lines) load without throwing", () => {
    const next = random(7);
    const noise = [":", "-", " ", "  ", "\n", "[", "]", "{", "}", "'", '"', "#", "&a", "*a", "!", "~", "---\n", "\t", ",", "?"];
    for (let i = 0; i < 400; i++) {
      const file = demo[Math.floor(next() * demo.length)]!;
      let content = file.content;
      for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
        const at = Math.floor(next() * content.length);
        const kind = Math.floor(next() * 4);
        if (kind === 0) content = content.slice(0, at) + content.slice(at + 1 + Math.floor(next() * 8));
        else if (kind === 1) content = content.slice(0, at) + noise[Math.floor(next() * noise.length)]! + content.slice(at);
        else {
          const lines = content.split("\n");
          const a = Math.floor(next() * lines.length);
          const b = Math.floor(next() * lines.length);
          if (kind === 2) [lines[a], lines[b]] = [lines[b]!, lines[a]!];
          else lines.splice(a, 0, lines[b]!);
          content = lines.join("\n");
        }
      }
      loadsCleanly(demo.map((f) => (f === file ? { ...f, content } : f)), `edit ${i} of ${file.path}`);
    }
  });

  test("all demo documents concatenated into one file, truncated anywhere", () => {
    const joined = demo.map((f) => f.content).join("\n---\n");
    const all = loadSite([{ path: "site.yml", content: joined }]);
    assert.equal(hasErrors(all.diagnostics), false);
    assert.equal(all.model.hosts.size, 8);
    for (let cut = 0; cut < joined.length; cut += 7) loadsCleanly([{ path: "site.yml", content: joined.slice(0, cut) }], `joined cut at ${cut}`);
  });

  test("the demo files are read as written", () => {
    const inventory = readFileSync(`${DEMO}/inventory.yml`, "utf8");
    assert.equal(demo.find((f) => f.path === "inventory.yml")?.content, inventory);
  });
});
