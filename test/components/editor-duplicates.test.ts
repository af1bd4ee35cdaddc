/**
 * One problem, shown once (components/editor/duplicates.ts): monaco-yaml's markers give way to the server's on
 * the same line. The rule is checked on its own, and against the real thing: monaco-yaml's language service
 * (its bundled worker, run here in Node) and the server's lint, on broken documents of every rule both report.
 */
import assert from "node:assert/strict";
import { register } from "node:module";
import { describe, test } from "node:test";
import { withoutServerDuplicates } from "../../components/editor/duplicates";
import { formatDiagnostic, loadSite, siteJsonSchema } from "../../server/inventory";

const at = (line: number, message = "") => ({ startLineNumber: line, message });

describe("withoutServerDuplicates", () => {
  test("drops monaco-yaml markers on a line where a server marker starts, keeps the rest", () => {
    const yaml = [at(3, "Property xmembers is not allowed."), at(5, "Incorrect type."), at(9, "Missing property \"name\".")];
    const server = [at(3, "unknown field 'xmembers' (did you mean 'members'?)"), at(9, "missing required field 'name'")];
    assert.deepEqual(withoutServerDuplicates(yaml, server), [at(5, "Incorrect type.")]);
  });

  test("every monaco-yaml marker on a server marker's line goes, whatever its column", () => {
    const yaml = [at(6), at(6), at(6)];
    assert.deepEqual(withoutServerDuplicates(yaml, [at(6)]), []);
  });

  test("nothing from the server (yet): monaco-yaml's markers all stay", () => {
    const yaml = [at(1), at(2)];
    assert.deepEqual(withoutServerDuplicates(yaml, []), yaml);
    assert.deepEqual(withoutServerDuplicates([], [at(1)]), []);
  });

  test("a server marker spanning lines only covers the line it starts on", () => {
    assert.deepEqual(withoutServerDuplicates([at(4), at(5)], [{ startLineNumber: 4 }]), [at(5)]);
  });
});

// monaco-yaml's worker starts itself through monaco-worker-manager (a web worker entry); here its factory is
// taken instead and called with the files as the worker's mirror models.
register(
  "data:text/javascript," +
    encodeURIComponent(`export async function resolve(specifier, context, next) {
      if (specifier === "monaco-worker-manager/worker") {
        return { shortCircuit: true, url: "data:text/javascript," + encodeURIComponent("export function initialize(fn) { globalThis.__monacoYamlWorker = fn; }") };
      }
      return next(specifier, context);
    }`),
);

interface LsDiagnostic {
  range: { start: { line: number; character: number } };
  message: string;
  source?: string;
}
interface YamlWorker {
  doValidation(uri: string): Promise<LsDiagnostic[]>;
}

let started: Promise<(text: string) => Promise<LsDiagnostic[]>> | undefined;
const monacoYaml = () => (started ??= startMonacoYaml());

async function startMonacoYaml(): Promise<(text: string) => Promise<LsDiagnostic[]>> {
  await import("monaco-yaml/yaml.worker.js");
  const factory = (globalThis as { __monacoYamlWorker?: (ctx: unknown, createData: unknown) => YamlWorker }).__monacoYamlWorker;
  assert.ok(factory, "monaco-yaml's worker did not register its factory");
  let text = "";
  let version = 0;
  const uri = "file:///site/doc.yml";
  // The options components/editor/monaco.ts gives it.
  const worker = factory(
    { getMirrorModels: () => [{ uri, version, getValue: () => text }] },
    {
      enableSchemaRequest: false,
      hover: true,
      completion: true,
      validate: true,
      format: { enable: true },
      schemas: [{ uri: "inmemory://flightdeck/site.schema.json", fileMatch: ["*.yml", "*.yaml", "**/*.yml", "**/*.yaml"], schema: siteJsonSchema() }],
    },
  );
  return async (next) => {
    text = next;
    version++;
    return worker.doValidation(uri);
  };
}

const inventory = (body: string) => `kind: inventory\napi_version: v1beta1\nspec:\n${body}`;
const host = (connection: string) => inventory(`  hosts:\n    - name: a\n      connection:\n        ${connection}\n`);
const blueprint = (step: string) => `kind: blueprint\napi_version: v1beta1\nspec:\n  name: b\n  steps:\n    - name: s\n${step}`;

