"use client";

/**
 * The run page: header (status, who, when, cancel, re-run), the cloud progress bar, the host grid and the host
 * drawer. It lives in the run's layout, so moving between the run, a host and a step (each its own URL) keeps
 * the live state: only the path changes.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useState } from "react";
import type { Connection } from "~/components/trpc/live-store";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { clock } from "~/components/ui/clock";
import { errorMessage, errorSentence } from "~/components/ui/errors";
import { RelativeTime } from "~/components/ui/RelativeTime";
import { atLeast } from "~/components/ui/session";
import type { RunStatus } from "~/server/engine/events";
import type { RunSnapshot } from "~/server/engine/tracker";
import { Elapsed, go } from "./bits";
import { RunDialog } from "./dialogs";
import { useRunFeed, type RunFeed, type RunRow } from "./feed";
import { HostDrawer } from "./HostDrawer";
import { HostGrid, type HostMeta } from "./HostGrid";
import { parseRunPath, runHref } from "./paths";
import { ProgressPanel } from "./ProgressPanel";
import { ReviewView, type Review } from "./ReviewPanel";
import { RunStatusBadge, ScheduledFor } from "./RunStatusBadge";
import { linePosition, RUN_ACTIVE, RUN_LOOK } from "./states";
import { percentDone } from "./StepBar";
import "./run-view.css";

type ListRow = RouterOutputs["runs"]["list"][number];

/**
 * The run's status: the event stream's word (run.status before execution: waiting, approved, rejected,
 * cancelled; then run.started and run.finished), else, for a run with no event yet, the stored row's.
 */
function statusOf(feed: RunFeed, snapshot: RunSnapshot, run: RunRow, row: ListRow | undefined): RunStatus {
  if (snapshot.status !== "running" || feed.started) return snapshot.status;
  return row?.status ?? run.status;
}

export function RunView({ slug, id }: { slug: string; id: number }) {
  const feed = useRunFeed(id, slug);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const pathname = usePathname();
  const { host, step } = parseRunPath(pathname, id);

  // The runs list is the cheap way to follow the run's row (status, start, end) after launch.
  const list = useQuery(trpc.runs.list.queryOptions({ slug }));
  // Reviews, the decision and whether the request went stale; refreshed whenever the run's status changes.
  const review = useQuery(trpc.runs.review.queryOptions({ id }));
  useEffect(() => {
    feed.onRunChanged = () => {
      void queryClient.invalidateQueries({ queryKey: trpc.runs.list.queryKey({ slug }) });
      void queryClient.invalidateQueries({ queryKey: trpc.runs.review.queryKey({ id }) });
    };
    return () => {
      feed.onRunChanged = null;
    };
  }, [feed, queryClient, trpc, slug, id]);

  const run = feed.run;
  const hosts = useQuery({ ...trpc.hosts.list.queryOptions({ slug, revision: run?.revision }), enabled: run !== null, staleTime: Infinity });
  const meta = useMemo(() => (hosts.data ? new Map<string, HostMeta>(hosts.data.hosts.map((h) => [h.name, { groups: h.groups, labels: h.labels }])) : undefined), [hosts.data]);

  const hrefFor = useCallback((h: string, s: string | null) => runHref(slug, id, h, s), [slug, id]);
  const onOpen = useCallback((h: string, s: string | null) => go(runHref(slug, id, h, s)), [slug, id]);
  const hostVersion = useCallback((h: string) => feed.hostVersion(h), [feed]);

  const tracker = feed.tracker;
  const row = list.data?.find((r) => r.id === id);
  const status = run && tracker ? statusOf(feed, tracker.snapshot, run, row) : undefined;
  const pct = tracker ? percentDone(tracker.snapshot.finishedSteps, tracker.snapshot.totalSteps) : 0;

  const title = status ? `${RUN_LOOK[status].icon} ${status === "running" ? `${pct}% · ` : ""}Run #${id} · ${run?.title ?? ""}` : `Run #${id}`;
  useEffect(() => {
    document.title = `${title} · Flightdeck`;
  }, [title]);

  if (feed.error) {
    return (
      <main className="page">
        <div className="notice error" role="alert">
          {errorMessage(feed.error)}. <Link href={`/sites/${slug}/runs`}>See the site’s runs</Link>
        </div>
      </main>
    );
  }
  if (!run || !tracker || !status) {
    return (
      <main className="page">
        <p className="muted" role="status">
          Loading run #{id}…
        </p>
      </main>
    );
  }
  const snapshot = tracker.snapshot;
  const message = snapshot.message ?? row?.message ?? run.message;
  // A run that never started (waiting, rejected, withdrawn) is a request to review, not a progress bar.
  const beforeStart = !feed.started && (status === "awaiting_approval" || status === "rejected" || status === "cancelled");

  return (
    <div className={`run-view${host ? " with-drawer" : ""}`}>
      <div className="run-main">
        <RunHeader slug={slug} run={run} row={row} status={status} snapshot={snapshot} connection={feed.connection} review={review.data} role={feed.role} showReason={!beforeStart} />
        {status === "awaiting_approval" ? (
          !review.data?.stale && <WaitingBanner review={review.data} />
        ) : (
          message &&
          message !== "cancelled" && (
            <div className={`notice ${status === "rejected" ? "error" : status === "failed" || status === "interrupted" ? "warn" : "info"}`} data-testid="run-message" role={status === "rejected" ? "alert" : undefined}>
              {message.charAt(0).toUpperCase() + message.slice(1)}
            </div>
          )
        )}
        {review.error && !review.data && (
          <div className="notice error" role="alert">
            Could not load the reviews: {errorMessage(review.error)}
          </div>
        )}
        {beforeStart ? (
          <ReviewView slug={slug} run={run} status={status} review={review.data} />
        ) : (
          <>
            <ProgressPanel snapshot={snapshot} plan={run.plan} forks={run.options.forks} status={status} hostHref={(h) => hrefFor(h, null)} />
            <HostGrid plan={run.plan} active={RUN_ACTIVE.has(status)} snapshot={snapshot} version={feed.version} hostVersion={hostVersion} meta={meta} selectedHost={host} selectedStep={step} hrefFor={hrefFor} onOpen={onOpen} />
          </>
        )}
      </div>
      {host && <HostDrawer feed={feed} plan={run.plan} snapshot={snapshot} host={host} step={step} hrefFor={hrefFor} closeHref={runHref(slug, id)} hostsHref={`/sites/${slug}/hosts/${encodeURIComponent(host)}`} />}
    </div>
  );
}

