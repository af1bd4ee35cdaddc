"use client";

import { useState } from "react";
import { Ticker } from "~/components/ui/clock";
import type { RunStatus } from "~/server/engine/events";
import type { Plan } from "~/server/engine/plan";
import type { RunSnapshot } from "~/server/engine/tracker";
import { RunLink } from "./bits";
import { estimate, formatEstimate } from "./estimate";
import { BAR_ORDER, RUN_ACTIVE, STEP_LOOK } from "./states";
import { percentDone, StepBar } from "./StepBar";

const nf = new Intl.NumberFormat();

/** The cloud progress bar: one bar segmented by step state, a legend with counts, percent, ETA, stage, batch, notices. */
export function ProgressPanel({ snapshot, plan, forks, status, hostHref }: { snapshot: RunSnapshot; plan: Plan; forks: number; status: RunStatus; hostHref: (host: string) => string }) {
  const total = snapshot.totalSteps;
  const pct = percentDone(snapshot.finishedSteps, total);
  const active = RUN_ACTIVE.has(status);
  const stage = snapshot.stage;
  const batch = snapshot.batch;
  const op = batch ? plan.stages[batch.stage]?.operations[batch.operation] : undefined;

  return (
    <section className="card progress-card" aria-label="Progress">
      <div className="progress-top">
        <StepBar counts={snapshot.counts} total={total} finished={snapshot.finishedSteps} testId="progress-bar" segmentTestId="segment" zeros labelFrom={7} />
        <div className="pct" aria-live="off">
          <strong data-testid="progress-percent">{pct}%</strong>
          <span className="muted">
            {nf.format(snapshot.finishedSteps)} / {nf.format(total)} steps
          </span>
        </div>
      </div>
      <ul className="legend" aria-label="Steps by state">
        {BAR_ORDER.map((s) => (
          <li key={s} className={snapshot.counts[s] ? undefined : "zero"} data-testid={`legend-${s}`}>
            <span className={`swatch st-${s} pat-${s}`} aria-hidden="true">
              {STEP_LOOK[s].icon}
            </span>
            {STEP_LOOK[s].label} <strong>{nf.format(snapshot.counts[s])}</strong>
          </li>
        ))}
      </ul>
      <div className="progress-facts">
        {active && (
          <Ticker ms={2000}>
            {(now) => {
              const eta = estimate(snapshot, plan, forks, now);
              return (
                <span title={eta?.explain ?? "Known once a step has finished"} data-testid="eta">
                  <span className="muted">ETA</span> {formatEstimate(eta)}
                </span>
              );
            }}
          </Ticker>
        )}
        <span data-testid="stage">
          <span className="muted">Stage</span>{" "}
          {stage ? (
            <>
              {stage.index + 1}/{plan.stages.length} <strong>{stage.name}</strong>
            </>
          ) : (
            <>— of {plan.stages.length}</>
          )}
        </span>
        <span data-testid="batch" title={op ? `operation: ${op.name}` : undefined}>
          <span className="muted">Batch</span>{" "}
          {batch ? (
            <>
              {batch.index + 1}/{batch.count}
              {op && <span className="muted op-name"> of {op.name}</span>}
            </>
          ) : (
            "—"
          )}
        </span>
      </div>
      <Notices notices={snapshot.notices} hostHref={hostHref} />
    </section>
  );
}

const SHOWN = 4;

function Notices({ notices, hostHref }: { notices: RunSnapshot["notices"]; hostHref: (host: string) => string }) {
  const [all, setAll] = useState(false);
  if (!notices.length) return null;
  const shown = all ? notices : notices.slice(-SHOWN);
  return (
    <div className="notices" data-testid="notices">
      <div className="row">
        <strong>Notices</strong>
        <span className="badge">{notices.length}</span>
        {notices.length > SHOWN && (
          <button type="button" className="btn small ghost" onClick={() => setAll((a) => !a)} aria-expanded={all}>
            {all ? "Show the last few" : `Show all ${notices.length}`}
          </button>
        )}
      </div>
      <ul>
        {shown.map((n, i) => (
          <li key={all ? i : notices.length - shown.length + i}>
            <span aria-hidden="true" className="notice-icon">
              ⚑
            </span>
            {n.host && (
              <RunLink href={hostHref(n.host)} className="mono notice-host">
                {n.host}
              </RunLink>
            )}
            <span>{n.message}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
