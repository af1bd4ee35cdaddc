"use client";

import { useState } from "react";
import { formatDuration } from "~/server/engine/duration";
import type { Plan, PlannedOperation, PlannedStep } from "~/server/engine/plan";

/** "2 steps", or "1 step and 30 playbook tasks": a playbook's tasks are sub-steps of its step, counted apart. */
export function stepsText(plan: Pick<Plan, "stages">): string {
  const all = plan.stages.flatMap((s) => s.operations.flatMap((op) => op.steps));
  const tasks = all.filter((s) => s.parent !== undefined).length;
  const steps = all.length - tasks;
  return `${steps} ${steps === 1 ? "step" : "steps"}${tasks ? ` and ${tasks} playbook ${tasks === 1 ? "task" : "tasks"}` : ""}`;
}

const HOSTS_SHOWN = 12;
const BATCHES_SHOWN = 4;

const MACHINES_SHOWN = 12;

/**
 * What a deployment would run: stages → operations → batches of hosts, and each operation's ordered steps; for
 * a plan with MAAS steps, which machine each host maps to.
 */
export function PlanPreview({ plan }: { plan: Plan }) {
  return (
    <div className="plan">
      <Stages plan={plan} />
      {plan.machines && Object.keys(plan.machines).length > 0 && <Machines machines={plan.machines} />}
    </div>
  );
}

function Stages({ plan }: { plan: Plan }) {
  return (
    <ol className="plan-stages">
      {plan.stages.map((stage, s) => (
        <li key={s} className="plan-stage">
          <div className="plan-stage-head">
            <span className="plan-stage-n">
              Stage {s + 1}/{plan.stages.length}
            </span>
            <strong>{stage.name}</strong>
          </div>
          {stage.operations.map((op, o) => (
            <Operation key={o} op={op} />
          ))}
        </li>
      ))}
    </ol>
  );
}

interface MachineRef {
  region: string;
  /** "system_id": the host names its machine; "allocate": MAAS picks one matching the constraints. */
  how: "system_id" | "allocate";
  what: string;
}

/** "dc1: system_id 4y3h7n" or "dc1: allocate pool=compute" (the plan's words), or null for anything else. */
export function parseMachine(text: string): MachineRef | null {
  const m = /^([^:\s]+): (system_id|allocate) (.+)$/.exec(text);
  return m ? { region: m[1]!, how: m[2] as MachineRef["how"], what: m[3]! } : null;
}

/** A host's machine in words: the machine's system_id, or what MAAS will be asked to allocate. */
export function MachineText({ text, region = true }: { text: string; region?: boolean }) {
  const m = parseMachine(text);
  if (!m) return <span className="machine-bad">{text}</span>;
  return (
    <span className="machine">
      {region && (
        <>
          <span className="mono">{m.region}</span>
          <span className="muted"> · </span>
        </>
      )}
      {m.how === "system_id" ? (
        <>
          <span className="muted">system_id</span> <code className="machine-id">{m.what}</code>
        </>
      ) : (
        <>
          <span className="muted">allocate</span> <code className="machine-id">{m.what}</code>
        </>
      )}
    </span>
  );
}

/** Host → MAAS machine, as a compact table (the first few, then all on request). */
function Machines({ machines }: { machines: Record<string, string> }) {
  const [all, setAll] = useState(false);
  const rows = Object.entries(machines);
  const parsed = rows.map(([host, text]) => ({ host, text, m: parseMachine(text) }));
  const regions = [...new Set(parsed.map((r) => r.m?.region).filter((r): r is string => r !== undefined))];
  const named = parsed.filter((r) => r.m?.how === "system_id").length;
  const allocated = parsed.filter((r) => r.m?.how === "allocate").length;
  const unknown = parsed.length - named - allocated;
  const shown = all ? parsed : parsed.slice(0, MACHINES_SHOWN);
  return (
    <section className="plan-machines" aria-labelledby="plan-machines-title" data-testid="plan-machines">
      <div className="plan-op-head">
        <strong id="plan-machines-title">Machines</strong>
        <span className="row wrap plan-badges">
          <span className="badge" title="Hosts whose steps install or drive a MAAS machine">
            {rows.length} {rows.length === 1 ? "host" : "hosts"}
          </span>
          {regions.map((r) => (
            <span key={r} className="badge mono" title="MAAS region">
              {r}
            </span>
          ))}
          {named > 0 && (
            <span className="badge" title="Hosts that name their machine (maas.system_id)">
              {named} by system_id
            </span>
          )}
          {allocated > 0 && (
            <span className="badge" title="Hosts for which MAAS allocates a machine matching the constraints">
              {allocated} allocated
            </span>
          )}
          {unknown > 0 && (
            <span className="badge warn" title="Hosts whose maas data says no machine">
              {unknown} without a machine
            </span>
          )}
        </span>
      </div>
      <div className="machines-scroll">
        <table className="grid machines-table">
          <thead>
            <tr>
              <th scope="col">Host</th>
              {regions.length > 1 && <th scope="col">Region</th>}
              <th scope="col">Machine</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.host} data-testid={`plan-machine-${r.host}`}>
                <th scope="row" className="mono machine-host">
                  {r.host}
                </th>
                {regions.length > 1 && <td className="mono">{r.m?.region ?? "—"}</td>}
                <td>
                  <MachineText text={r.text} region={false} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {parsed.length > MACHINES_SHOWN && (
        <button type="button" className="btn small ghost machines-more" onClick={() => setAll((a) => !a)} aria-expanded={all}>
          {all ? "Show fewer machines" : `Show all ${parsed.length} machines`}
        </button>
      )}
    </section>
  );
}