function WaitingBanner({ review }: { review: Review | undefined }) {
  const approvals = review?.reviews.filter((r) => r.decision === "approve").length ?? 0;
  const required = Math.max(1, review?.required ?? 1);
  return (
    <div className="notice warn waiting" role="status" data-testid="waiting-banner">
      <span className="waiting-icon" aria-hidden="true">
        ◷
      </span>
      <span>
        <strong>Waiting for approval</strong>
        {review ? ` · ${approvals} of ${required} ${required === 1 ? "approval" : "approvals"}` : ""}. Nothing runs until an approver decides; this page moves on by itself
        when they do.
      </span>
    </div>
  );
}

function ConnectionBadge({ connection, active }: { connection: Connection; active: boolean }) {
  if (connection.state === "reconnecting")
    return (
      <span className="badge warn conn" role="status" data-testid="connection" data-state="reconnecting" title="Updates resume and missed events are fetched once the connection is back">
        <span aria-hidden="true">⟳</span> Reconnecting since {clock(connection.since ?? Date.now())}
      </span>
    );
  if (!active) return null;
  if (connection.state === "connecting")
    return (
      <span className="badge conn" data-testid="connection" data-state="connecting">
        <span aria-hidden="true">◌</span> Connecting…
      </span>
    );
  return (
    <span className="badge ok conn" data-testid="connection" data-state="live" title="Updates arrive as they happen">
      <span className="live-dot" aria-hidden="true" /> Live
    </span>
  );
}

