"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useWorkspace } from "~/components/site/workspace";
import { useTRPC } from "~/components/trpc/react";
import { errorMessage } from "~/components/ui/errors";
import { RelativeTime } from "~/components/ui/RelativeTime";
import { Elapsed } from "./bits";
import { RunStatusBadge, ScheduledFor } from "./RunStatusBadge";
import { runHref } from "./paths";
import { RUN_STATUSES, type RunStatus } from "~/server/engine/events";
import { linePosition, RUN_ACTIVE, RUN_LOOK } from "./states";

/** The site's runs, newest first, refreshed whenever a run of the site changes status (the site's socket). */
export function RunsList({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const w = useWorkspace();
  const router = useRouter();
  const search = useSearchParams();
  const wanted = search.get("status");
  const status = RUN_STATUSES.includes(wanted as RunStatus) ? (wanted as RunStatus) : undefined;
  const runs = useQuery(trpc.runs.list.queryOptions({ slug, status }));
  const canRequest = w.can("operator");
  const head = w.revision;

  return (
    <main className="page stack runs-page">
      <div className="row wrap">
        <h1>Runs</h1>
        <span className="grow" />
        <label className="row status-filter">
          <span className="muted">Status</span>
          <select value={status ?? ""} onChange={(e) => router.replace(`/sites/${slug}/runs${e.target.value ? `?status=${e.target.value}` : ""}`)} aria-label="Show runs with status">
            <option value="">all</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {RUN_LOOK[s].label}
              </option>
            ))}
          </select>
        </label>
        {canRequest && (
          <Link href={`/sites/${slug}/deployments`} className="btn primary">
            <span aria-hidden="true">▶</span> {(w.site?.approvalsRequired ?? 0) > 0 ? "Request a run" : "Launch a deployment"}
          </Link>
        )}
      </div>
      {runs.error && (
        <div className="notice error" role="alert">
          Could not load the runs: {errorMessage(runs.error)}
        </div>
      )}
      {runs.data && runs.data.length === 0 && (
        <div className="card">
          <h2>{status ? `No run is ${RUN_LOOK[status].label}` : "No runs yet"}</h2>
          <p className="muted no-margin">
            {status ? (
              <>
                <Link href={`/sites/${slug}/runs`}>Show every run</Link>.
              </>
            ) : canRequest ? (
              <>
                Request a run of a deployment from the <Link href={`/sites/${slug}/deployments`}>Deployments</Link> tab: it shows up here, live.
              </>
            ) : (
              "Runs requested by the site's operators show up here, live."
            )}
          </p>
        </div>
      )}
      {runs.data && runs.data.length > 0 && (
        <div className="runs-table">
          <table className="grid" data-testid="runs-table">
            <thead>
              <tr>
                <th>Run</th>
                <th>Deployment</th>
                <th>Status</th>
                <th>Revision</th>
                <th>Requested by</th>
                <th>When</th>
                <th className="num">Duration</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.map((r) => {
                const stale = r.status === "awaiting_approval" && head !== undefined && r.revision < head;
                return (
                  <tr key={r.id} data-testid={`run-row-${r.id}`}>
                    <td>
                      <Link href={runHref(slug, r.id)} className="run-id">
                        #{r.id}
                      </Link>
                    </td>
                    <td className="run-what">
                      <Link href={runHref(slug, r.id)} className="run-title-link">
                        {r.title || r.deployment}
                      </Link>{" "}
                      <code className="muted">{r.deployment}</code>
                      {r.reason && (
                        <div className="run-reason-line muted" title={r.reason}>
                          {r.reason}
                        </div>
                      )}
                    </td>
                    <td title={r.message ?? undefined}>
                      <span className="row wrap status-cell">
                        <RunStatusBadge status={r.status} />
                        {r.status === "queued" && r.position !== null && (
                          <span className="muted" data-testid="queue-position">
                            {linePosition(r.position)}
                          </span>
                        )}
                        {r.status === "scheduled" && <ScheduledFor at={r.scheduledFor} />}
                        {stale && (
                          <span className="badge warn" title={`Requested at revision #${r.revision}; the site is at #${head} now`}>
                            stale
                          </span>
                        )}
                      </span>
                    </td>
                    <td>
                      <Link href={`/sites/${slug}/history?to=${r.revision}`}>#{r.revision}</Link>
                    </td>
                    <td>{r.requestedBy}</td>
                    <td>
                      <RelativeTime date={r.createdAt} />
                    </td>
                    <td className="num">
                      {r.startedAt ? (
                        r.finishedAt ? (
                          <Elapsed from={new Date(r.startedAt).getTime()} to={new Date(r.finishedAt).getTime()} />
                        ) : RUN_ACTIVE.has(r.status) ? (
                          <Elapsed from={new Date(r.startedAt).getTime()} />
                        ) : (
                          <span className="muted">—</span>
                        )
                      ) : (
                        <span className="muted">{r.status === "awaiting_approval" ? "not started" : r.status === "queued" ? "waiting for a slot" : r.status === "scheduled" ? "waiting for its window" : "never ran"}</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {runs.data.length >= 50 && <p className="muted more">Showing the newest {runs.data.length} runs.</p>}
        </div>
      )}
      <style>{`
        .runs-page { max-width: 1200px; }
        .runs-table { border: 1px solid var(--border); border-radius: var(--radius); overflow: hidden; background: var(--surface); }
        .runs-table table.grid tr:last-child td { border-bottom: 0; }
        .runs-table td { vertical-align: middle; }
        .runs-table .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
        .run-id { font-weight: 600; font-variant-numeric: tabular-nums; }
        .run-title-link { color: var(--text); font-weight: 500; }
        .run-what { max-width: 420px; }
        .run-reason-line { font-size: 12.5px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        .status-cell { gap: 4px; }
        .status-filter { font-size: 13px; }
        .no-margin { margin: 0; }
        .more { padding: 8px 10px; margin: 0; font-size: 13px; }
      `}</style>
    </main>
  );
}