function Operation({ op }: { op: PlannedOperation }) {
  const [allBatches, setAllBatches] = useState(false);
  const batches = allBatches ? op.batches : op.batches.slice(0, BATCHES_SHOWN);
  // A playbook step's tasks (sub-steps) are listed under it, not as steps of their own.
  const top = op.steps.filter((s) => s.parent === undefined);
  const tasksOf = new Map<string, PlannedStep[]>();
  for (const s of op.steps) if (s.parent !== undefined) tasksOf.set(s.parent, [...(tasksOf.get(s.parent) ?? []), s]);
  const taskCount = op.steps.length - top.length;
  return (
    <div className="plan-op">
      <div className="plan-op-head">
        <strong className="plan-op-name">{op.name}</strong>
        <span className="row wrap plan-badges">
          <span className="muted">on</span>
          {op.targets.map((t) => (
            <span key={t} className="badge mono">
              {t}
            </span>
          ))}
          <span className="badge" title="Hosts this operation targets">
            {op.hosts.length} {op.hosts.length === 1 ? "host" : "hosts"}
          </span>
          {op.serial !== null && (
            <span className="badge" title="Batch size (run_options.serial)">
              serial {op.serial}
            </span>
          )}
          <span className="badge" title="Stop starting new batches when more than this share of hosts failed">
            max fail {op.maxFailPercentage}%
          </span>
        </span>
      </div>
      {op.hosts.length === 0 ? (
        <p className="notice warn plan-empty">No host matches these targets: this operation runs nowhere.</p>
      ) : (
        <div className="plan-op-body">
          <div>
            <h3>
              {op.batches.length} {op.batches.length === 1 ? "batch" : "batches"}
            </h3>
            <ol className="plan-batches">
              {batches.map((b, i) => (
                <li key={i}>
                  <span className="muted">
                    {i + 1}. {b.length} {b.length === 1 ? "host" : "hosts"}:
                  </span>{" "}
                  <HostNames hosts={b} />
                </li>
              ))}
            </ol>
            {op.batches.length > BATCHES_SHOWN && (
              <button type="button" className="btn small ghost" onClick={() => setAllBatches((a) => !a)} aria-expanded={allBatches}>
                {allBatches ? "Show fewer batches" : `Show all ${op.batches.length} batches`}
              </button>
            )}
          </div>
          <div>
            <h3>
              {top.length} {top.length === 1 ? "step" : "steps"}, in order
              {taskCount > 0 && ` · ${taskCount} playbook ${taskCount === 1 ? "task" : "tasks"}`}
            </h3>
            <ol className="plan-steps">
              {top.map((st, i) => (
                <Step key={st.id} step={st} n={i + 1} showBlueprint={op.blueprints.length > 1} tasks={tasksOf.get(st.id)} />
              ))}
            </ol>
          </div>
        </div>
      )}
    </div>
  );
}

function HostNames({ hosts }: { hosts: string[] }) {
  const [all, setAll] = useState(false);
  const shown = all ? hosts : hosts.slice(0, HOSTS_SHOWN);
  return (
    <span className="plan-hosts">
      {shown.map((h, i) => (
        <span key={h}>
          <span className="mono">{h}</span>
          {i < shown.length - 1 ? ", " : ""}
        </span>
      ))}
      {hosts.length > HOSTS_SHOWN && (
        <>
          {" "}
          <button type="button" className="linkish" onClick={() => setAll((a) => !a)} aria-expanded={all}>
            {all ? "fewer" : `+${hosts.length - HOSTS_SHOWN} more`}
          </button>
        </>
      )}
    </span>
  );
}

