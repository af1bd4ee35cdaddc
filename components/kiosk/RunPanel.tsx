"use client";

/** The run on screen: what it is, its status, the step bar, the facts a room asks about, problems, every host. */
import { Elapsed } from "~/components/runs/bits";
import { estimate, formatEstimate } from "~/components/runs/estimate";
import { RunStatusBadge } from "~/components/runs/RunStatusBadge";
import { BAR_ORDER, RUN_ACTIVE, STEP_LOOK } from "~/components/runs/states";
import { percentDone, StepBar } from "~/components/runs/StepBar";
import { RelativeTime } from "~/components/ui/RelativeTime";
import type { StepStatus } from "~/server/engine/events";
import { emptyCounts, type RunSnapshot } from "~/server/engine/tracker";
import type { BoardData, Shown } from "./feed";
import { HostTiles } from "./HostTiles";

const MAX_CHIPS = 14;
const nf = new Intl.NumberFormat();

interface Counts {
  counts: Record<StepStatus, number>;
  total: number;
  finished: number;
  failed: { name: string; status: string }[];
  snapshot: RunSnapshot | null;
}

/** The live fold's counts while this screen follows the run, else the board's summary of it. */
function countsOf(run: Shown, data: BoardData): Counts {
  const snap = run.feed?.tracker?.snapshot;
  if (snap) {
    const failed = Object.entries(snap.hosts)
      .filter(([, h]) => h.status === "failed" || h.status === "unreachable")
      .map(([name, h]) => ({ name, status: h.status }));
    return { counts: snap.counts, total: snap.totalSteps, finished: snap.finishedSteps, failed, snapshot: snap };
  }
  const s = [...data.active, ...data.finished].find((r) => r.id === run.id);
  return {
    counts: s?.counts ?? emptyCounts(),
    total: s?.totalSteps ?? 0,
    finished: s?.finishedSteps ?? 0,
    failed: s?.failed ?? [],
    snapshot: null,
  };
}

