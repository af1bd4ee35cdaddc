/**
 * Steps and their sub-steps (a playbook step's tasks, `STEP/TASK`) as the run view shows them. The plan lists the
 * tasks Ansible could list beforehand; others (fact gathering, handlers, included tasks) arrive as they run and
 * the tracker places them in the host's steps where they ran. Pure (no React, no DOM): the unit tests import it.
 */
import type { StepStatus } from "~/server/engine/events";
import type { Plan, PlannedStep } from "~/server/engine/plan";
import type { RunSnapshot } from "~/server/engine/tracker";

type HostState = RunSnapshot["hosts"][string];

/** One of a host's steps in run order: `parent` is set on a sub-step. */
export interface HostStep {
  id: string;
  parent?: string;
}

/** What the run view knows about step ids: which are planned, which have sub-steps, and their names. */
export class RunSteps {
  readonly planned = new Map<string, PlannedStep>();
  /** Steps whose action reports sub-steps (a playbook), with or without tasks listed in the plan. */
  readonly groups = new Set<string>();

  constructor(plan: Pick<Plan, "stages">) {
    for (const stage of plan.stages)
      for (const op of stage.operations)
        for (const s of op.steps) {
          this.planned.set(s.id, s);
          if (s.parent !== undefined) this.groups.add(s.parent);
          else if (s.action === "ansible.playbook") this.groups.add(s.id);
        }
  }

  /** A sub-step's parent: the plan's word, or for one the plan did not list, the group whose prefix it has. */
  parentOf(id: string, current?: string): string | undefined {
    const p = this.planned.get(id);
    if (p) return p.parent;
    if (current !== undefined && id.startsWith(`${current}/`)) return current;
    let best: string | undefined;
    for (const g of this.groups) if (id.startsWith(`${g}/`) && (best === undefined || g.length > best.length)) best = g;
    return best;
  }

  /** The step's own name: a task's name without its step's prefix. */
  name(id: string, parent = this.parentOf(id)): string {
    const p = this.planned.get(id);
    if (p) return p.name;
    return parent !== undefined ? id.slice(parent.length + 1) : id;
  }

  /** A name that stands alone: "configure › Install nginx" for a task. */
  label(id: string, parent = this.parentOf(id)): string {
    return parent === undefined ? this.name(id) : `${this.name(parent)} › ${this.name(id, parent)}`;
  }

  /** A host's steps in run order (the tracker keeps them so), each task with its step. */
  ofHost(state: HostState): HostStep[] {
    return this.withParents(Object.keys(state.steps));
  }

  /** Step ids in run order, each task with its step (a task follows its step and the step's earlier tasks). */
  withParents(ids: readonly string[]): HostStep[] {
    const out: HostStep[] = [];
    let group: string | undefined;
    for (const id of ids) {
      const parent = this.parentOf(id, group);
      if (parent === undefined) group = this.groups.has(id) ? id : undefined;
      out.push(parent === undefined ? { id } : { id, parent });
    }
    return out;
  }

  /** Whether `id` is `group` or one of its tasks (a playbook step's whole output). */
  inGroup(group: string, id: string): boolean {
    return id === group || (id.startsWith(`${group}/`) && this.parentOf(id, group) === group);
  }
}

/**
 * The run's steps in order: the plan's, with the sub-steps it did not list placed where they ran on the first host
 * that ran them (after the step the host ran before). `count` is how many steps a host has in the plan, to skip
 * hosts that have nothing more.
 */
export function runStepOrder(plan: Pick<Plan, "steps">, snapshot: RunSnapshot, count: (host: string) => number): string[] {
  const order = [...plan.steps];
  const at = new Set(order);
  for (const [host, state] of Object.entries(snapshot.hosts)) {
    const keys = Object.keys(state.steps);
    if (keys.length <= count(host)) continue;
    keys.forEach((id, i) => {
      if (at.has(id)) return;
      const before = i > 0 ? order.indexOf(keys[i - 1]!) : -1;
      order.splice(before + 1, 0, id);
      at.add(id);
    });
  }
  return order;
}

/** How many of a group's tasks are in each state, and the one running now (the first, when several run). */
export function taskSummary(state: HostState | undefined, tasks: readonly string[]): { counts: Partial<Record<StepStatus, number>>; done: number; running?: string } {
  const counts: Partial<Record<StepStatus, number>> = {};
  let done = 0;
  let running: string | undefined;
  for (const id of tasks) {
    const st = state?.steps[id]?.status ?? "pending";
    counts[st] = (counts[st] ?? 0) + 1;
    if (st === "running") running ??= id;
    else if (st !== "pending") done++;
  }
  return { counts, done, running };
}