function summary(step: PlannedStep): string | null {
  const p = step.params;
  const pick = (k: string) => {
    const v = p[k];
    return typeof v === "string" ? v : null;
  };
  if (step.action === "cmd.run") return pick("cmd");
  if (step.action === "file.managed") return pick("path");
  if (step.action === "script.run") return pick("path") ?? (pick("content")?.split("\n")[0] ?? null);
  if (step.action === "ansible.playbook") {
    const list = (k: string) => (Array.isArray(p[k]) ? (p[k] as unknown[]).join(",") : pick(k));
    const tags = list("tags");
    const skip = list("skip_tags");
    return [pick("playbook"), tags && `--tags ${tags}`, skip && `--skip-tags ${skip}`, p.check === true && "--check", p.diff === true && "--diff"].filter(Boolean).join(" ") || null;
  }
  return null;
}

function Step({ step, n, showBlueprint, tasks }: { step: PlannedStep; n: number; showBlueprint: boolean; tasks?: PlannedStep[] }) {
  const cmd = summary(step);
  return (
    <li className="plan-step">
      <span className="plan-step-n">{n}</span>
      <div className="plan-step-main">
        <div className="row wrap plan-step-line">
          <span className="plan-step-name" title={step.id}>
            {step.name}
          </span>
          <span className="badge mono" title="Action">
            {step.action}
          </span>
          {showBlueprint && <span className="muted plan-bp" title="Blueprint">{step.blueprint}</span>}
          {step.when !== undefined && (
            <span className="badge accent" title="Runs only where this condition holds; skipped elsewhere">
              when <code>{step.when}</code>
            </span>
          )}
          {step.sync && (
            <span className="badge warn" title="Every host of the batch reaches this step before any runs it">
              ⇶ sync
            </span>
          )}
          {step.runOnce && (
            <span className="badge warn" title="Runs on the first host only; the others wait for it and share its result">
              1× run once
            </span>
          )}
          {step.retry && (
            <span className="badge" title="Runs again after a failure">
              ↻ retry {step.retry.limit}× every {formatDuration(step.retry.intervalMs)}
            </span>
          )}
          {step.success !== undefined && (
            <span className="badge accent" title="Fails the step, even after exit 0, when this condition over its result is false">
              ✓ success <code>{step.success}</code>
            </span>
          )}
          {step.continue && (
            <span className="badge warn" title={`Holds the host (and with serial, the next batch) until this is true: checked ${step.continue.limit + 1} times, ${formatDuration(step.continue.intervalMs)} apart`}>
              ◷ continue when <code>{step.continue.condition}</code>
            </span>
          )}
          {step.timeoutMs !== undefined && (
            <span className="badge" title="The attempt fails after this long">
              ◷ timeout {formatDuration(step.timeoutMs)}
            </span>
          )}
          {step.become !== undefined && step.become !== false && (
            <span className="badge" title="Runs through sudo">
              sudo{typeof step.become === "string" ? ` -u ${step.become}` : ""}
            </span>
          )}
        </div>
        {cmd && (
          <code className="plan-cmd" title={cmd}>
            {cmd}
          </code>
        )}
        {step.action === "ansible.playbook" && <Tasks step={step} n={n} tasks={tasks ?? []} />}
      </div>
    </li>
  );
}

const TASKS_SHOWN = 12;

/** A playbook step's tasks as `ansible-playbook --list-tasks` gave them, numbered under the step. */
function Tasks({ step, n, tasks }: { step: PlannedStep; n: number; tasks: PlannedStep[] }) {
  const [all, setAll] = useState(false);
  if (!tasks.length)
    return (
      <p className="plan-tasks-none muted" data-testid={`plan-tasks-${step.id}`}>
        Its tasks are not listed ahead (that needs ansible-playbook on the server); the run shows them as they start.
      </p>
    );
  const shown = all ? tasks : tasks.slice(0, TASKS_SHOWN);
  return (
    <div className="plan-tasks" data-testid={`plan-tasks-${step.id}`}>
      <ol aria-label={`Tasks of ${step.name}`}>
        {shown.map((t, i) => (
          <li key={t.id} data-testid={`plan-task-${t.id}`}>
            <span className="plan-task-n" aria-hidden="true">
              {n}.{i + 1}
            </span>
            <span className="plan-task-name" title={t.id}>
              {t.name}
            </span>
          </li>
        ))}
      </ol>
      {tasks.length > TASKS_SHOWN && (
        <button type="button" className="btn small ghost" onClick={() => setAll((a) => !a)} aria-expanded={all}>
          {all ? "Show fewer tasks" : `Show all ${tasks.length} tasks`}
        </button>
      )}
    </div>
  );
}

