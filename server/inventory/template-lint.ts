/**
 * Templates checked before anything runs: syntax, and every name they read. `vars.*` is checked against each
 * targeted host's resolved variables, `hosts['x']` against the run's hosts, `steps['x']` against the steps that
 * run earlier on the host. Reads guarded by `default()` or `is defined` are left alone.
 */
import { compileTemplate, isTemplate, TemplateSyntaxError, type Template } from "../template";
import type { Diagnostic } from "./diagnostics";
import type { SiteModel } from "./model";
import type { Resolver } from "./resolve";
import type { Path } from "./source";
import { didYouMean } from "../template/suggest";
import { selectHosts } from "./targets";
import type { Workflows } from "./workflows";

const HOST_FIELDS = ["name", "groups", "labels", "connection", "profile"];
const ROOTS = ["vars", "host", "hosts", "steps", "introspect"];
/** Params taken literally (not templates). */
const LITERAL: Record<string, string[]> = { "file.managed": ["content"] };

export function lintTemplates(workflows: Workflows, model: SiteModel, resolver: Resolver): Diagnostic[] {
  const out = new Map<string, Diagnostic>();
  const add = (d: Diagnostic) => out.set(`${d.file}:${d.line}:${d.col}:${d.message}`, d);
  const vars = new Map<string, Record<string, unknown>>();
  const varsOf = (h: string) => {
    let v = vars.get(h);
    if (!v) vars.set(h, (v = resolver.resolve(h).vars));
    return v;
  };
  const compiled = new Map<string, Template | TemplateSyntaxError>();

  for (const dep of workflows.deployments.values()) {
    const runHosts = new Set(dep.stages.flatMap((s) => s.operations.flatMap((op) => selectHosts(model, resolver, op.targets))));
    const earlier = new Set<string>();
    for (const stage of dep.stages) {
      for (const op of stage.operations) {
        const hosts = selectHosts(model, resolver, op.targets);
        for (const name of op.blueprints) {
          const bp = workflows.blueprints.get(name);
          if (!bp) continue;
          bp.steps.forEach((step, i) => {
            const at: Path = [...bp.path, "steps", i];
            const strings: { path: Path; text: string }[] = [];
            collectStrings(step.params, ["params"], strings, LITERAL[step.action] ?? []);
            if (step.when) strings.push({ path: ["when"], text: `{{ ${step.when.trim().replace(/^\{\{([\s\S]*)\}\}$/, "$1")} }}` });
            for (const { path, text } of strings) {
              let t = compiled.get(text);
              if (!t) {
                try {
                  t = compileTemplate(text);
                } catch (e) {
                  if (!(e instanceof TemplateSyntaxError)) throw e;
                  t = e;
                }
                compiled.set(text, t);
              }
              const where = [...at, ...path];
              const locate = (line: number, col: number, message: string) =>
                path[0] === "when" ? bp.src.diagnostic(where, "error", message) : bp.src.diagnosticInString(where, line, col, "error", message);
              if (t instanceof TemplateSyntaxError) {
                add(locate(t.line, t.col, `template: ${t.reason}`));
                continue;
              }
              for (const ref of t.references()) {
                if (ref.guarded) continue;
                const [root, first, ...rest] = ref.path;
                const shown = describe(ref.path);
                if (typeof root !== "string" || !ROOTS.includes(root)) {
                  add(locate(ref.line, ref.col, `'${String(root)}' is undefined${didYouMean(String(root), ROOTS)}; templates see vars, host, hosts, steps and introspect`));
                } else if (root === "vars" && first !== undefined) {
                  const missing = hosts.filter((h) => !hasPath(varsOf(h), [first, ...rest]));
                  if (missing.length) {
                    const keys = Object.keys(varsOf(missing[0]!));
                    const hint = rest.length === 0 && typeof first === "string" ? didYouMean(first, keys) : "";
                    add(locate(ref.line, ref.col, `'${shown}' is undefined for ${hostList(missing, hosts.length)}${hint}`));
                  }
                } else if (root === "host" && typeof first === "string" && !HOST_FIELDS.includes(first)) {
                  add(locate(ref.line, ref.col, `'${shown}' is undefined${didYouMean(first, HOST_FIELDS)}; host has ${HOST_FIELDS.join(", ")}`));
                } else if (root === "hosts" && typeof first === "string" && !runHosts.has(first)) {
                  add(locate(ref.line, ref.col, `'${shown}' is undefined: '${first}' is not a host of this deployment${didYouMean(first, runHosts)}`));
                } else if (root === "steps" && typeof first === "string" && !earlier.has(first)) {
                  add(locate(ref.line, ref.col, `'${shown}' is undefined: no step '${first}' runs before this one${didYouMean(first, earlier)}`));
                }
              }
            }
            earlier.add(step.name);
          });
        }
      }
    }
  }
  return [...out.values()];
}

function collectStrings(value: unknown, path: Path, out: { path: Path; text: string }[], literal: string[]) {
  if (typeof value === "string") {
    if (isTemplate(value)) out.push({ path, text: value });
  } else if (Array.isArray(value)) value.forEach((v, i) => collectStrings(v, [...path, i], out, []));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) if (!(path.length === 1 && literal.includes(k))) collectStrings(v, [...path, k], out, []);
  }
}

function hasPath(value: unknown, path: readonly (string | number)[]): boolean {
  let v = value;
  for (const key of path) {
    if (Array.isArray(v) && typeof key === "number") {
      const i = key < 0 ? v.length + key : key;
      if (i < 0 || i >= v.length) return false;
      v = v[i] as unknown;
    } else if (v && typeof v === "object" && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, String(key))) {
      v = (v as Record<string, unknown>)[String(key)];
    } else return false;
  }
  return true;
}

function describe(path: readonly (string | number)[]): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? (i ? `.${k}` : k) : `[${JSON.stringify(k)}]`)).join("");
}

function hostList(missing: string[], of: number): string {
  const names = missing.slice(0, 3).join(", ");
  const more = missing.length > 3 ? ` and ${missing.length - 3} more` : "";
  return `${missing.length === of ? (of === 1 ? "host" : `all ${of} targeted hosts`) + ` (${names}${more})` : `${missing.length} of ${of} targeted hosts: ${names}${more}`}`;
}
