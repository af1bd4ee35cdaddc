/**
 * Templates checked before anything runs: syntax, and every name they read. `vars.*` is checked against each
 * targeted host's resolved variables, `hosts['x']` against the run's hosts, `steps['x']` (and
 * `hosts['x'].steps['y']`) against the steps that run earlier on that host, `macros.x(...)` against the macro
 * documents (name and arity), `result` only in a step's `success` and `continue` conditions. Macros are checked
 * once: their bodies, their hosts, and that none calls itself. Reads guarded by `default()` or `is defined` are
 * left alone.
 */
import { compileTemplate, isTemplate, TemplateSyntaxError, type Template, type TemplateReference } from "../template";
import type { Diagnostic } from "./diagnostics";
import { MACRO_ROOTS } from "./macro-schemas";
import type { SiteModel } from "./model";
import type { Resolver } from "./resolve";
import { EVENT_FIELDS } from "./reactions";
import type { Path } from "./source";
import { didYouMean } from "../template/suggest";
import { selectHosts } from "./targets";
import type { MacroDef, Workflows } from "./workflows";

const HOST_FIELDS = ["name", "groups", "labels", "connection", "profile"];
const ROOTS = ["vars", "host", "hosts", "steps", "introspect", "event", "macros"];
/** Params taken literally (not templates). */
const LITERAL: Record<string, string[]> = { "file.managed": ["content"] };

type Add = (d: Diagnostic) => void;

/** A condition is an expression written with or without its `{{ }}`. */
export function conditionText(expr: string): string {
  return `{{ ${expr.trim().replace(/^\{\{([\s\S]*)\}\}$/, "$1")} }}`;
}