/** A broken document for each rule that monaco-yaml's schema validation and the server's lint both report. */
const BOTH_REPORT: Record<string, string> = {
  "unknown property": inventory("  groups:\n    - name: g\n      xmembers: [a]\n"),
  "unknown properties in a flow map": inventory("  hosts:\n    - {name: a, xdata: {}, foo: 1}\n"),
  "unknown step parameter": blueprint("      action: cmd.run\n      params: {cmd: x, cwdd: /}\n"),
  "wrong type": host("port: abc"),
  "wrong type (a Unicode space makes a string)": host("port: 22\u00a0"),
  "an integer expected": host("port: 22.5"),
  "a list expected": inventory("  groups:\n    - name: g\n      members: a\n"),
  "a list expected, a map given": inventory("  hosts:\n    name: a\n"),
  "a map expected, null given": "kind: inventory\napi_version: v1beta1\nspec:\n",
  "a document that is not a map": "- a\n- b\n",
  "over the maximum": host("port: 70000"),
  "under the minimum": blueprint("      action: cmd.run\n      params: {cmd: x}\n      retry: {limit: -1}\n"),
  "enum value": host("transport: telnet"),
  "enum value (YAML 1.1 boolean)": host("host_key_checking: yes"),
  "const value": "kind: inventory\napi_version: v1\nspec: {}\n",
  "step action (a discriminator)": blueprint("      action: cmd.runn\n      params: {cmd: x}\n"),
  "missing required property": inventory("  hosts:\n    - connection:\n        port: 22\n"),
  "missing required property in an envelope": "kind: inventory\napi_version: v1beta1\n",
  "missing kind": "api_version: v1beta1\nspec: {}\n",
  "missing step action": blueprint("      params: {cmd: x}\n"),
  "missing step params": blueprint("      action: cmd.run\n"),
  "pattern": inventory("  hosts:\n    - name: -bad_Name!\n"),
  "pattern of a key": inventory("  hosts:\n    - name: a\n      labels: {'a b': c}\n"),
  "minimum length": host("user: ''"),
  "too few items": "kind: blueprint\napi_version: v1beta1\nspec:\n  name: b\n  steps: []\n",
  "duplicate key": inventory("  hosts:\n    - name: a\n      name: b\n"),
  "bad indentation, with schema noise from the recovered tree": inventory("  hosts:\n    - name: a\n     data: x\n"),
  "unclosed quote": inventory("  hosts:\n    - name: 'a\n"),
  "tab indentation": inventory("  hosts:\n\t- name: a\n"),
  "unquoted removal (a tag)": inventory("  hosts:\n    - name: a\n      data: {!ntp: ~}\n"),
};

describe("monaco-yaml and the server's lint on the same broken documents", () => {
  test("every monaco-yaml problem is on a line the server reports, so the server's message is the one shown", async () => {
    const validate = await monacoYaml();
    for (const [rule, text] of Object.entries(BOTH_REPORT)) {
      const yaml = await validate(text);
      const server = loadSite([{ path: "doc.yml", content: text }]).diagnostics;
      assert.ok(yaml.length > 0, `${rule}: monaco-yaml reports nothing, so this case shows no overlap`);
      assert.ok(server.length > 0, `${rule}: the server reports nothing`);
      const kept = withoutServerDuplicates(
        yaml.map((d) => ({ startLineNumber: d.range.start.line + 1, text: `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}` })),
        server.map((d) => ({ startLineNumber: d.line })),
      );
      assert.deepEqual(kept.map((k) => k.text), [], `${rule}: monaco-yaml problems left next to the server's:\n${server.map(formatDiagnostic).join("\n")}`);
    }
  });

  test("the server's messages are the better ones: they name the field and what would be right", async () => {
    const validate = await monacoYaml();
    const text = BOTH_REPORT["unknown property"]!;
    assert.deepEqual((await validate(text)).map((d) => d.message), ["Property xmembers is not allowed."]);
    assert.match(formatDiagnostic(loadSite([{ path: "doc.yml", content: text }]).diagnostics[0]!), /^doc\.yml:6:7: error: unknown field 'xmembers' \(did you mean 'members'\?\)/);
  });
});
