"use client";

/**
 * A run that has not started, reviewed like a pull request: who asked and why, what changed in the site since
 * the last approved run (a diff), what will run (the frozen plan), the reviews so far, and Approve / Reject
 * with a comment for those who may decide. A request made stale by a newer revision says so and can be asked
 * again at the newest revision.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import DiffEditor from "~/components/editor/DiffEditor";
import { changedFiles, CHANGE_MARK, lineDelta, type FileChange } from "~/components/site/changes";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { errorMessage, errorSentence } from "~/components/ui/errors";
import { RelativeTime } from "~/components/ui/RelativeTime";
import { useTheme } from "~/components/ui/theme";
import type { RunStatus } from "~/server/engine/events";
import type { RunRow } from "./feed";
import { runHref } from "./paths";
import { PLAN_CSS, PlanPreview, stepsText } from "./PlanPreview";

export type Review = RouterOutputs["runs"]["review"];

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function ReviewView({ slug, run, status, review }: { slug: string; run: RunRow; status: RunStatus; review: Review | undefined }) {
  const plan = run.plan;
  const hostSteps = plan.stages.reduce((n, s) => n + s.operations.reduce((m, op) => m + op.steps.length * op.hosts.length, 0), 0);
  return (
    <div className="review-layout" data-testid="review">
      <div className="review-main">
        {review?.stale && <StaleBanner slug={slug} run={run} review={review} />}
        <section className="card review-card" aria-labelledby="review-why">
          <h2 id="review-why">Who asked and why</h2>
          <div className="requester">
            <span className="avatar big" aria-hidden="true">
              {run.requestedBy.charAt(0).toUpperCase()}
            </span>
            <div className="grow">
              <div>
                <strong data-testid="requested-by">{run.requestedBy}</strong> requested <code>{run.deployment}</code> at revision{" "}
                <Link href={`/sites/${slug}/history?to=${run.revision}`}>#{run.revision}</Link> <RelativeTime date={run.createdAt} />
              </div>
              {run.reason ? (
                <blockquote className="reason" data-testid="run-reason">
                  {run.reason}
                </blockquote>
              ) : (
                <p className="muted no-margin">No reason given.</p>
              )}
            </div>
          </div>
        </section>
        <section className="card review-card" aria-labelledby="review-plan" data-testid="review-plan">
          <div className="card-head">
            <h2 id="review-plan">{status === "awaiting_approval" ? "What will run" : "What it would have run"}</h2>
            <span className="muted">
              {plural(plan.hosts.length, "host")} · {stepsText(plan)} ({hostSteps.toLocaleString()} host-steps) · {plural(plan.stages.length, "stage")} · up to {run.options.forks} hosts at once
              {run.options.limit?.length ? ` · limited to ${plural(run.options.limit.length, "host")}` : ""}
            </span>
          </div>
          <PlanPreview plan={plan} />
        </section>
        <SiteChanges slug={slug} run={run} review={review} />
      </div>
      <aside className="review-side" aria-label="Reviews">
        <Decision slug={slug} run={run} status={status} review={review} />
      </aside>
      <style>{REVIEW_CSS + PLAN_CSS}</style>
    </div>
  );
}

function StaleBanner({ slug, run, review }: { slug: string; run: RunRow; review: Review }) {
  const trpc = useTRPC();
  const router = useRouter();
  const rerequest = useMutation(trpc.runs.rerequest.mutationOptions({ onSuccess: ({ id }) => router.push(runHref(slug, id)) }));
  return (
    <div className="notice warn stale" role="alert" data-testid="stale-banner">
      <div className="grow">
        <strong>The site changed since this request</strong> (revision #{run.revision}, now #{review.head}). Approving it would run a plan that no
        longer matches the site, so it cannot be approved: it has to be requested again at revision #{review.head}.{" "}
        <Link href={`/sites/${slug}/history?from=${run.revision}&to=${review.head}`}>See what changed</Link>
        {rerequest.error && <div role="alert">Could not request it again: {errorMessage(rerequest.error)}</div>}
      </div>
      {review.canCancel ? (
        <button type="button" className="btn primary" onClick={() => rerequest.mutate({ id: run.id })} disabled={rerequest.isPending} data-testid="rerequest">
          {rerequest.isPending ? "Requesting…" : `Request again at #${review.head}`}
        </button>
      ) : (
        <span className="muted">{run.requestedBy} or an approver can request it again.</span>
      )}
    </div>
  );
}

/** The files that differ between the last approved run's revision and this run's, with a Monaco diff of one. */
function SiteChanges({ slug, run, review }: { slug: string; run: RunRow; review: Review | undefined }) {
  const trpc = useTRPC();
  const [theme] = useTheme();
  const base = review?.lastApproved ?? null;
  const after = useQuery({ ...trpc.files.list.queryOptions({ slug, revision: run.revision }), enabled: review !== undefined, staleTime: Infinity });
  const before = useQuery({ ...trpc.files.list.queryOptions({ slug, revision: base?.revision ?? 1 }), enabled: base !== null && review !== undefined, staleTime: Infinity });
  const changes = useMemo<FileChange[] | null>(() => {
    if (!after.data) return null;
    if (!base) return changedFiles([], after.data.files);
    return before.data ? changedFiles(before.data.files, after.data.files) : null;
  }, [after.data, before.data, base]);
  const [picked, setPicked] = useState<string | null>(null);
  const [sideBySide, setSideBySide] = useState(false);
  const selected = changes?.find((c) => c.path === picked) ?? changes?.[0];
  const error = after.error ?? before.error;

  return (
    <section className="card review-card" aria-labelledby="review-changes" data-testid="review-changes">
      <div className="card-head">
        <h2 id="review-changes">What changed since the last approved run</h2>
        {base && (
          <span className="muted" data-testid="diff-range">
            <Link href={runHref(slug, base.id)}>run #{base.id}</Link> at revision #{base.revision} → this request at #{run.revision}
          </span>
        )}
      </div>
      {!review || (!changes && !error) ? (
        <p className="muted no-margin" role="status">
          Comparing revisions…
        </p>
      ) : error ? (
        <div className="notice error" role="alert">
          Could not load the files to compare: {errorMessage(error)}
        </div>
      ) : (
        <>
          {!base && (
            <p className="notice info no-margin" data-testid="first-approved">
              This would be the first approved run of this site: there is nothing to compare with, so every file of revision #{run.revision} is shown as new.
            </p>
          )}
          {base && changes?.length === 0 && (
            <p className="notice info no-margin" data-testid="no-changes">
              Nothing changed: run #{base.id} was approved at {base.revision === run.revision ? "this same revision" : `revision #${base.revision}, with the same files`}.
            </p>
          )}
          {changes && changes.length > 0 && (
            <>
              <ul className="changed-list" aria-label="Changed files">
                {changes.map((c) => {
                  const d = lineDelta(c);
                  const current = c.path === selected?.path;
                  return (
                    <li key={c.path}>
                      <button type="button" className={`changed-file ${current ? "current" : ""}`} aria-pressed={current} onClick={() => setPicked(c.path)} data-testid={`changed-${c.path}`}>
                        <span className={`change-mark ${c.change}`} aria-label={c.change}>
                          {CHANGE_MARK[c.change]}
                        </span>
                        <span className="mono grow">{c.path}</span>
                        <span className="delta">
                          {d.added > 0 && <span className="plus">+{d.added}</span>} {d.removed > 0 && <span className="minus">−{d.removed}</span>}
                        </span>
                      </button>
                    </li>
                  );
                })}
              </ul>
              {selected && (
                <div className="review-diff">
                  <div className="row diff-caption">
                    <span className="muted grow">
                      <code>{selected.path}</code> {selected.change === "modified" ? `revision #${base?.revision} → #${run.revision}` : selected.change === "added" ? "added" : "removed"}
                    </span>
                    <span className="seg-toggle" role="group" aria-label="Diff layout">
                      <button type="button" className={`btn small ${sideBySide ? "" : "on"}`} aria-pressed={!sideBySide} onClick={() => setSideBySide(false)}>
                        Inline
                      </button>
                      <button type="button" className={`btn small ${sideBySide ? "on" : ""}`} aria-pressed={sideBySide} onClick={() => setSideBySide(true)}>
                        Side by side
                      </button>
                    </span>
                  </div>
                  <DiffEditor original={selected.before} modified={selected.after} path={selected.path} theme={theme} height={440} sideBySide={sideBySide} />
                </div>
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}

function Decision({ slug, run, status, review }: { slug: string; run: RunRow; status: RunStatus; review: Review | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [comment, setComment] = useState("");
  const [tried, setTried] = useState<"approve" | "reject" | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.runs.review.queryKey({ id: run.id }) });
  const approve = useMutation(trpc.runs.approve.mutationOptions({ onSuccess: () => (setComment(""), refresh()) }));
  const reject = useMutation(trpc.runs.reject.mutationOptions({ onSuccess: () => (setComment(""), refresh()) }));
  const busy = approve.isPending || reject.isPending;
  const error = approve.error ?? reject.error;
  const waiting = status === "awaiting_approval";
  const approvals = review?.reviews.filter((r) => r.decision === "approve").length ?? 0;
  const required = Math.max(1, review?.required ?? 1);

  return (
    <div className="card decision stack">
      <div>
        <h2>Reviews</h2>
        {waiting && review && (
          <div className="approval-meter" data-testid="approval-count">
            <div className="meter" role="img" aria-label={`${approvals} of ${required} approvals`}>
              {Array.from({ length: required }, (_, i) => (
                <span key={i} className={i < approvals ? "on" : ""} />
              ))}
            </div>
            <span>
              {approvals} of {plural(required, "approval")}
            </span>
          </div>
        )}
      </div>
      {review && review.reviews.length === 0 && <p className="muted no-margin">{waiting ? "No review yet." : "Nobody reviewed this run."}</p>}
      {review && review.reviews.length > 0 && (
        <ol className="reviews" data-testid="reviews">
          {review.reviews.map((r) => (
            <li key={`${r.username}-${String(r.createdAt)}`} className={`review-item ${r.decision}`}>
              <span className={`decision-icon ${r.decision}`} aria-hidden="true">
                {r.decision === "approve" ? "✓" : "✕"}
              </span>
              <div className="grow">
                <div>
                  <strong>{r.username}</strong> {r.decision === "approve" ? "approved" : "rejected"} <RelativeTime date={r.createdAt} />
                </div>
                {r.comment && <p className="review-comment">{r.comment}</p>}
              </div>
            </li>
          ))}
        </ol>
      )}
      {waiting && review?.canReview && !review.stale && (
        <form
          className="stack decide-form"
          onSubmit={(e) => {
            e.preventDefault();
          }}
          aria-label="Your review"
        >
          <label className="field">
            <span>
              Comment <span className="hint">(required to reject)</span>
            </span>
            <textarea
              rows={3}
              value={comment}
              onChange={(e) => setComment(e.target.value)}
              maxLength={2000}
              placeholder="Checked the plan and the diff"
              aria-invalid={tried === "reject" && !comment.trim() ? true : undefined}
              data-testid="review-comment"
            />
          </label>
          {tried === "reject" && !comment.trim() && (
            <div className="notice error" role="alert">
              Say why you reject it: the requester reads it.
            </div>
          )}
          {error && (
            <div className="notice error" role="alert">
              {errorSentence(error)}
            </div>
          )}
          <div className="row">
            <button
              type="button"
              className="btn primary"
              disabled={busy}
              onClick={() => {
                setTried("approve");
                approve.mutate({ id: run.id, comment: comment.trim() });
              }}
              data-testid="approve"
            >
              <span aria-hidden="true">✓</span> {approve.isPending ? "Approving…" : "Approve"}
            </button>
            <button
              type="button"
              className="btn danger-outline"
              disabled={busy}
              onClick={() => {
                setTried("reject");
                if (comment.trim()) reject.mutate({ id: run.id, comment: comment.trim() });
              }}
              data-testid="reject"
            >
              <span aria-hidden="true">✕</span> {reject.isPending ? "Rejecting…" : "Reject"}
            </button>
          </div>
          <p className="muted small no-margin">{approvals + 1 >= required ? "Approving starts the run at once." : `After yours, ${plural(required - approvals - 1, "more approval")} needed.`}</p>
        </form>
      )}
      {waiting && review && !review.canReview && (
        <div className="notice info" data-testid="cannot-review">
          {review.own
            ? "This is your request: waiting for another approver. Nobody approves their own run; share this page's link with an approver of the site."
            : review.stale
              ? "A stale request cannot be reviewed."
              : `An approver of ${slug} decides. This page moves on by itself when they do.`}
        </div>
      )}
      {waiting && <ShareLink />}
    </div>
  );
}

/** The run's address, to paste in chat: it opens exactly this review. */
function ShareLink() {
  const [copied, setCopied] = useState(false);
  const url = typeof window === "undefined" ? "" : window.location.origin + window.location.pathname;
  return (
    <div className="share">
      <label className="field">
        Link to this request
        <span className="row">
          <input type="text" readOnly value={url} className="grow mono share-url" onFocus={(e) => e.currentTarget.select()} data-testid="share-url" />
          <button
            type="button"
            className="btn small"
            onClick={(e) => {
              const input = e.currentTarget.parentElement?.querySelector("input");
              // The clipboard needs a secure context (https or this machine); elsewhere the address is selected to copy by hand.
              const copy = async () => {
                try {
                  await navigator.clipboard.writeText(url);
                  setCopied(true);
                  window.setTimeout(() => setCopied(false), 2000);
                } catch {
                  input?.select();
                }
              };
              void copy();
            }}
          >
            {copied ? "Copied" : "Copy"}
          </button>
        </span>
      </label>
    </div>
  );
}

const REVIEW_CSS = `
.review-layout { display: grid; grid-template-columns: minmax(0, 1fr) 360px; gap: 16px; align-items: start; padding-bottom: 16px; }
.review-main { display: flex; flex-direction: column; gap: 12px; min-width: 0; }
.review-side { position: sticky; top: 0; display: flex; flex-direction: column; gap: 12px; }
.review-card { display: flex; flex-direction: column; gap: 10px; }
.review-card h2 { margin: 0; }
.card-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 12px; }
.card-head .muted { font-size: 13px; }
.requester { display: flex; gap: 12px; align-items: flex-start; }
.avatar.big { width: 32px; height: 32px; font-size: 15px; flex: none; }
.reason { margin: 8px 0 0; padding: 8px 12px; border-left: 3px solid var(--accent); background: var(--surface-2); border-radius: 0 var(--radius) var(--radius) 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.no-margin { margin: 0; }
.small { font-size: 12px; }
.stale { align-items: flex-start; gap: 12px; }
.stale a { color: inherit; text-decoration: underline; }
.changed-list { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; border: 1px solid var(--border); border-radius: var(--radius); overflow: hidden; }
.changed-list li + li { border-top: 1px solid var(--border); }
.changed-file { width: 100%; display: flex; gap: 8px; align-items: center; padding: 6px 10px; background: var(--surface); border: 0; color: var(--text); font: inherit; cursor: pointer; text-align: left; }
.changed-file:hover { background: var(--surface-2); }
.changed-file.current { background: var(--accent-soft); box-shadow: inset 3px 0 0 var(--accent); }
.change-mark { width: 18px; height: 18px; border-radius: 3px; display: inline-flex; align-items: center; justify-content: center; font-weight: 700; font-size: 13px; flex: none; }
.change-mark.added { background: var(--ok-soft); color: var(--ok); }
.change-mark.removed { background: var(--error-soft); color: var(--error); }
.change-mark.modified { background: var(--warn-soft); color: var(--warn); }
.delta { font-family: var(--mono); font-size: 12px; white-space: nowrap; }
.delta .plus { color: var(--ok); }
.delta .minus { color: var(--error); }
.review-diff { display: flex; flex-direction: column; gap: 6px; }
.diff-caption { font-size: 12px; gap: 8px; }
.seg-toggle { display: inline-flex; }
.seg-toggle .btn { border-radius: 0; }
.seg-toggle .btn:first-child { border-radius: var(--radius) 0 0 var(--radius); }
.seg-toggle .btn:last-child { border-radius: 0 var(--radius) var(--radius) 0; margin-left: -1px; }
.seg-toggle .btn.on { background: var(--accent-soft); color: var(--accent); border-color: var(--accent); position: relative; }
.decision h2 { margin: 0 0 6px; }
.approval-meter { display: flex; align-items: center; gap: 8px; font-size: 13px; color: var(--muted); }
.meter { display: flex; gap: 3px; }
.meter span { width: 22px; height: 8px; border-radius: 4px; background: var(--surface-2); box-shadow: inset 0 0 0 1px var(--border); }
.meter span.on { background: var(--ok); box-shadow: none; }
.reviews { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 10px; }
.review-item { display: flex; gap: 10px; align-items: flex-start; font-size: 13px; }
.decision-icon { width: 20px; height: 20px; border-radius: 50%; display: inline-flex; align-items: center; justify-content: center; font-size: 11px; font-weight: 700; flex: none; }
.decision-icon.approve { background: var(--ok-soft); color: var(--ok); }
.decision-icon.reject { background: var(--error-soft); color: var(--error); }
.review-comment { margin: 4px 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.decide-form { gap: 10px; border-top: 1px solid var(--border); padding-top: 12px; }
.btn.danger-outline { color: var(--error); border-color: var(--error); }
.btn.danger-outline:hover:not(:disabled) { background: var(--error-soft); }
.share { border-top: 1px solid var(--border); padding-top: 10px; }
.share-url { font-size: 12px; height: 26px; }
@media (max-width: 1100px) { .review-layout { grid-template-columns: minmax(0, 1fr); } .review-side { position: static; } }
`;
