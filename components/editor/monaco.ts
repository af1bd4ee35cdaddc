/**
 * Client-only Monaco setup: the editor is bundled (never loaded from a CDN), web workers come from the bundle,
 * and monaco-yaml is configured once per page. Import this module only from code that is loaded with
 * `dynamic(..., { ssr: false })`: it touches `self` and `Worker` at import time.
 */
import * as monaco from "monaco-editor";
import { loader } from "@monaco-editor/react";
import { configureMonacoYaml } from "monaco-yaml";
import type { MonacoYaml, MonacoYamlOptions } from "monaco-yaml";

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
    yaml = configureMonacoYaml(withLegacyWebWorkerSupport(monaco), yamlOptions(schema));
  } else {
    void yaml.update(yamlOptions(schema));
  }
}
