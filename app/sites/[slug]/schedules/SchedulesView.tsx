"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect } from "react";
import { RunStatusBadge, ScheduledFor } from "~/components/runs/RunStatusBadge";
import { runHref } from "~/components/runs/paths";
import { useWorkspace } from "~/components/site/workspace";
import { useTRPC } from "~/components/trpc/react";
import { errorMessage } from "~/components/ui/errors";
import { RelativeTime } from "~/components/ui/RelativeTime";

/** Date and time in the viewer's zone: "Wed 2 Dec, 03:00" (with seconds for a cron that has a seconds field). */
function at(ms: number | Date | string, seconds = false): string {
  return new Date(ms).toLocaleString(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) });
}

/** The Schedules tab: when each schedule fires next, when each maintenance window opens, recent fires and held runs. */
export function SchedulesView() {
  const w = useWorkspace();
  const trpc = useTRPC();
  // Refreshed each minute (next fires move on) and whenever a run of the site changes: the workspace's socket
  // refreshes the runs list, and the overview follows it.
  const overview = useQuery({ ...trpc.schedules.overview.queryOptions({ slug: w.slug }), refetchInterval: 60_000 });
  const runsSeen = useQuery(trpc.runs.list.queryOptions({ slug: w.slug })).dataUpdatedAt;
  const { refetch } = overview;
  useEffect(() => {
    if (runsSeen) void refetch();
  }, [runsSeen, refetch]);
  const data = overview.data;
  const editLink = (where: string) => {
    const [file = "", line = "1", col = "1"] = where.split(":");
    return (
      <Link href={`/sites/${w.slug}/files/${file.split("/").map(encodeURIComponent).join("/")}?line=${line}&col=${col}`} className="muted where">
        {where}
      </Link>
    );
  };

  return (
    <main className="page stack schedules-page">
      <div className="row wrap">
        <h1>Schedules</h1>
        <span className="grow" />
        {data && <span className="muted">revision #{data.revision} · times in your zone ({Intl.DateTimeFormat().resolvedOptions().timeZone})</span>}
      </div>
      {overview.error && (
        <div className="notice error" role="alert">
          Could not load the schedules: {errorMessage(overview.error)}
        </div>
      )}
      {data && data.schedules.length === 0 && data.windows.length === 0 && (
        <div className="card">
          <h2>No schedules or maintenance windows</h2>
          <p className="muted no-margin">
            Add a <code>schedule</code> document (a cron that requests a deployment) or a <code>maintenance_window</code> (when runs may execute) in the{" "}
            <Link href={`/sites/${w.slug}/files`}>Files</Link> tab.
          </p>
        </div>
      )}

      {data && data.scheduled.length > 0 && (
        <section className="card" aria-labelledby="held-title" data-testid="held-runs">
          <h2 id="held-title">Waiting for a window</h2>
          <ul className="plain">
            {data.scheduled.map((r) => (
              <li key={r.id} className="row wrap">
                <Link href={runHref(w.slug, r.id)} className="run-id">
                  #{r.id}
                </Link>
                <code>{r.deployment}</code>
                <RunStatusBadge status="scheduled" />
                <ScheduledFor at={r.scheduledFor} />
                <span className="muted">requested by {r.requestedBy}</span>
              </li>
            ))}
          </ul>
        </section>
      )}

      {data && data.schedules.length > 0 && (
        <section aria-labelledby="schedules-title" className="stack tight">
          <h2 id="schedules-title">Schedules</h2>
          <div className="table-box">
            <table className="grid" data-testid="schedules-table">
              <thead>
                <tr>
                  <th>Schedule</th>
                  <th>When</th>
                  <th>Deployment</th>
                  <th>Next fires</th>
                  <th>Recent fires</th>
                </tr>
              </thead>
              <tbody>
                {data.schedules.map((s) => (
                  <tr key={s.name} data-testid={`schedule-${s.name}`}>
                    <td>
                      <strong>{s.name}</strong> {!s.enabled && <span className="badge">disabled</span>}
                      <div>{editLink(s.where)}</div>
                    </td>
                    <td>
                      <code>{s.cron}</code>
                      <div className="muted">{s.timezone}</div>
                    </td>
                    <td>
                      <code>{s.deployment}</code>
                      {s.targets && <div className="muted">on {s.targets.join(", ")}</div>}
                    </td>
                    <td>
                      {s.next.length ? (
                        <ol className="plain times">
                          {s.next.map((t) => (
                            <li key={t}>
                              {at(t, s.cron.trim().split(/\s+/).length > 5)} <span className="muted">(<RelativeTime date={t} />)</span>
                            </li>
                          ))}
                        </ol>
                      ) : (
                        <span className="muted">{s.enabled ? "never again" : "—"}</span>
                      )}
                    </td>
                    <td>
                      {s.fires.length ? (
                        <ol className="plain times">
                          {s.fires.map((f) => (
                            <li key={String(f.slot)} className="row wrap">
                              <span>{at(f.slot, s.cron.trim().split(/\s+/).length > 5)}</span>
                              {f.runId !== null ? (
                                <>
                                  <Link href={runHref(w.slug, f.runId)}>#{f.runId}</Link>
                                  {f.runStatus && <RunStatusBadge status={f.runStatus} />}
                                </>
                              ) : (
                                <span className="badge error" title={f.message ?? undefined}>
                                  no run
                                </span>
                              )}
                            </li>
                          ))}
                        </ol>
                      ) : (
                        <span className="muted">not fired yet</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      {data && data.windows.length > 0 && (
        <section aria-labelledby="windows-title" className="stack tight">
          <h2 id="windows-title">Maintenance windows</h2>
          <p className="muted no-margin">Approved runs outside their window wait as scheduled; when a window closes during a run, no new batch starts unless it says continue.</p>
          <div className="table-box">
            <table className="grid" data-testid="windows-table">
              <thead>
                <tr>
                  <th>Window</th>
                  <th>Opens</th>
                  <th>Now</th>
                  <th>Holds</th>
                  <th>Blackout</th>
                  <th>On close</th>
                </tr>
              </thead>
              <tbody>
                {data.windows.map((win) => (
                  <tr key={win.name} data-testid={`window-${win.name}`}>
                    <td>
                      <strong>{win.name}</strong>
                      <div>{editLink(win.where)}</div>
                    </td>
                    <td>
                      {win.opens.map((o) => (
                        <div key={o}>
                          <code>{o}</code>
                        </div>
                      ))}
                      <div className="muted">{win.timezone}</div>
                    </td>
                    <td data-testid="window-state">
                      {win.openUntil !== null ? (
                        <>
                          <span className="badge ok">open</span> <span className="muted">until {at(win.openUntil)}</span>
                        </>
                      ) : win.next ? (
                        <>
                          <span className="badge">closed</span> <span>opens {at(win.next.at)}</span> <span className="muted">(<RelativeTime date={win.next.at} />)</span>
                        </>
                      ) : (
                        <span className="badge error">never opens</span>
                      )}
                    </td>
                    <td>{win.appliesTo}</td>
                    <td>{win.blackout.length ? win.blackout.join(", ") : <span className="muted">none</span>}</td>
                    <td>{win.onClose === "continue" ? "runs continue" : "stop new batches"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      <style>{`
        .schedules-page { max-width: 1200px; }
        .schedules-page .tight { gap: 8px; }
        .schedules-page h2 { font-size: 15px; margin: 0; }
        .schedules-page .table-box { border: 1px solid var(--border); border-radius: var(--radius); overflow: auto; background: var(--surface); }
        .schedules-page table.grid tr:last-child td { border-bottom: 0; }
        .schedules-page ul.plain, .schedules-page ol.plain { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
        .schedules-page .times { font-size: 13px; font-variant-numeric: tabular-nums; }
        .schedules-page .where { font-size: 12px; }
        .schedules-page .run-id { font-weight: 600; }
      `}</style>
    </main>
  );
}