export function lintTemplates(workflows: Workflows, model: SiteModel, resolver: Resolver): Diagnostic[] {
  const out = new Map<string, Diagnostic>();
  const add: Add = (d) => out.set(`${d.file}:${d.line}:${d.col}:${d.message}`, d);
  const vars = new Map<string, Record<string, unknown>>();
  const varsOf = (h: string) => {
    let v = vars.get(h);
    if (!v) vars.set(h, (v = resolver.resolve(h).vars));
    return v;
  };
  const compiled = new Map<string, Template | TemplateSyntaxError>();
  const compile = (text: string) => {
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
    return t;
  };
  const macros = workflows.macros;
  lintMacros(macros, model, compile, add);

  for (const dep of workflows.deployments.values()) {
    const runHosts = new Set(dep.stages.flatMap((s) => s.operations.flatMap((op) => selectHosts(model, resolver, op.targets))));
    /** Steps met so far in the deployment, with the hosts that run them (a run_once step's result is all its hosts'). */
    const ranOn = new Map<string, Set<string>>();
    const fetches = new Set<string>();
    for (const stage of dep.stages) {
      for (const op of stage.operations) {
        const hosts = selectHosts(model, resolver, op.targets);
        for (const name of op.blueprints) {
          const bp = workflows.blueprints.get(name);
          if (!bp) continue;
          bp.steps.forEach((step, i) => {
            const at: Path = [...bp.path, "steps", i];
            const strings: { path: Path; text: string; condition: boolean }[] = [];
            const params: { path: Path; text: string }[] = [];
            collectStrings(step.params, ["params"], params, LITERAL[step.action] ?? []);
            strings.push(...params.map((p) => ({ ...p, condition: false })));
            if (step.when) strings.push({ path: ["when"], text: conditionText(step.when), condition: false });
            if (step.success) strings.push({ path: ["success", "condition"], text: conditionText(step.success.condition), condition: true });
            if (step.continue) strings.push({ path: ["continue", "condition"], text: conditionText(step.continue.condition), condition: true });
            const stepsBefore = (): string[] => [...ranOn.keys()];
            const notBefore = (s: string) => `'${s}' is not a step of this blueprint before this one${didYouMean(s, stepsBefore())}`;
            for (const { path, text, condition } of strings) {
              const t = compile(text);
              const where = [...at, ...path];
              const inString = path[0] === "params";
              const locate = (line: number, col: number, message: string) => (inString ? bp.src.diagnosticInString(where, line, col, "error", message) : bp.src.diagnostic(where, "error", message));
              if (t instanceof TemplateSyntaxError) {
                add(locate(t.line, t.col, `template: ${t.reason}`));
                continue;
              }
              for (const ref of t.references()) {
                if (ref.guarded) continue;
                const [root, first, ...rest] = ref.path;
                const shown = describe(ref.path);
                const report = (message: string) => add(locate(ref.line, ref.col, message));
                if (root === "result") {
                  if (!condition) report(`'result' is only seen by a step's success and continue conditions (earlier steps' results are steps['NAME'])`);
                } else if (typeof root !== "string" || !ROOTS.includes(root)) {
                  report(`'${String(root)}' is undefined${didYouMean(String(root), ROOTS)}; templates see ${ROOTS.join(", ")}${condition ? " and result" : ""}`);
                } else if (root === "macros") {
                  const problem = macroCallProblem(ref, macros);
                  if (problem) report(problem);
                } else if (root === "vars" && first !== undefined) {
                  const missing = hosts.filter((h) => !hasPath(varsOf(h), [first, ...rest]));
                  if (missing.length) {
                    const keys = Object.keys(varsOf(missing[0]!));
                    const hint = rest.length === 0 && typeof first === "string" ? didYouMean(first, keys) : "";
                    report(`'${shown}' is undefined for ${hostList(missing, hosts.length)}${hint}`);
                  }
                } else if (root === "event" && typeof first === "string" && !(EVENT_FIELDS as readonly string[]).includes(first)) {
                  report(`'${shown}' is undefined${didYouMean(first, EVENT_FIELDS)}; event has ${EVENT_FIELDS.join(", ")}`);
                } else if (root === "host" && typeof first === "string" && !HOST_FIELDS.includes(first)) {
                  report(`'${shown}' is undefined${didYouMean(first, HOST_FIELDS)}; host has ${HOST_FIELDS.join(", ")}`);
                } else if (root === "hosts" && typeof first === "string" && !runHosts.has(first)) {
                  report(`'${shown}' is undefined: '${first}' is not a host of this deployment${didYouMean(first, runHosts)}`);
                } else if (root === "hosts" && typeof first === "string" && rest[0] === "steps" && typeof rest[1] === "string") {
                  const s = rest[1];
                  const on = ranOn.get(s);
                  if (!on) report(`'${shown}' is undefined: ${notBefore(s)}`);
                  else if (!on.has(first)) report(`'${shown}' is undefined: step '${s}' does not run on ${first} (it runs on ${list([...on])})`);
                } else if (root === "steps" && typeof first === "string") {
                  const on = ranOn.get(first);
                  if (!on) report(`'${shown}' is undefined: ${notBefore(first)}`);
                  else {
                    const missing = hosts.filter((h) => !on.has(h));
                    if (missing.length) report(`'${shown}' is undefined for ${hostList(missing, hosts.length)}: step '${first}' runs on ${list([...on])} (read it there as hosts['${[...on][0]}'].steps['${first}'])`);
                  }
                }
              }
            }
            if (step.action === "file.managed" && step.params.from) {
              const from = step.params.from;
              const where = [...at, "params", "from"];
              if (!fetches.has(from.step)) add(bp.src.diagnostic([...where, "step"], "error", `'${from.step}' is not a file.fetch step before this one${didYouMean(from.step, fetches)}`));
              else if (from.host !== undefined) {
                if (!ranOn.get(from.step)?.has(from.host)) add(bp.src.diagnostic([...where, "host"], "error", `step '${from.step}' does not run on '${from.host}' (it runs on ${list([...(ranOn.get(from.step) ?? [])])})`));
              } else {
                const missing = hosts.filter((h) => !ranOn.get(from.step)?.has(h));
                if (missing.length) add(bp.src.diagnostic([...where, "step"], "error", `step '${from.step}' does not run on ${hostList(missing, hosts.length)}: name the host that fetched it with from.host`));
              }
            }
            const on = ranOn.get(step.name) ?? new Set<string>();
            for (const h of hosts) on.add(h);
            ranOn.set(step.name, on);
            if (step.action === "file.fetch") fetches.add(step.name);
          });
        }
      }
    }
  }
  return [...out.values()];
}

