/**
 * Blueprints and deployments, read from validated documents and checked against each other and the
 * inventory: unique names, `require` references and cycles, blueprint references, targets that match.
 */
import type { Diagnostic } from "./diagnostics";
import type { Place, SiteModel } from "./model";
import type { Resolver } from "./resolve";
import { didYouMean } from "../template/suggest";
import { matchTarget } from "./targets";
import { lintTemplates } from "./template-lint";
import type { ValidDoc } from "./validate";
import type { MacroSpec } from "./macro-schemas";
import type { BlueprintSpec, DeploymentSpec, StepSpec } from "./workflow-schemas";

export interface BlueprintDef extends Place {
  name: string;
  description?: string;
  steps: StepSpec[];
}

export interface DeploymentDef extends Place {
  name: string;
  title: string;
  stages: DeploymentSpec["stages"];
}

export type MacroDef = Place & MacroSpec;

export interface Workflows {
  blueprints: Map<string, BlueprintDef>;
  deployments: Map<string, DeploymentDef>;
  /** `macro` documents by name: what `macros.NAME(args)` calls. */
  macros: Map<string, MacroDef>;
}

export function buildWorkflows(docs: readonly ValidDoc[], model: SiteModel, resolver: Resolver): Workflows & { diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const blueprints = new Map<string, BlueprintDef>();
  const deployments = new Map<string, DeploymentDef>();
  const macros = new Map<string, MacroDef>();
  const broken = new Set<string>();
  const perFile = new Map<string, number>();

  for (const { src, kind, value, invalid } of docs) {
    if (kind === "macro" && !invalid.has("spec")) {
      const def: MacroDef = { ...(value.spec as MacroSpec), src, path: ["spec"] };
      const first = macros.get(def.name);
      if (first) diagnostics.push(src.diagnostic(["spec", "name"], "error", `duplicate macro '${def.name}' (first defined at ${first.src.where(["spec", "name"])})`));
      else macros.set(def.name, def);
    }
    if (kind !== "blueprint" && kind !== "deployment") continue;
    const spec = value.spec as Record<string, unknown>;
    if (kind === "blueprint") {
      const b = spec as BlueprintSpec;
      if (invalid.has("spec")) {
        if (typeof b.name === "string") broken.add(b.name);
        continue;
      }
      const def: BlueprintDef = { src, path: ["spec"], name: b.name, description: b.description, steps: b.steps };
      const first = blueprints.get(def.name);
      if (first) diagnostics.push(src.diagnostic(["spec", "name"], "error", `duplicate blueprint '${def.name}' (first defined at ${first.src.where(["spec", "name"])})`));
      else {
        blueprints.set(def.name, def);
        checkSteps(def, diagnostics);
      }
      continue;
    }
    if (invalid.has("spec")) continue;
    const d = spec as DeploymentSpec;
    // Unnamed deployments take their file's name (deploy/site.yml -> site; a second one in the file, site-2).
    const stem = src.file.replace(/^.*\//, "").replace(/\.ya?ml$/i, "");
    const n = (perFile.get(src.file) ?? 0) + 1;
    perFile.set(src.file, n);
    const name = d.name ?? (n === 1 ? stem : `${stem}-${n}`);
    const meta = value.meta as { title?: string } | undefined;
    const def: DeploymentDef = { src, path: ["spec"], name, title: meta?.title ?? name, stages: d.stages };
    const first = deployments.get(name);
    if (first) diagnostics.push(src.diagnostic(d.name ? ["spec", "name"] : ["kind"], "error", `duplicate deployment '${name}' (first defined at ${first.src.where(["spec"])}); give each a spec.name`));
    else deployments.set(name, def);
  }

  for (const dep of deployments.values()) {
    dep.stages.forEach((stage, s) =>
      stage.operations.forEach((op, o) => {
        const at = ["spec", "stages", s, "operations", o];
        op.blueprints.forEach((b, i) => {
          if (!blueprints.has(b) && !broken.has(b)) {
            diagnostics.push(dep.src.diagnostic([...at, "blueprints", i], "error", `blueprint '${b}' does not exist${didYouMean(b, blueprints.keys())}`));
          }
        });
        op.targets.forEach((t, i) => {
          if (matchTarget(model, resolver, t).length === 0) {
            const names = [...model.groups.keys(), ...model.hosts.keys()];
            diagnostics.push(dep.src.diagnostic([...at, "targets", i], "error", `target '${t}' matches no host${t.includes("=") ? " (no host has those labels)" : didYouMean(t, names)}`));
          }
        });
      }),
    );
  }
  diagnostics.push(...lintTemplates({ blueprints, deployments, macros }, model, resolver));
  return { blueprints, deployments, macros, diagnostics };
}

/** Step names are unique in a blueprint; `require` names earlier or later steps of it, without cycles. */
function checkSteps(bp: BlueprintDef, out: Diagnostic[]) {
  const index = new Map<string, number>();
  bp.steps.forEach((step, i) => {
    if (index.has(step.name)) out.push(bp.src.diagnostic(["spec", "steps", i, "name"], "error", `duplicate step '${step.name}' in blueprint '${bp.name}'`));
    else index.set(step.name, i);
  });
  const requires = requirements(bp.steps);
  bp.steps.forEach((step, i) => {
    (step.require ?? []).forEach((r, j) => {
      if (!index.has(r)) out.push(bp.src.diagnostic(["spec", "steps", i, "require", j], "error", `step '${r}' does not exist in blueprint '${bp.name}'${didYouMean(r, index.keys())}`));
      else if (r === step.name) out.push(bp.src.diagnostic(["spec", "steps", i, "require", j], "error", `step '${r}' cannot require itself`));
    });
  });
  const cycle = findCycle(bp.steps.map((s) => s.name), requires);
  if (cycle) {
    const i = index.get(cycle[0]!)!;
    out.push(bp.src.diagnostic(["spec", "steps", i, "require"], "error", `require cycle: ${[...cycle, cycle[0]].join(" -> ")}`, true));
  }
}

/** What each step waits for: its `require`, or by default the step declared before it. */
export function requirements(steps: readonly StepSpec[]): Map<string, string[]> {
  const names = new Set(steps.map((s) => s.name));
  return new Map(
    steps.map((s, i): [string, string[]] => {
      const wanted = s.require ?? (i > 0 ? [steps[i - 1]!.name] : []);
      return [s.name, wanted.filter((r) => names.has(r) && r !== s.name)];
    }),
  );
}

function findCycle(names: string[], requires: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === "done") return undefined;
    if (state.get(n) === "open") return stack.slice(stack.indexOf(n));
    state.set(n, "open");
    stack.push(n);
    for (const r of requires.get(n) ?? []) {
      const c = visit(r);
      if (c) return c;
    }
    stack.pop();
    state.set(n, "done");
    return undefined;
  };
  for (const n of names) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}
