"use client";

/**
 * The run page: header (status, who, when, cancel, re-run), the cloud progress bar, the host grid and the host
 * drawer. It lives in the run's layout, so moving between the run, a host and a step (each its own URL) keeps
 * the live state: only the path changes.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { memo, useCallback, useEffect, useMemo, useState } from "react";
import type { Connection } from "~/components/trpc/live-store";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { errorMessage, errorSentence } from "~/components/ui/errors";
import { RelativeTime } from "~/components/ui/RelativeTime";
import { atLeast } from "~/components/ui/session";
import type { RunStatus } from "~/server/engine/events";
import type { RunSnapshot } from "~/server/engine/tracker";
import { clock, Elapsed, go, RunStatusBadge } from "./bits";
import { RunDialog } from "./dialogs";
import { useRunFeed, type RunFeed, type RunRow } from "./feed";
import { HostDrawer } from "./HostDrawer";
import { HostGrid, type HostMeta } from "./HostGrid";
import { parseRunPath, runHref } from "./paths";
import { ProgressPanel } from "./ProgressPanel";
import { ReviewView, type Review } from "./ReviewPanel";
import { RUN_ACTIVE, RUN_LOOK } from "./states";

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
  const pct = tracker?.snapshot.totalSteps ? Math.floor((tracker.snapshot.finishedSteps * 100) / tracker.snapshot.totalSteps) : 0;

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
      <RunStyles />
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
              <span>{waiting ? "Withdraw this request? It will never run." : status === "approved" ? "Cancel this run before it starts?" : "Stop this run? Running steps are interrupted."}</span>
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
        {!startedAt && (waiting || status === "approved") && <span className="muted">{waiting ? "waiting for approval" : "queued: starting soon"}</span>}
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

const RunStyles = memo(function RunStyles() {
  return <style>{CSS}</style>;
});

const CSS = `
.run-view { flex: 1; min-height: 0; display: grid; grid-template-columns: minmax(0, 1fr); }
.run-view.with-drawer { grid-template-columns: minmax(0, 1fr) minmax(420px, 40%); }
.run-main { display: flex; flex-direction: column; gap: 12px; padding: 12px 16px 0; min-height: 0; min-width: 0; overflow: auto; }
.run-header { display: flex; flex-direction: column; gap: 4px; }
.run-crumbs { font-size: 13px; }
.run-title-row { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; min-height: 34px; }
.run-title { font-size: 20px; }
.run-facts { display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; }
.run-reason { margin: 2px 0 0; color: var(--text); font-style: italic; }
.waiting { gap: 10px; }
.waiting-icon { font-size: 18px; line-height: 1; }
.run-header .confirm { background: var(--error-soft); color: var(--error); padding: 4px 4px 4px 10px; border-radius: var(--radius); font-size: 13px; }
.conn { font-variant-numeric: tabular-nums; }
.live-dot { width: 7px; height: 7px; border-radius: 50%; background: currentColor; display: inline-block; }
.dialog-text { margin: 0; overflow-wrap: anywhere; }

.progress-card { display: flex; flex-direction: column; gap: 10px; padding: 14px 16px; }
.progress-top { display: flex; align-items: center; gap: 14px; }
.pbar { flex: 1; display: flex; height: 26px; border-radius: 5px; overflow: hidden; background: var(--st-pending); box-shadow: inset 0 0 0 1px var(--border); }
.seg { height: 100%; background-color: var(--st); color: var(--st-fg); display: flex; align-items: center; justify-content: center; overflow: hidden; white-space: nowrap; font-size: 12px; font-weight: 600; font-variant-numeric: tabular-nums; }
.seg.st-pending { background: transparent; color: var(--muted); }
.seg + .seg { box-shadow: inset 1px 0 0 rgba(0,0,0,.12); }
.seg-label { padding: 0 6px; text-shadow: 0 0 3px var(--st); }
.pct { display: flex; flex-direction: column; align-items: flex-end; min-width: 120px; font-variant-numeric: tabular-nums; line-height: 1.2; }
.pct strong { font-size: 22px; }
.pct .muted { font-size: 12px; }
.legend { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 13px; }
.legend li { display: inline-flex; align-items: center; gap: 6px; font-variant-numeric: tabular-nums; }
.legend li.zero { opacity: .55; }
.legend strong { min-width: 2ch; }
.swatch { display: inline-flex; align-items: center; justify-content: center; width: 18px; height: 18px; border-radius: 3px; background-color: var(--st); color: var(--st-fg); font-size: 11px; font-weight: 700; }
.swatch.st-pending { box-shadow: inset 0 0 0 1px var(--border); }
.progress-facts { display: flex; flex-wrap: wrap; gap: 4px 24px; font-size: 13px; font-variant-numeric: tabular-nums; }
.op-name { overflow-wrap: anywhere; }
.notices { border-top: 1px solid var(--border); padding-top: 8px; font-size: 13px; }
.notices ul { list-style: none; margin: 6px 0 0; padding: 0; display: flex; flex-direction: column; gap: 3px; }
.notices li { display: flex; gap: 8px; align-items: baseline; }
.notice-icon { color: var(--warn); }
.notice-host { font-weight: 600; }

.host-grid { display: flex; flex-direction: column; gap: 8px; flex: 1 1 auto; min-height: 0; padding-bottom: 12px; }
.grid-toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.grid-search { flex: 1 1 260px; min-width: 200px; }
.btn.toggle.on, .seg-toggle .btn.on { background: var(--accent-soft); border-color: var(--accent); color: var(--accent); }
.seg-toggle { display: inline-flex; }
.seg-toggle .btn:first-child { border-top-right-radius: 0; border-bottom-right-radius: 0; }
.seg-toggle .btn:last-child { border-top-left-radius: 0; border-bottom-left-radius: 0; margin-left: -1px; }
.badge.mini { padding: 0 6px; font-size: 11px; margin-left: 2px; }
.grid-toolbar select { height: 26px; font-size: 13px; }
.grid-count { font-size: 13px; font-variant-numeric: tabular-nums; margin-left: auto; }
.grid-scroll { position: relative; flex: 0 1 auto; min-height: 160px; overflow: auto; border: 1px solid var(--border); border-radius: var(--radius); background: var(--surface); contain: content; }
.grid-head { position: sticky; top: 0; z-index: 2; display: flex; align-items: center; height: 26px; padding: 0 12px; background: var(--surface-2); border-bottom: 1px solid var(--border); font-size: 10px; color: var(--muted); font-variant-numeric: tabular-nums; min-width: max-content; }
.hname-head { width: ${220}px; flex: none; font-size: 12px; text-transform: uppercase; letter-spacing: .4px; font-weight: 600; }
.grid-body { position: relative; }
.hrow { position: absolute; left: 0; right: 0; top: 0; height: ${30}px; display: flex; align-items: center; padding: 0 12px; border-bottom: 1px solid var(--border); contain: layout style; }
.hrow:hover { background: var(--surface-2); }
.hrow.sel { background: var(--accent-soft); box-shadow: inset 3px 0 0 var(--accent); }
.hname { width: 220px; flex: none; display: flex; align-items: center; gap: 6px; color: var(--text); font-family: var(--mono); font-size: 12.5px; padding-right: 8px; }
.hname-text { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.chips { display: flex; gap: 3px; flex: none; }
.col-n { width: 18px; text-align: center; flex: none; }
.col-n.op-start, .chip.op-start { margin-left: 8px; }
.chip { width: 18px; height: 18px; flex: none; border-radius: 3px; background-color: var(--st); color: var(--st-fg); font-size: 10.5px; line-height: 18px; text-align: center; font-weight: 700; overflow: hidden; }
a.chip:hover { text-decoration: none; outline: 2px solid var(--text); outline-offset: 1px; }
.chip.st-pending { box-shadow: inset 0 0 0 1px var(--border); }
.chip.sel { outline: 2px solid var(--accent); outline-offset: 1px; }
.chip.none { background: none; }
.hnote { flex: 1 1 0; min-width: 0; margin-left: 14px; font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--text); }
.hnote-step { color: var(--muted); }
.hnote.failed { color: var(--error); }
.hnote.unreachable { color: var(--st-unreachable); }
.hnote.failed .hnote-step, .hnote.unreachable .hnote-step { color: inherit; opacity: .8; }
.grid-empty { margin: 0; padding: 12px; display: flex; gap: 8px; align-items: center; }
.grid-scroll.tiles { padding: 8px; }
.tile-row { position: absolute; left: 8px; right: 8px; top: 8px; display: flex; gap: 4px; height: 24px; }
.tile { width: 24px; height: 24px; flex: none; border-radius: 4px; background-color: var(--st); color: var(--st-fg); font-size: 12px; line-height: 24px; text-align: center; font-weight: 700; }
.tile.st-pending { box-shadow: inset 0 0 0 1px var(--border); }
.tile.partial { position: relative; }
.tile.partial::after { content: ""; position: absolute; left: 2px; bottom: 2px; height: 3px; width: calc((100% - 4px) * var(--done, 0)); background: currentColor; opacity: .85; border-radius: 1px; }
.tile:hover { text-decoration: none; outline: 2px solid var(--text); outline-offset: 1px; }
.tile.sel { outline: 2px solid var(--accent); outline-offset: 1px; }

.drawer { display: flex; flex-direction: column; min-height: 0; min-width: 0; border-left: 1px solid var(--border); background: var(--surface); }
.drawer-head { display: flex; align-items: center; gap: 8px; padding: 10px 12px; border-bottom: 1px solid var(--border); }
.st-badge { background: var(--st); color: var(--st-fg); border-color: transparent; }
.drawer-head h2 { margin: 0; font-family: var(--mono); font-size: 15px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.drawer-pad { margin: 12px; }
.drawer-steps { max-height: 38%; overflow: auto; border-bottom: 1px solid var(--border); flex: none; }
.steps-table { font-size: 13px; }
.steps-table td, .steps-table th { padding: 5px 8px; }
.steps-table .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.step-cell { max-width: 0; width: 60%; }
.step-link { color: var(--text); font-weight: 500; display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.step-link[aria-current] { color: var(--accent); }
.step-msg { font-size: 12px; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.step-msg.bad { color: var(--error); }
.step-msg.full { white-space: pre-wrap; overflow-wrap: anywhere; text-overflow: clip; }
.drawer-machine { padding: 6px 12px; border-bottom: 1px solid var(--border); font-size: 13px; background: var(--surface-2); }
.machine-id { font-size: 12.5px; }
.state-cell { gap: 6px; white-space: nowrap; }
.log-head { display: flex; align-items: center; gap: 8px; padding: 6px 12px; border-bottom: 1px solid var(--border); font-size: 13px; min-height: 38px; }
.log-step { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.legend-err { display: inline-flex; gap: 6px; align-items: center; font-size: 12px; }
.err-mark { width: 3px; height: 14px; background: #ff6b6b; display: inline-block; border-radius: 1px; }
.log-wrap { position: relative; flex: 1; min-height: 160px; display: flex; }
.log-tail { flex: 1; overflow: auto; background: #0d1117; color: #d6dde6; font-family: var(--mono); font-size: 12.5px; line-height: 18px; padding: 8px 0; }
.log-tail:focus-visible { outline-offset: -2px; }
.ll { padding: 0 12px 0 14px; white-space: pre-wrap; overflow-wrap: anywhere; min-height: 18px; border-left: 3px solid transparent; }
.ll.err { border-left-color: #ff6b6b; background: rgba(255, 90, 90, .09); color: #ffc9c4; }
.ll.step-head { color: #8b98a9; padding-top: 6px; font-weight: 600; }
.log-note { padding: 4px 14px; color: #8b98a9; font-family: var(--sans); font-size: 12.5px; font-style: italic; }
.log-note.error { color: #ff9b93; }
.jump { position: absolute; right: 18px; bottom: 14px; box-shadow: 0 4px 14px rgba(0,0,0,.35); }
.ll.mx-event { padding-left: calc(14px + 9ch); text-indent: -9ch; }
.mx-time { color: #8b98a9; }
.mx-lvl { font-weight: 600; }
.mx-audit, .mx-debug { color: #8b98a9; }
.mx-info { color: #79c0ff; }
.mx-warning { color: #e3b341; }
.mx-error, .mx-critical { color: #ff7b72; }
.mx-type { font-weight: 600; }
.mx-machine { color: #d2a8ff; }
.mx-from { color: #8b98a9; }
.mx-status { font-weight: 700; color: #ffffff; }
.a-bold { font-weight: 700; } .a-dim { opacity: .7; } .a-it { font-style: italic; } .a-ul { text-decoration: underline; }
.a-f0 { color: #6e7681; } .a-f1 { color: #ff7b72; } .a-f2 { color: #3fb950; } .a-f3 { color: #d29922; } .a-f4 { color: #58a6ff; } .a-f5 { color: #bc8cff; } .a-f6 { color: #39c5cf; } .a-f7 { color: #d6dde6; }
.a-f8 { color: #8b949e; } .a-f9 { color: #ffa198; } .a-f10 { color: #56d364; } .a-f11 { color: #e3b341; } .a-f12 { color: #79c0ff; } .a-f13 { color: #d2a8ff; } .a-f14 { color: #56d4dd; } .a-f15 { color: #ffffff; }
.a-b0 { background: #484f58; } .a-b1 { background: #8e1519; } .a-b2 { background: #1a7f37; } .a-b3 { background: #7d4e00; } .a-b4 { background: #0d419d; } .a-b5 { background: #6e40c9; } .a-b6 { background: #1b7c83; } .a-b7 { background: #b1bac4; color: #0d1117; }
.a-b8 { background: #6e7681; } .a-b9 { background: #da3633; } .a-b10 { background: #2ea043; } .a-b11 { background: #bb8009; } .a-b12 { background: #1f6feb; } .a-b13 { background: #8957e5; } .a-b14 { background: #2b9aa0; } .a-b15 { background: #f0f6fc; color: #0d1117; }

@media (max-width: 1000px) {
  .run-view.with-drawer { grid-template-columns: minmax(0, 1fr); }
  .drawer { position: fixed; top: 81px; right: 0; bottom: 0; width: min(560px, 100vw); z-index: 40; box-shadow: -8px 0 30px rgba(0,0,0,.25); }
}
`;
