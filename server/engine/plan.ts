/**
 * Planning: which hosts run which steps, in which stages and batches. A plan is data (no connections, no
 * templates rendered), so `flightdeck plan`, the dashboard's preview and approvals all show the same thing
 * that the executor then runs.
 */
import { durationMs, formatDiagnostic, hasErrors, machineSelector, requirements, selectHosts, type ActionName, type Site, type StepSpec } from "../inventory";
import { PlanError } from "./errors";

export interface PlannedStep {
  /** Unique in the run: the step's name, or BLUEPRINT/STEP (then STAGE/BLUEPRINT/STEP) where names repeat. */
  id: string;
  name: string;
  blueprint: string;
  action: ActionName;
  params: Record<string, unknown>;
  requires: string[];
  retry?: { intervalMs: number; limit: number };
  timeoutMs?: number;
  when?: string;
  /** Checked after the step succeeded: false fails it. */
  success?: string;
  /** Checked after the step succeeded (and its success condition held): the host waits until it is true. */
  continue?: { condition: string; intervalMs: number; limit: number };
  sync: boolean;
  runOnce: boolean;
  become?: boolean | string;
  /**
   * Set on a sub-step: a part of that (batch) step, e.g. one task of an ansible.playbook step, listed when the
   * plan could know it. Its parent's action reports it; the executor never runs it on its own.
   */
  parent?: string;
}

export interface PlannedOperation {
  name: string;
  blueprints: string[];
  targets: string[];
  hosts: string[];
  batches: string[][];
  serial: number | string | null;
  maxFailPercentage: number;
  steps: PlannedStep[];
}

export interface PlannedStage {
  name: string;
  operations: PlannedOperation[];
}

export interface Plan {
  deployment: string;
  title: string;
  stages: PlannedStage[];
  /** Every host of the run, in inventory order. */
  hosts: string[];
  /** Every step id, in run order. */
  steps: string[];
  /** For hosts with MAAS steps: which machine each maps to, e.g. "dc1: system_id 4y3h7n" or "dc1: allocate pool=compute". */
  machines?: Record<string, string>;
}

export interface PlanOptions {
  deployment?: string;
  /** Only these hosts (re-running the failed ones, or `--limit`). */
  limit?: readonly string[];
}

export function planDeployment(site: Site, options: PlanOptions = {}): Plan {
  if (hasErrors(site.diagnostics)) {
    const errors = site.diagnostics.filter((d) => d.severity === "error");
    throw new PlanError(`the site has ${errors.length} lint ${errors.length === 1 ? "error" : "errors"}; fix ${errors.length === 1 ? "it" : "them"} first:\n${errors.slice(0, 10).map(formatDiagnostic).join("\n")}`);
  }
  const deployments = site.workflows.deployments;
  let name = options.deployment;
  if (name === undefined) {
    if (deployments.size !== 1) {
      throw new PlanError(deployments.size ? `the site has ${deployments.size} deployments; choose one with --deployment (${[...deployments.keys()].join(", ")})` : "the site has no deployment document");
    }
    name = [...deployments.keys()][0]!;
  }
  const dep = deployments.get(name);
  if (!dep) throw new PlanError(`no deployment '${name}'; the site has: ${[...deployments.keys()].join(", ") || "none"}`);
  const limit = options.limit ? new Set(options.limit) : undefined;

  const raw = dep.stages.map((stage) => ({
    name: stage.name,
    operations: stage.operations.map((op, o) => {
      const hosts = selectHosts(site.model, site.resolver, op.targets).filter((h) => !limit || limit.has(h));
      const serial = op.run_options?.serial ?? null;
      return {
        name: op.name ?? `${op.blueprints.join(", ")} on ${op.targets.join(", ")}`,
        index: o,
        blueprints: op.blueprints,
        targets: op.targets,
        hosts,
        batches: batches(hosts, serial),
        serial,
        maxFailPercentage: op.run_options?.max_fail_percentage ?? 0,
        steps: op.blueprints.flatMap((b) => site.workflows.blueprints.get(b)!.steps.map((step, i) => ({ step, blueprint: b, first: i === 0 }))),
      };
    }),
  }));

  const ids = uniqueIds(raw.flatMap((s) => s.operations.flatMap((op) => op.steps.map(({ step, blueprint }) => ({ stage: s.name, op: op.index, blueprint, name: step.name })))));
  let k = 0;
  const stages: PlannedStage[] = raw.map((stage) => ({
    name: stage.name,
    operations: stage.operations.map((op) => {
      const planned = op.steps.map(({ step, blueprint }) => ({ step, blueprint, id: ids[k++]! }));
      return { ...op, steps: orderSteps(planned) };
    }),
  }));
  for (const s of stages) for (const op of s.operations) delete (op as Partial<{ index: number }>).index;
  const hosts = new Set(stages.flatMap((s) => s.operations.flatMap((op) => op.hosts)));
  const maasHosts = new Set(stages.flatMap((s) => s.operations.filter((op) => op.steps.some((st) => st.action.startsWith("maas."))).flatMap((op) => op.hosts)));
  return {
    deployment: name,
    title: dep.title,
    stages,
    hosts: [...site.model.hosts.keys()].filter((h) => hosts.has(h)),
    steps: stages.flatMap((s) => s.operations.flatMap((op) => op.steps.map((st) => st.id))),
    ...(maasHosts.size ? { machines: Object.fromEntries([...maasHosts].map((h) => [h, describeMachineOf(site, h)])) } : {}),
  };
}

