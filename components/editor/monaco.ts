/**
 * Client-only Monaco setup: the editor is bundled (never loaded from a CDN), web workers come from the bundle,
 * and monaco-yaml is configured once per page. Import this module only from code that is loaded with
 * `dynamic(..., { ssr: false })`: it touches `self` and `Worker` at import time.
 */
import * as monaco from "monaco-editor";
import { loader } from "@monaco-editor/react";
import { configureMonacoYaml } from "monaco-yaml";
import type { MonacoYaml, MonacoYamlOptions } from "monaco-yaml";
import { withoutServerDuplicates } from "./duplicates";

self.MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    if (label === "yaml") {
      return new Worker(new URL("monaco-yaml/yaml.worker", import.meta.url), { type: "module" });
    }
    return new Worker(new URL("monaco-editor/editor/editor.worker", import.meta.url), { type: "module" });
  },
};

// Anything on the page that uses @monaco-editor/react gets this bundled copy instead of the CDN default.
loader.config({ monaco });

export { monaco };

/**
 * The options monaco-worker-manager (inside monaco-yaml) passes to `editor.createWebWorker`: the pre-0.55 form,
 * which monaco-editor 0.57 no longer understands (it expects `{ worker }`).
 */
interface LegacyWebWorkerOptions {
  label: string;
  moduleId: string;
  createData?: unknown;
  host?: Record<string, (...args: never[]) => unknown>;
  keepIdleModels?: boolean;
}

type WebWorkerOptions = monaco.editor.IInternalWebWorkerOptions | LegacyWebWorkerOptions;

function isLegacyOptions(opts: WebWorkerOptions): opts is LegacyWebWorkerOptions {
  return !("worker" in opts) && typeof (opts as Partial<LegacyWebWorkerOptions>).label === "string";
}

/**
 * STACK.md trap B. A copy of `monaco` whose `editor.createWebWorker` also accepts the legacy
 * `{ label, moduleId, createData }` form: it takes the worker from `MonacoEnvironment.getWorker(..., label)`,
 * posts "ignore" (monaco-worker-manager's worker entry waits for a first message before installing Monaco's
 * initializer) and then `createData` (which Monaco's initializer hands to the worker factory), and passes
 * `{ worker, host, keepIdleModels }` on to the real `createWebWorker`. Monaco's own "-please-ignore-" message
 * is posted after ours and dropped by the worker protocol.
 */
function withLegacyWebWorkerSupport(base: typeof monaco): typeof monaco {
  const createWebWorker = <T extends object>(opts: WebWorkerOptions): monaco.editor.MonacoWebWorker<T> => {
    if (!isLegacyOptions(opts)) return base.editor.createWebWorker<T>(opts);
    const env = self.MonacoEnvironment;
    if (!env?.getWorker) throw new Error(`MonacoEnvironment.getWorker is not set; cannot start the "${opts.label}" worker`);
    const start = (worker: Worker): Worker => {
      worker.postMessage("ignore");
      worker.postMessage(opts.createData);
      return worker;
    };
    const created = env.getWorker(opts.moduleId, opts.label);
    const worker = created instanceof Worker ? start(created) : Promise.resolve(created).then(start);
    return base.editor.createWebWorker<T>({
      worker,
      host: opts.host,
      keepIdleModels: opts.keepIdleModels,
    });
  };
  return { ...base, editor: { ...base.editor, createWebWorker } };
}

/** Marker owners: the server's lint diagnostics, and monaco-yaml's syntax and schema problems. */
export const SERVER_MARKER_OWNER = "flightdeck";
export const YAML_MARKER_OWNER = "yaml";

type TextModel = monaco.editor.ITextModel;

/** What monaco-yaml last reported for each model, before the server's duplicates were taken out (./duplicates). */
const yamlReports = new WeakMap<TextModel, monaco.editor.IMarkerData[]>();

/** How many problems monaco-yaml last reported for `model`, its duplicates included; undefined before its first check. */
export function yamlReportCount(model: TextModel): number | undefined {
  return yamlReports.get(model)?.length;
}

const reportListeners = new Set<(model: TextModel) => void>();

/**
 * Called whenever monaco-yaml has checked a model. Monaco's onDidChangeMarkers does not say so when the
 * markers shown stay the same (all of them duplicates of the server's, or none before and after).
 */
