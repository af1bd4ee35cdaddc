"use client";

import Link from "next/link";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { formatDuration } from "~/server/engine/duration";
import type { Plan, PlannedStep } from "~/server/engine/plan";
import type { RunSnapshot } from "~/server/engine/tracker";
import { Elapsed, RunLink, StateIcon } from "./bits";
import type { RunFeed } from "./feed";
import { hostStatus } from "./HostGrid";
import { LogTail } from "./LogTail";
import { MachineText } from "./PlanPreview";
import { BAR_ORDER, STEP_LOOK } from "./states";
import { RunSteps, taskSummary } from "./substeps";

interface Props {
  feed: RunFeed;
  plan: Plan;
  snapshot: RunSnapshot;
  host: string;
  step: string | null;
  hrefFor: (host: string, step: string | null) => string;
  closeHref: string;
  hostsHref: string;
}

/** One host of the run: its steps (state, duration, exit code, message), a playbook's tasks under it, and the live tail of its output. */
export function HostDrawer({ feed, plan, snapshot, host, step, hrefFor, closeHref, hostsHref }: Props) {
  const state = snapshot.hosts[host];
  const closeRef = useRef<HTMLAnchorElement>(null);
  const steps = useMemo(() => new RunSteps(plan), [plan]);
  // MAAS steps' lines (status changes, MAAS events) are styled in the log.
  const maasSteps = useMemo(() => new Set([...steps.planned.values()].filter((s) => s.action.startsWith("maas.")).map((s) => s.id)), [steps]);
  const machine = plan.machines?.[host];
  const [folded, setFolded] = useState<ReadonlySet<string>>(new Set());

  // Escape closes the drawer (when focus is not in a field).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || (e.target instanceof HTMLElement && e.target.closest("input, textarea, select"))) return;
      closeRef.current?.click();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // A playbook step's output is its own and all its tasks', each under the task's name.
  const group = step !== null && steps.groups.has(step) ? step : null;
  const include = useMemo(() => (group === null ? undefined : (id: string) => steps.inGroup(group, id)), [steps, group]);
  const headOf = useCallback((id: string) => (group !== null ? (id === group ? steps.name(id) : `TASK ${steps.name(id, group)}`) : steps.label(id)), [steps, group]);

  if (!state) {
    return (
      <aside className="drawer" data-testid="host-drawer" aria-label={`Host ${host}`}>
        <header className="drawer-head">
          <h2 className="grow">{host}</h2>
          <RunLink href={closeHref} className="btn small ghost" aria-label="Close the host panel" ref={closeRef}>
            ✕
          </RunLink>
        </header>
        <div className="notice warn drawer-pad">This run does not include host {host}.</div>
      </aside>
    );
  }
  const selected = step ? state.steps[step] : undefined;
  const status = hostStatus(state);
  const list = steps.ofHost(state);
  const tasksOf = new Map<string, string[]>();
  for (const s of list) if (s.parent !== undefined) tasksOf.set(s.parent, [...(tasksOf.get(s.parent) ?? []), s.id]);
  const toggle = (id: string) =>
    setFolded((f) => {
      const next = new Set(f);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  let n = 0;
  let k = 0;
  const rows = list.map(({ id, parent }) => {
    const st = state.steps[id]!;
    const isSel = id === step;
    if (parent === undefined) {
      n++;
      k = 0;
    } else {
      k++;
      // A folded playbook hides its tasks, except the one open.
      if (folded.has(parent) && !isSel) return null;
    }
    const tasks = tasksOf.get(id);
    const isGroup = steps.groups.has(id);
    const open = isGroup && !folded.has(id);
    const name = steps.name(id, parent);
    return (
      <tr key={id} className={`${isSel ? "selected" : ""}${parent !== undefined ? " task-row" : isGroup ? " group-row" : ""}`} data-testid={`drawer-step-${id}`} data-status={st.status} data-parent={parent}>
        <td className="num muted">{parent === undefined ? n : `${n}.${k}`}</td>
        <td className="step-cell">
          <span className="step-line">
            {isGroup && (
              <button
                type="button"
                className="fold"
                onClick={() => toggle(id)}
                aria-expanded={open}
                aria-label={`${open ? "Hide" : "Show"} the tasks of ${name}`}
                title={open ? "Hide the tasks" : "Show the tasks"}
                data-testid={`drawer-fold-${id}`}
              >
                <span aria-hidden="true">{open ? "▾" : "▸"}</span>
              </button>
            )}
            <RunLink
              href={hrefFor(host, isSel ? null : id)}
              className="step-link"
              aria-current={isSel ? "true" : undefined}
              title={isSel ? "Show the output of all steps" : isGroup ? `Show the output of ${name} and its tasks` : `Show the output of ${steps.label(id, parent)}`}
            >
              {name}
            </RunLink>
          </span>
          {isGroup && <GroupFacts step={steps.planned.get(id)} tasks={tasks ?? []} state={state} />}
          {st.message && (
            // Why a step failed is read in full (a MAAS failure names the machine, the reason and the last events).
            <div className={`step-msg${st.status === "failed" || st.status === "unreachable" ? " bad full" : isSel ? " full" : ""}`} title={st.message} data-testid={`drawer-step-message-${id}`}>
              {st.message}
            </div>
          )}
        </td>
        <td>
          <span className="row state-cell">
            <StateIcon status={st.status} />
            {STEP_LOOK[st.status].label}
            {st.attempt !== undefined && st.attempt > 1 && <span className="muted">· try {st.attempt}</span>}
          </span>
        </td>
        <td className="num">{st.status === "running" && st.startedAt ? <Elapsed from={st.startedAt} /> : st.durationMs !== undefined ? formatDuration(st.durationMs) : <span className="muted">—</span>}</td>
        <td className="num mono">{st.exitCode ?? <span className="muted">—</span>}</td>
      </tr>
    );
  });

  return (
    <aside className="drawer" data-testid="host-drawer" aria-label={`Host ${host}`} data-host={host}>
      <header className="drawer-head">
        <StateIcon status={status} />
        <h2 className="grow drawer-title" title={host}>
          {host}
        </h2>
        <span className={`badge st-badge st-${status}`} data-testid="host-status" data-status={status}>
          {STEP_LOOK[status].label}
        </span>
        <Link href={hostsHref} className="btn small ghost" title="The host's resolved variables (Hosts tab)">
          Variables
        </Link>
        <RunLink href={closeHref} className="btn small ghost" aria-label="Close the host panel" title="Close (Esc)" ref={closeRef}>
          ✕
        </RunLink>
      </header>
      {machine && (
        <div className="drawer-machine" data-testid="drawer-machine">
          <span className="muted">MAAS machine</span> <MachineText text={machine} />
        </div>
      )}
      <div className="drawer-steps">
        <table className="grid steps-table">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>Step</th>
              <th>State</th>
              <th className="num">Time</th>
              <th className="num">Exit</th>
            </tr>
          </thead>
          <tbody>{rows}</tbody>
        </table>
      </div>
      <div className="log-head">
        <strong>Output</strong>
        {step ? (
          <>
            <span className="mono log-step" title={step}>
              {steps.label(step)}
              {group !== null && <span className="muted"> and its tasks</span>}
            </span>
            <RunLink href={hrefFor(host, null)} className="btn small ghost">
              All steps
            </RunLink>
          </>
        ) : (
          <span className="muted">all steps</span>
        )}
        <span className="grow" />
        <span className="legend-err muted">
          <span className="err-mark" aria-hidden="true" /> stderr
        </span>
      </div>
      <LogTail key={`${host}\0${step ?? ""}`} feed={feed} host={host} step={step} include={include} headOf={headOf} stepStatus={step ? selected?.status : status} maasSteps={maasSteps} />
    </aside>
  );
}

/** Under a playbook step: its playbook and how far its tasks are ("5 of 7 tasks: 4 ok, 1 changed"). */
function GroupFacts({ step, tasks, state }: { step: PlannedStep | undefined; tasks: string[]; state: RunSnapshot["hosts"][string] }) {
  const { counts, done } = taskSummary(state, tasks);
  const playbook = typeof step?.params.playbook === "string" ? step.params.playbook : null;
  const tally = BAR_ORDER.filter((s) => s !== "pending" && counts[s]).map((s) => `${counts[s]} ${STEP_LOOK[s].label}`);
  return (
    <div className="step-facts muted" data-testid={`drawer-tasks-${step?.id ?? ""}`}>
      {playbook && <span className="mono">{playbook}</span>}
      {playbook && " · "}
      {tasks.length ? `${done} of ${tasks.length} ${tasks.length === 1 ? "task" : "tasks"} done${tally.length ? `: ${tally.join(", ")}` : ""}` : "its tasks appear here as they start"}
    </div>
  );
}