/** What a host's `maas` data says about its machine, for the plan. */
function describeMachineOf(site: Site, host: string): string {
  let selector;
  try {
    selector = machineSelector(site.resolver.resolve(host).vars);
  } catch (e) {
    return `invalid maas data: ${(e as Error).message}`;
  }
  if (!selector) return "no maas data";
  if (selector.system_id) return `${selector.region}: system_id ${selector.system_id}`;
  const constraints = [
    selector.hostname && `hostname=${selector.hostname}`,
    selector.zone && `zone=${selector.zone}`,
    selector.pool && `pool=${selector.pool}`,
    selector.tags?.length && `tags=${selector.tags.join(",")}`,
    selector.arch && `arch=${selector.arch}`,
  ].filter(Boolean);
  return `${selector.region}: allocate ${constraints.length ? constraints.join(" ") : `hostname=${host}`}`;
}

export function batches(hosts: readonly string[], serial: number | string | null): string[][] {
  if (!hosts.length) return [];
  let size = hosts.length;
  if (typeof serial === "number") size = serial;
  else if (typeof serial === "string") size = Math.max(1, Math.ceil((hosts.length * Number(serial.slice(0, -1))) / 100));
  const out: string[][] = [];
  for (let i = 0; i < hosts.length; i += size) out.push(hosts.slice(i, i + size));
  return out;
}

function uniqueIds(steps: { stage: string; op: number; blueprint: string; name: string }[]): string[] {
  const forms = [
    (s: (typeof steps)[number]) => s.name,
    (s: (typeof steps)[number]) => `${s.blueprint}/${s.name}`,
    (s: (typeof steps)[number]) => `${s.stage}/${s.blueprint}/${s.name}`,
    (s: (typeof steps)[number]) => `${s.stage}/${s.op + 1}/${s.blueprint}/${s.name}`,
  ];
  const count = (form: (s: (typeof steps)[number]) => string) => {
    const c = new Map<string, number>();
    for (const s of steps) c.set(form(s), (c.get(form(s)) ?? 0) + 1);
    return c;
  };
  const counts = forms.map(count);
  return steps.map((s) => {
    for (let f = 0; f < forms.length; f++) if (counts[f]!.get(forms[f]!(s)) === 1) return forms[f]!(s);
    return forms[forms.length - 1]!(s);
  });
}

/**
 * The steps of an operation in an order that respects `require` (declaration order where free). Within a
 * blueprint, requirements are by step name; a blueprint's first step without `require` follows the
 * previous blueprint's last step.
 */
function orderSteps(planned: { step: StepSpec; blueprint: string; id: string }[]): PlannedStep[] {
  const byBlueprint = new Map<string, { step: StepSpec; id: string }[]>();
  for (const p of planned) byBlueprint.set(p.blueprint, [...(byBlueprint.get(p.blueprint) ?? []), p]);
  const steps: PlannedStep[] = planned.map(({ step, blueprint, id }, i) => {
    const siblings = byBlueprint.get(blueprint)!;
    const names = requirements(siblings.map((s) => s.step));
    const idOf = (n: string) => siblings.find((s) => s.step.name === n)!.id;
    let requires = names.get(step.name)!.map(idOf);
    if (!step.require && siblings[0]!.step === step && i > 0) requires = [planned[i - 1]!.id];
    return {
      id,
      name: step.name,
      blueprint,
      action: step.action,
      params: step.params ?? {},
      requires,
      retry: step.retry ? { intervalMs: durationMs(step.retry.interval ?? "5s"), limit: step.retry.limit } : undefined,
      timeoutMs: step.timeout !== undefined ? durationMs(step.timeout) : undefined,
      when: step.when,
      success: step.success?.condition,
      continue: step.continue ? { condition: step.continue.condition, intervalMs: durationMs(step.continue.retry?.interval ?? "5s"), limit: step.continue.retry?.limit ?? 60 } : undefined,
      sync: step.sync ?? false,
      runOnce: step.run_once ?? false,
      become: step.become,
    };
  });
  // Kahn's algorithm, always taking the earliest declared step that is ready.
  const done = new Set<string>();
  const out: PlannedStep[] = [];
  while (out.length < steps.length) {
    const next = steps.find((s) => !done.has(s.id) && s.requires.every((r) => done.has(r)));
    if (!next) throw new PlanError(`require cycle among: ${steps.filter((s) => !done.has(s.id)).map((s) => s.id).join(", ")}`);
    done.add(next.id);
    out.push(next);
  }
  return out;
}
