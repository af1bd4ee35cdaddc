"use client";

import Link from "next/link";
import { useEffect, useMemo, useRef } from "react";
import { formatDuration } from "~/server/engine/duration";
import type { Plan, PlannedStep } from "~/server/engine/plan";
import type { RunSnapshot } from "~/server/engine/tracker";
import { Elapsed, RunLink, StateIcon } from "./bits";
import type { RunFeed } from "./feed";
import { hostStatus } from "./HostGrid";
import { LogTail } from "./LogTail";
import { MachineText } from "./PlanPreview";
import { STEP_LOOK } from "./states";

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

/** One host of the run: its steps (state, duration, exit code, message) and the live tail of its output. */
export function HostDrawer({ feed, plan, snapshot, host, step, hrefFor, closeHref, hostsHref }: Props) {
  const state = snapshot.hosts[host];
  const closeRef = useRef<HTMLAnchorElement>(null);
  const steps = useMemo(() => {
    const out: PlannedStep[] = [];
    for (const stage of plan.stages) for (const op of stage.operations) if (op.hosts.includes(host)) out.push(...op.steps);
    return out;
  }, [plan, host]);
  // MAAS steps' lines (status changes, MAAS events) are styled in the log.
  const maasSteps = useMemo(() => new Set(steps.filter((s) => s.action.startsWith("maas.")).map((s) => s.id)), [steps]);
  const machine = plan.machines?.[host];

  // Escape closes the drawer (when focus is not in a field).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || (e.target instanceof HTMLElement && e.target.closest("input, textarea, select"))) return;
      closeRef.current?.click();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

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
  const selectedPlan = steps.find((s) => s.id === step);

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
          <tbody>
            {steps.map((s, i) => {
              const st = state.steps[s.id];
              if (!st) return null;
              const isSel = s.id === step;
              return (
                <tr key={s.id} className={isSel ? "selected" : undefined} data-testid={`drawer-step-${s.id}`} data-status={st.status}>
                  <td className="num muted">{i + 1}</td>
                  <td className="step-cell">
                    <RunLink href={hrefFor(host, isSel ? null : s.id)} className="step-link" aria-current={isSel ? "true" : undefined} title={isSel ? "Show the output of all steps" : `Show the output of ${s.id}`}>
                      {s.name}
                    </RunLink>
                    {st.message && (
                      // Why a step failed is read in full (a MAAS failure names the machine, the reason and the last events).
                      <div
                        className={`step-msg${st.status === "failed" || st.status === "unreachable" ? " bad full" : isSel ? " full" : ""}`}
                        title={st.message}
                        data-testid={`drawer-step-message-${s.id}`}
                      >
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
            })}
          </tbody>
        </table>
      </div>
      <div className="log-head">
        <strong>Output</strong>
        {step ? (
          <>
            <span className="mono log-step" title={step}>
              {selectedPlan?.name ?? step}
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
      <LogTail key={`${host}\0${step ?? ""}`} feed={feed} host={host} step={step} stepStatus={step ? selected?.status : status} maasSteps={maasSteps} />
    </aside>
  );
}