function RunHeader({
  slug,
  run,
  row,
  status,
  snapshot,
  connection,
  review,
  role,
  showReason,
}: {
  slug: string;
  run: RunRow;
  row: ListRow | undefined;
  status: RunStatus;
  snapshot: RunSnapshot;
  connection: Connection;
  review: Review | undefined;
  role: RunFeed["role"];
  /** The reason under the title (a run under review shows it in the review instead). */
  showReason: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const cancel = useMutation(trpc.runs.cancel.mutationOptions());
  const rerun = useMutation(trpc.runs.rerunFailed.mutationOptions());
  const [confirming, setConfirming] = useState(false);
  const [rerunOpen, setRerunOpen] = useState(false);
  const active = RUN_ACTIVE.has(status);
  const waiting = status === "awaiting_approval";
  // Operators cancel their own runs, approvers any (the server decides; this only hides the button).
  const canCancel = review?.canCancel === true;
  const canRerun = atLeast(role, "operator");
  const approvers = review?.reviews.filter((r) => r.decision === "approve").map((r) => r.username) ?? [];
  const startedAt = row?.startedAt ?? run.startedAt;
  const finishedAt = row?.finishedAt ?? run.finishedAt;
  const failedHosts = Object.entries(snapshot.hosts)
    .filter(([, h]) => h.status === "failed" || h.status === "unreachable" || h.status === "cancelled")
    .map(([name]) => name);

  useEffect(() => {
    if (!confirming) return;
    const t = setTimeout(() => setConfirming(false), 8000);
    return () => clearTimeout(t);
  }, [confirming]);
  useEffect(() => {
    if (!active) setConfirming(false);
  }, [active]);

  return (
    <header className="run-header">
      <div className="run-crumbs muted">
        <Link href={`/sites/${slug}/runs`}>Runs</Link> <span aria-hidden="true">/</span> #{run.id}
        {run.options.rerunOf !== undefined && (
          <>
            {" "}
            · re-run of <Link href={runHref(slug, run.options.rerunOf)}>#{run.options.rerunOf}</Link>
          </>
        )}
      </div>
      <div className="run-title-row">
        <h1 className="run-title">{run.title}</h1>
        <RunStatusBadge status={status} testId="run-status" />
        <ConnectionBadge connection={connection} active={active} />
        <span className="grow" />
        {active &&
          canCancel &&
          (confirming ? (
            <span className="row confirm" role="group" aria-label="Confirm cancelling">
              <span>{waiting ? "Withdraw this request? It will never run." : status === "queued" ? "Cancel this run before it starts?" : "Stop this run? Running steps are interrupted."}</span>
              <button type="button" className="btn small danger" onClick={() => cancel.mutate({ id: run.id }, { onSettled: () => setConfirming(false) })} disabled={cancel.isPending} data-testid="confirm-cancel" autoFocus>
                {cancel.isPending ? "Cancelling…" : waiting ? "Yes, withdraw it" : "Yes, cancel the run"}
              </button>
              <button type="button" className="btn small" onClick={() => setConfirming(false)}>
                {waiting ? "Keep the request" : "Keep running"}
              </button>
            </span>
          ) : (
            <button type="button" className="btn" onClick={() => setConfirming(true)} data-testid="cancel-run">
              <span aria-hidden="true">⊘</span> {waiting ? (review?.own ? "Withdraw request…" : "Cancel request…") : "Cancel run…"}
            </button>
          ))}
        {!active && canRerun && failedHosts.length > 0 && (
          <button type="button" className="btn primary" onClick={() => setRerunOpen(true)} data-testid="rerun-failed">
            <span aria-hidden="true">↻</span> Re-run failed hosts ({failedHosts.length})
          </button>
        )}
      </div>
      <div className="run-facts">
        <span>
          <span className="muted">deployment</span> <code>{run.deployment}</code>
        </span>
        <span>
          <span className="muted">revision</span> <Link href={`/sites/${slug}/history?to=${run.revision}`}>#{run.revision}</Link>
        </span>
        <span>
          <span className="muted">requested by</span> <strong>{run.requestedBy}</strong> <RelativeTime date={run.createdAt} />
        </span>
        {startedAt && active && (
          <span data-testid="run-elapsed">
            <span className="muted">running</span> <Elapsed from={new Date(startedAt).getTime()} />
          </span>
        )}
        {!startedAt && waiting && <span className="muted">waiting for approval</span>}
        {!startedAt && status === "scheduled" && (
          <ScheduledFor at={row?.scheduledFor ?? run.scheduledFor} />
        )}
        {!startedAt && status === "queued" && (
          <span className="muted" data-testid="queue-position">
            {row?.position ? `queued: ${linePosition(row.position)}` : "queued: starting soon"}
          </span>
        )}
        {approvers.length > 0 && (
          <span data-testid="approved-by">
            <span className="muted">approved by</span> <strong>{approvers.join(", ")}</strong>
          </span>
        )}
        {finishedAt && !active && (
          <span data-testid="run-elapsed">
            <span className="muted">finished</span> <RelativeTime date={finishedAt} />
            {startedAt && (
              <>
                {" "}
                <span className="muted">after</span> <Elapsed from={new Date(startedAt).getTime()} to={new Date(finishedAt).getTime()} />
              </>
            )}
          </span>
        )}
        <span>
          <span className="muted">hosts</span> {run.plan.hosts.length}
        </span>
      </div>
      {run.reason && showReason && <p className="run-reason">“{run.reason}”</p>}
      {cancel.error && (
        <div className="notice error" role="alert">
          Could not cancel: {errorSentence(cancel.error)}
        </div>
      )}
      {rerunOpen && (
        <RunDialog
          title={`Re-run ${failedHosts.length} ${failedHosts.length === 1 ? "host" : "hosts"} of run #${run.id}`}
          submitLabel="Re-run"
          busyLabel="Requesting…"
          testId="rerun-dialog"
          onClose={() => setRerunOpen(false)}
          onSubmit={async () => {
            const { id } = await rerun.mutateAsync({ id: run.id });
            setRerunOpen(false);
            router.push(runHref(slug, id));
          }}
        >
          <p className="muted dialog-text">
            A new run of deployment <code>{run.deployment}</code> at the newest revision (so a fix saved since is what gets tried) on the hosts that failed, were
            unreachable or were cancelled: {failedHosts.slice(0, 8).join(", ")}
            {failedHosts.length > 8 ? ` and ${failedHosts.length - 8} more` : ""}.
          </p>
          {(review?.required ?? 0) > 0 && (
            <p className="notice warn dialog-text">
              Like any run of this site, it waits for {review?.required === 1 ? "an approval" : `${review?.required} approvals`} before it starts.
            </p>
          )}
        </RunDialog>
      )}
    </header>
  );
}