export function RunPanel({ run, data, now }: { run: Shown; data: BoardData; now: number }) {
  const c = countsOf(run, data);
  const pct = percentDone(c.finished, c.total);
  const active = RUN_ACTIVE.has(run.status);
  const plan = run.feed?.run?.plan;
  const eta = run.status === "running" && c.snapshot && plan ? estimate(c.snapshot, plan, run.feed?.run?.options.forks ?? 1, now) : null;
  const stage = c.snapshot?.stage;
  const batch = c.snapshot?.batch;

  return (
    <main className={`k-main k-run st-run-${run.status}`} aria-label={`Run ${run.id}: ${run.title}`} data-testid="kiosk-run" data-run-id={run.id} data-status={run.status}>
      <div className="k-kicker">
        <span className="k-site" data-testid="kiosk-site">
          {run.site}
        </span>
        <span className="k-sep" aria-hidden="true">
          /
        </span>
        <span>{run.deployment}</span>
        <span className="k-sep" aria-hidden="true">
          ·
        </span>
        <span>run #{run.id}</span>
      </div>
      <div className="k-title-row">
        <h2 className="k-run-title" data-testid="kiosk-run-title">
          {run.title}
        </h2>
        <RunStatusBadge status={run.status} className="big" testId="kiosk-status" />
      </div>

      <div className="k-progress">
        <StepBar counts={c.counts} total={c.total} finished={c.finished} className="big" testId="kiosk-bar" segmentTestId="kiosk-segment" labelFrom={6} />
        <div className="k-pct">
          <strong data-testid="kiosk-percent">{pct}%</strong>
          <span className="k-dim">
            {nf.format(c.finished)} / {nf.format(c.total)} steps
          </span>
        </div>
      </div>

      <ul className="k-legend" aria-label="Steps by state">
        {BAR_ORDER.filter((s) => c.counts[s] > 0).map((s) => (
          <li key={s} data-testid={`kiosk-legend-${s}`}>
            <span className={`k-swatch st-${s} pat-${s}`} aria-hidden="true">
              {STEP_LOOK[s].icon}
            </span>
            <strong>{nf.format(c.counts[s])}</strong> {STEP_LOOK[s].label}
          </li>
        ))}
      </ul>

      <div className="k-facts">
        {run.status === "running" && (
          <span data-testid="kiosk-eta">
            <span className="k-dim">ETA</span> <strong>{formatEstimate(eta)}</strong>
          </span>
        )}
        {run.status === "running" && run.startedAt && (
          <span>
            <span className="k-dim">running</span>{" "}
            <strong>
              <Elapsed from={new Date(run.startedAt).getTime()} />
            </strong>
          </span>
        )}
        {!active && run.finishedAt && (
          <span>
            <span className="k-dim">finished</span>{" "}
            <strong>
              <RelativeTime date={run.finishedAt} now={now} />
            </strong>
            {run.startedAt && (
              <>
                {" "}
                <span className="k-dim">after</span>{" "}
                <strong>
                  <Elapsed from={new Date(run.startedAt).getTime()} to={new Date(run.finishedAt).getTime()} />
                </strong>
              </>
            )}
          </span>
        )}
        {stage && plan && (
          <span>
            <span className="k-dim">stage</span>{" "}
            <strong>
              {stage.index + 1}/{plan.stages.length}
            </strong>{" "}
            {stage.name}
          </span>
        )}
        {batch && active && (
          <span>
            <span className="k-dim">batch</span>{" "}
            <strong>
              {batch.index + 1}/{batch.count}
            </strong>
          </span>
        )}
        {plan && (
          <span>
            <strong>{nf.format(plan.hosts.length)}</strong> <span className="k-dim">{plan.hosts.length === 1 ? "host" : "hosts"}</span>
          </span>
        )}
        <span>
          <span className="k-dim">{run.status === "awaiting_approval" ? "requested by" : "by"}</span> <strong>{run.requestedBy}</strong>
          {run.status === "awaiting_approval" && (
            <span className="k-dim">
              {" "}
              <RelativeTime date={run.createdAt} now={now} />
            </span>
          )}
        </span>
      </div>

      {run.message && !active && run.message !== "cancelled" && <p className="k-message">{run.message.charAt(0).toUpperCase() + run.message.slice(1)}</p>}

      {c.failed.length > 0 && <Problems failed={c.failed} />}

      {c.snapshot && plan && <HostTiles hosts={plan.hosts} snapshot={c.snapshot} />}
    </main>
  );
}

/** Hosts with problems as big chips: failed red, unreachable in its own colour (never shown as failed). */
function Problems({ failed }: { failed: Counts["failed"] }) {
  const shown = failed.slice(0, MAX_CHIPS);
  const failedN = failed.filter((h) => h.status === "failed").length;
  const unreachableN = failed.length - failedN;
  return (
    <section className="k-problems" aria-label="Hosts with problems" data-testid="kiosk-problems">
      <h3 className="k-problems-title">
        {failedN > 0 && (
          <span className="k-bad">
            {failedN} {failedN === 1 ? "host" : "hosts"} failed
          </span>
        )}
        {failedN > 0 && unreachableN > 0 && <span className="k-dim"> · </span>}
        {unreachableN > 0 && <span className="k-unreach">{unreachableN} unreachable</span>}
      </h3>
      <ul className="k-chips">
        {shown.map((h) => (
          <li key={h.name} className={`k-chip st-${h.status}`} data-testid={`kiosk-host-${h.name}`} data-status={h.status}>
            <span aria-hidden="true">{STEP_LOOK[h.status as StepStatus]?.icon ?? "!"}</span> {h.name}
            <span className="sr-only"> {h.status}</span>
          </li>
        ))}
        {failed.length > shown.length && <li className="k-chip more">+{failed.length - shown.length} more</li>}
      </ul>
    </section>
  );
}
