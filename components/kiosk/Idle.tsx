"use client";

import { RunStatusBadge } from "~/components/runs/RunStatusBadge";
import { StepBar } from "~/components/runs/StepBar";
import { RelativeTime } from "~/components/ui/RelativeTime";
import type { BoardData } from "./feed";

const nf = new Intl.NumberFormat();

/** Nothing runs: the board says so plainly and lists the last few finished runs. */
export function Idle({ data, now }: { data: BoardData; now: number }) {
  const recent = data.finished.slice(0, 5);
  return (
    <main className="k-main k-idle" aria-label="No runs in progress" data-testid="kiosk-idle">
      <div className="k-quiet">
        <span className="k-quiet-icon" aria-hidden="true">
          ✓
        </span>
        <div>
          <p className="k-quiet-title">No runs in progress</p>
          <p className="k-dim k-quiet-text">New runs on {data.sites.length === 1 ? data.sites[0] : `these ${data.sites.length} sites`} appear here as soon as they are requested.</p>
        </div>
      </div>
      {recent.length > 0 && (
        <section className="k-recent" aria-labelledby="k-recent-title">
          <h2 id="k-recent-title" className="k-recent-title">
            Last finished
          </h2>
          <ul>
            {recent.map((r) => (
              <li key={r.id} className="k-recent-row" data-testid={`kiosk-finished-${r.id}`} data-status={r.status}>
                <RunStatusBadge status={r.status} testId="kiosk-status" />
                <div className="k-recent-name">
                  <span className="k-recent-run">{r.title}</span>
                  <span className="k-dim">
                    {r.site} / {r.deployment} · #{r.id}
                  </span>
                </div>
                <StepBar counts={r.counts} total={r.totalSteps} finished={r.finishedSteps} />
                <span className="k-recent-counts">
                  {r.failed.length > 0 ? (
                    <span className="k-bad">
                      {r.failed.length} {r.failed.length === 1 ? "host" : "hosts"} with problems
                    </span>
                  ) : (
                    <span className="k-dim">
                      {nf.format(r.hosts)} {r.hosts === 1 ? "host" : "hosts"}
                    </span>
                  )}
                </span>
                <span className="k-recent-when">{r.finishedAt && <RelativeTime date={r.finishedAt} now={now} />}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}