export function onYamlReport(listener: (model: TextModel) => void): { dispose(): void } {
  reportListeners.add(listener);
  return { dispose: () => reportListeners.delete(listener) };
}

function showYamlMarkers(model: TextModel): void {
  const server = monaco.editor.getModelMarkers({ resource: model.uri, owner: SERVER_MARKER_OWNER });
  monaco.editor.setModelMarkers(model, YAML_MARKER_OWNER, withoutServerDuplicates(yamlReports.get(model) ?? [], server));
}

/**
 * The server's diagnostics for `model`, as its markers; monaco-yaml's markers on the same lines give way to
 * them (in the squiggles, hovers and the Problems list alike).
 */
export function setServerMarkers(model: TextModel, markers: monaco.editor.IMarkerData[]): void {
  monaco.editor.setModelMarkers(model, SERVER_MARKER_OWNER, markers);
  if (yamlReports.has(model)) showYamlMarkers(model);
}

/**
 * A copy of `monaco` for monaco-yaml whose `editor.setModelMarkers` keeps monaco-yaml's report and shows it
 * without what the server already says. Filtering here, at the source, rather than turning validation off in
 * the schema: completion and hover need the same schema, and monaco-yaml still answers first while the server
 * lints.
 */
function withServerFirstMarkers(base: typeof monaco): typeof monaco {
  const setModelMarkers: typeof monaco.editor.setModelMarkers = (model, owner, markers) => {
    if (owner !== YAML_MARKER_OWNER) return base.editor.setModelMarkers(model, owner, markers);
    yamlReports.set(model, markers);
    showYamlMarkers(model);
    for (const listener of reportListeners) listener(model);
  };
  return { ...base, editor: { ...base.editor, setModelMarkers } };
}

/** Inner languages a Jinja template (`.j2`) keeps; any other template is highlighted as Twig (Jinja's cousin). */
const J2_INNER = new Set(["yaml", "json", "python", "shell", "ini", "xml"]);

/**
 * Monaco's language for a site file, by its name as Monaco's own languages declare them (`.py` python, `.sh`
 * shell, `.yml` yaml); Jinja templates (`index.html.j2`) as Twig, or as the file they render when that is data.
 */
export function languageFor(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  if (name.endsWith(".j2")) {
    const inner = languageFor(name.slice(0, -3));
    return J2_INNER.has(inner) ? inner : "twig";
  }
  let best: { id: string; length: number } | undefined;
  for (const lang of monaco.languages.getLanguages()) {
    if (lang.filenames?.some((f) => f.toLowerCase() === name)) return lang.id;
    for (const ext of lang.extensions ?? []) {
      if (name.endsWith(ext.toLowerCase()) && ext.length > (best?.length ?? 0)) best = { id: lang.id, length: ext.length };
    }
  }
  return best?.id ?? "plaintext";
}

export const SCHEMA_URI = "inmemory://flightdeck/site.schema.json";

let yaml: MonacoYaml | undefined;
let yamlSchema: object | undefined;
let yamlSchemaJson = "";

function yamlOptions(schema: object): MonacoYamlOptions {
  return {
    enableSchemaRequest: false,
    hover: true,
    completion: true,
    validate: true,
    format: { enable: true },
    schemas: [
      {
        uri: SCHEMA_URI,
        // Files outside the schema (Ansible content) have models whose URI ends in a query (YamlEditorImpl's modelUri).
        fileMatch: ["*.yml", "*.yaml", "**/*.yml", "**/*.yaml"],
        schema,
      },
    ],
  };
}

/**
 * Configure monaco-yaml for the page on first use; later calls only reconfigure it when the schema's content
 * changed (which restarts the YAML worker and revalidates open models).
 */
export function configureSiteSchema(schema: object): void {
  if (schema === yamlSchema) return;
  yamlSchema = schema;
  const json = JSON.stringify(schema);
  if (yaml && json === yamlSchemaJson) return;
  yamlSchemaJson = json;
  if (!yaml) {
    yaml = configureMonacoYaml(withServerFirstMarkers(withLegacyWebWorkerSupport(monaco)), yamlOptions(schema));
  } else {
    void yaml.update(yamlOptions(schema));
  }
}