/** Why a `macros.x(...)` reference is wrong, if it is. */
function macroCallProblem(ref: TemplateReference, macros: Map<string, MacroDef>): string | undefined {
  const name = ref.path[1];
  if (typeof name !== "string") return `macros are called by name: macros.NAME(args)`;
  const def = macros.get(name);
  if (!def) return `unknown macro '${name}'${didYouMean(name, macros.keys())}${macros.size ? "" : " (the site has no macro documents)"}`;
  if (ref.call === undefined) return `macro '${name}' is called, not read: macros.${name}(${(def.params ?? []).join(", ")})`;
  const want = def.params?.length ?? 0;
  if (ref.call !== want) return `macro '${name}' takes ${want} argument${want === 1 ? "" : "s"}${want ? ` (${def.params!.join(", ")})` : ""}, given ${ref.call}`;
  return undefined;
}

/** Each macro's body (syntax, names, calls), its host, and calls that come back to it. */
function lintMacros(macros: Map<string, MacroDef>, model: SiteModel, compile: (text: string) => Template | TemplateSyntaxError, add: Add) {
  const calls = new Map<string, string[]>();
  for (const m of macros.values()) {
    const expression = m.expression !== undefined;
    const where = [...m.path, expression ? "expression" : "command"];
    const text = expression ? conditionText(m.expression!) : (m.command ?? "");
    const locate = (line: number, col: number, message: string) => (expression ? m.src.diagnostic(where, "error", message) : m.src.diagnosticInString(where, line, col, "error", message));
    if (typeof m.on === "object" && !model.hosts.has(m.on.host)) {
      add(m.src.diagnostic([...m.path, "on", "host"], "error", `host '${m.on.host}' does not exist${didYouMean(m.on.host, model.hosts.keys())}`));
    }
    calls.set(m.name, []);
    if (!isTemplate(text)) continue;
    const t = compile(text);
    if (t instanceof TemplateSyntaxError) {
      add(locate(t.line, t.col, `template: ${t.reason}`));
      continue;
    }
    const names = [...MACRO_ROOTS, ...(m.params ?? [])];
    for (const ref of t.references()) {
      if (ref.guarded) continue;
      const root = String(ref.path[0]);
      if (!names.includes(root)) add(locate(ref.line, ref.col, `'${root}' is undefined${didYouMean(root, names)}; a macro sees its params (${(m.params ?? []).join(", ") || "none"}) and ${MACRO_ROOTS.join(", ")}`));
      else if (root === "macros") {
        const problem = macroCallProblem(ref, macros);
        if (problem) add(locate(ref.line, ref.col, problem));
        else calls.get(m.name)!.push(String(ref.path[1]));
      }
    }
  }
  // A macro that reaches itself would never end: reported once per cycle, at the first of its macros.
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string) => {
    if (state.get(n) === "done") return;
    if (state.get(n) === "open") {
      const cycle = [...stack.slice(stack.indexOf(n)), n];
      const m = macros.get(n)!;
      add(m.src.diagnostic([...m.path, "name"], "error", cycle.length === 2 ? `macro '${n}' calls itself` : `macro '${n}' calls itself through ${cycle.join(" -> ")}`));
      return;
    }
    state.set(n, "open");
    stack.push(n);
    for (const c of new Set(calls.get(n) ?? [])) visit(c);
    stack.pop();
    state.set(n, "done");
  };
  for (const n of macros.keys()) visit(n);
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

function list(names: string[]): string {
  return names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more` : names.join(", ");
}

function hostList(missing: string[], of: number): string {
  const names = missing.slice(0, 3).join(", ");
  const more = missing.length > 3 ? ` and ${missing.length - 3} more` : "";
  return `${missing.length === of ? (of === 1 ? "host" : `all ${of} targeted hosts`) + ` (${names}${more})` : `${missing.length} of ${of} targeted hosts: ${names}${more}`}`;
}
