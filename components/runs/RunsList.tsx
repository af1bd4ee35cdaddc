"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect } from "react";
import { io, type Socket } from "socket.io-client";
import { useTRPC } from "~/components/trpc/react";
import { errorMessage } from "~/components/ui/errors";
import { RelativeTime } from "~/components/ui/RelativeTime";
import type { ClientToServerEvents, ServerToClientEvents } from "~/server/broadcaster";
import { Elapsed, RunStatusBadge } from "./bits";
import { runHref } from "./paths";
import { RUN_ACTIVE } from "./states";

/** The site's runs, newest first, refreshed whenever a run of the site starts, ends or changes status. */
export function RunsList({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const runs = useQuery(trpc.runs.list.queryOptions({ slug }));

  useEffect(() => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ path: "/socket.io", transports: ["websocket"] });
    const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.runs.list.queryKey({ slug }) });
    socket.on("connect", () => {
      socket.emit("site.watch", slug);
      refresh(); // after a reconnect, catch up on what changed meanwhile
    });
    socket.on("site.runs", (e) => {
      if (e.site === slug) refresh();
    });
    return () => {
      socket.disconnect();
    };
  }, [slug, queryClient, trpc]);

  return (
    <main className="page stack runs-page">
      <div className="row">
        <h1>Runs</h1>
        <span className="grow" />
        <Link href={`/sites/${slug}/deployments`} className="btn primary">
          <span aria-hidden="true">▶</span> Launch a deployment
        </Link>
      </div>
      {runs.error && (
        <div className="notice error" role="alert">
          Could not load the runs: {errorMessage(runs.error)}
        </div>
      )}
      {runs.data && runs.data.length === 0 && (
        <div className="card">
          <h2>No runs yet</h2>
          <p className="muted no-margin">
            Launch a deployment from the <Link href={`/sites/${slug}/deployments`}>Deployments</Link> tab: its run shows up here, live.
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
                <th>Launched by</th>
                <th>When</th>
                <th className="num">Duration</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.map((r) => (
                <tr key={r.id} data-testid={`run-row-${r.id}`}>
                  <td>
                    <Link href={runHref(slug, r.id)} className="run-id">
                      #{r.id}
                    </Link>
                  </td>
                  <td>
                    <Link href={runHref(slug, r.id)} className="run-title-link">
                      {r.title || r.deployment}
                    </Link>{" "}
                    <code className="muted">{r.deployment}</code>
                  </td>
                  <td title={r.message ?? undefined}>
                    <RunStatusBadge status={r.status} />
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
                      <span className="muted">{RUN_ACTIVE.has(r.status) ? "waiting" : "—"}</span>
                    )}
                  </td>
                </tr>
              ))}
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
        .no-margin { margin: 0; }
        .more { padding: 8px 10px; margin: 0; font-size: 13px; }
      `}</style>
    </main>
  );
}
