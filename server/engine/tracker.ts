/**
 * The state of a run folded from its events: every host's and step's status, counts for the progress bar,
 * the current stage and batch. Pure data, shared by the CLI display, the server and the browser.
 */
import { hostOutcome, type EngineEvent, type RunStatus, type StepStatus } from "./events";
import type { Plan } from "./plan";

export interface StepState {
  status: StepStatus;
  attempt?: number;
  exitCode?: number | null;
  durationMs?: number;
  message?: string;
  startedAt?: number;
  /** On a sub-step (a playbook's task): its step, which then only contains the time of its sub-steps. */
  parent?: string;
}

export interface RunSnapshot {
  status: RunStatus;
  stage: { index: number; name: string } | null;
  batch: { stage: number; operation: number; index: number; count: number } | null;
  hosts: Record<string, { status: StepStatus; steps: Record<string, StepState> }>;
  notices: { host?: string; message: string }[];
  counts: Record<StepStatus, number>;
  finishedSteps: number;
  totalSteps: number;
  /** Sum of finished steps' durations, for the ETA. */
  finishedMs: number;
  message?: string;
}

/** A count of zero for every state (the bar's segments, a grid's legend). */
export const emptyCounts = (): Record<StepStatus, number> => ({ pending: 0, running: 0, ok: 0, changed: 0, skipped: 0, failed: 0, unreachable: 0, cancelled: 0, interrupted: 0 });
const FINAL: ReadonlySet<StepStatus> = new Set(["ok", "changed", "skipped", "failed", "unreachable", "cancelled", "interrupted"]);

export class RunTracker {
  readonly snapshot: RunSnapshot;

  /** A tracker for `plan`, or one that goes on from a snapshot folded elsewhere (the server's, for a page load). */
  constructor(plan: Pick<Plan, "hosts" | "steps" | "stages">, from?: RunSnapshot) {
    if (from) {
      this.snapshot = from;
      return;
    }
    const hosts: RunSnapshot["hosts"] = {};
    // A host only counts the steps of the operations that target it.
    const stepsOf = new Map<string, string[]>();
    const parents = new Map<string, string>();
    for (const stage of plan.stages) {
      for (const op of stage.operations) {
        for (const st of op.steps) if (st.parent !== undefined) parents.set(st.id, st.parent);
        for (const h of op.hosts) stepsOf.set(h, [...(stepsOf.get(h) ?? []), ...op.steps.map((s) => s.id)]);
      }
    }
    let total = 0;
    for (const h of plan.hosts) {
      const ids = stepsOf.get(h) ?? [];
      total += ids.length;
      hosts[h] = { status: "pending", steps: Object.fromEntries(ids.map((id) => [id, parents.has(id) ? { status: "pending", parent: parents.get(id) } : { status: "pending" }])) };
    }
    const counts = emptyCounts();
    counts.pending = total;
    this.snapshot = { status: "running", stage: null, batch: null, hosts, notices: [], counts, finishedSteps: 0, totalSteps: total, finishedMs: 0 };
  }

  apply(e: EngineEvent & { t?: number }): void {
    const s = this.snapshot;
    switch (e.type) {
      case "stage.started":
        s.stage = { index: e.stage, name: e.name };
        break;
      case "batch.started":
        s.batch = { stage: e.stage, operation: e.operation, index: e.batch, count: e.batches };
        break;
      case "step.status": {
        const host = s.hosts[e.host];
        if (!host) break;
        let prev = host.steps[e.step];
        if (!prev) {
          // A sub-step the plan did not list (a playbook's handler, an included task): it joins its parent's.
          if (e.parent === undefined || !host.steps[e.parent]) break;
          host.steps = withSubStep(host.steps, e.parent, e.step);
          host.steps[e.step]!.parent = e.parent;
          prev = host.steps[e.step]!;
          s.counts.pending++;
          s.totalSteps++;
        }
        s.counts[prev.status]--;
        s.counts[e.status]++;
        if (FINAL.has(e.status) && !FINAL.has(prev.status)) {
          s.finishedSteps++;
          // A step with sub-steps took their time: counting it again would double the average step.
          if (!Object.values(host.steps).some((x) => x.parent === e.step)) s.finishedMs += e.durationMs ?? 0;
        }
        host.steps[e.step] = {
          status: e.status,
          attempt: e.attempt,
          exitCode: e.exitCode,
          durationMs: e.durationMs,
          message: e.message,
          startedAt: e.status === "running" ? (prev.status === "running" ? prev.startedAt : e.t) : prev.startedAt,
          ...(prev.parent !== undefined ? { parent: prev.parent } : {}),
        };
        host.status = shownStatus(Object.values(host.steps).map((x) => x.status), s.status === "running");
        break;
      }
      case "host.status": {
        const host = s.hosts[e.host];
        if (host) host.status = e.status;
        break;
      }
      case "notice":
        s.notices.push({ host: e.host, message: e.message });
        break;
      case "run.finished":
        s.status = e.status;
        s.message = e.message;
        // A run that ended without per-host outcomes settles every host from its steps; when the server stopped,
        // a host with steps still to run was interrupted, whatever its finished steps said.
        for (const host of Object.values(s.hosts)) {
          const steps = Object.values(host.steps).map((x) => x.status);
          if (e.status === "interrupted" && steps.some((st) => st === "pending" || st === "running" || st === "interrupted")) host.status = "interrupted";
          else if (host.status === "running") host.status = hostOutcome(steps);
        }
        break;
      case "run.started":
        s.status = "running";
        break;
      case "run.status":
        // Stored before issue 13, a run waiting for a slot said `approved`: it is `queued`.
        s.status = (e.status as string) === "approved" ? "queued" : e.status;
        s.message = e.message;
        break;
    }
  }
}

/**
 * The steps with `id` added as pending after its parent's sub-steps that have started (in the order they came),
 * before those still pending: a task that appears live sits where it ran.
 */
function withSubStep(steps: Record<string, StepState>, parent: string, id: string): Record<string, StepState> {
  const keys = Object.keys(steps);
  const prefix = `${parent}/`;
  let at = keys.indexOf(parent);
  for (let i = at + 1; i < keys.length && keys[i]!.startsWith(prefix); i++) if (steps[keys[i]!]!.status !== "pending") at = i;
  const out: Record<string, StepState> = {};
  keys.forEach((k, i) => {
    out[k] = steps[k]!;
    if (i === at) out[id] = { status: "pending" };
  });
  return out;
}

/** While the run goes on, a host that has finished some steps and has others pending is in progress, not done. */
function shownStatus(steps: StepStatus[], active: boolean): StepStatus {
  const outcome = hostOutcome(steps);
  if (active && (outcome === "ok" || outcome === "changed" || outcome === "skipped") && steps.includes("pending")) return "running";
  return outcome;
}