export const PLAN_CSS = `
.plan { display: flex; flex-direction: column; gap: 12px; }
.plan-machines { border: 1px solid var(--border); border-radius: var(--radius); background: var(--surface); overflow: hidden; }
.machines-scroll { max-height: 420px; overflow: auto; }
table.grid.machines-table { font-size: 13px; }
table.grid.machines-table th, table.grid.machines-table td { padding: 4px 12px; }
table.grid.machines-table thead th { position: sticky; top: 0; }
table.grid.machines-table tbody th { width: 220px; text-transform: none; letter-spacing: 0; font-size: 12.5px; font-weight: 500; color: var(--text); background: none; position: static; }
table.grid.machines-table tbody tr:last-child th, table.grid.machines-table tbody tr:last-child td { border-bottom: 0; }
table.grid.machines-table tbody tr:hover th { background: var(--surface-2); }
.machine-id { font-size: 12.5px; }
.machine-bad { color: var(--warn); }
.machines-more { margin: 4px 8px 8px; }
.plan-stages { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 12px; }
.plan-stage { border-left: 3px solid var(--accent); padding-left: 12px; display: flex; flex-direction: column; gap: 8px; }
.plan-stage-head { display: flex; gap: 8px; align-items: baseline; }
.plan-stage-n { font-size: 12px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); font-weight: 600; }
.plan-op { border: 1px solid var(--border); border-radius: var(--radius); background: var(--surface); }
.plan-op-head { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; padding: 8px 12px; background: var(--surface-2); border-bottom: 1px solid var(--border); border-radius: var(--radius) var(--radius) 0 0; }
.plan-badges { gap: 4px; }
.plan-op-body { display: grid; grid-template-columns: minmax(200px, 1fr) minmax(300px, 2fr); gap: 16px; padding: 10px 12px; }
.plan-op-body h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); margin: 0 0 6px; font-weight: 600; }
.plan-empty { margin: 10px 12px; }
.plan-batches { margin: 0; padding: 0; list-style: none; display: flex; flex-direction: column; gap: 4px; font-size: 13px; }
.plan-hosts { overflow-wrap: anywhere; }
.linkish { border: 0; background: none; padding: 0; color: var(--accent); font: inherit; cursor: pointer; }
.linkish:hover { text-decoration: underline; }
.plan-steps { margin: 0; padding: 0; list-style: none; display: flex; flex-direction: column; gap: 6px; }
.plan-step { display: flex; gap: 8px; align-items: flex-start; }
.plan-step-n { flex: none; width: 22px; height: 22px; border-radius: 50%; background: var(--surface-2); border: 1px solid var(--border); color: var(--muted); font-size: 11px; font-weight: 600; display: flex; align-items: center; justify-content: center; }
.plan-step-main { min-width: 0; flex: 1; display: flex; flex-direction: column; gap: 2px; }
.plan-step-line { gap: 6px; }
.plan-step-name { font-weight: 600; }
.plan-bp { font-size: 12px; }
.plan-cmd { display: block; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-size: 12px; }
.badge code { font-size: 11.5px; }
.plan-tasks { margin-top: 4px; padding-left: 10px; border-left: 2px solid color-mix(in srgb, var(--accent) 40%, transparent); display: flex; flex-direction: column; align-items: flex-start; gap: 4px; }
.plan-tasks ol { margin: 0; padding: 0; list-style: none; display: flex; flex-direction: column; gap: 2px; font-size: 13px; width: 100%; }
.plan-tasks li { display: flex; gap: 8px; align-items: baseline; min-width: 0; }
.plan-task-n { flex: none; min-width: 28px; color: var(--muted); font-size: 11.5px; font-variant-numeric: tabular-nums; }
.plan-task-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.plan-tasks-none { margin: 4px 0 0; font-size: 12.5px; }
@media (max-width: 800px) { .plan-op-body { grid-template-columns: 1fr; } }
`;
