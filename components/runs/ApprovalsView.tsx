"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useWorkspace } from "~/components/site/workspace";
import { useTRPC } from "~/components/trpc/react";
import { errorMessage } from "~/components/ui/errors";
import { RelativeTime } from "~/components/ui/RelativeTime";
import { useMe } from "~/components/ui/session";
import { runHref } from "./paths";

/** The site's runs waiting for a decision, oldest request first, and (for site admins) how many approvals a run needs. */
export function ApprovalsView({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const w = useWorkspace();
  const me = useMe();
  const waiting = useQuery(trpc.runs.list.queryOptions({ slug, status: "awaiting_approval" }));
  const required = w.site?.approvalsRequired;
  const head = w.revision;
  const canReview = w.can("approver");
  const rows = [...(waiting.data ?? [])].reverse();

  return (
    <main className="page stack approvals-page">
      <div>
        <h1>Approvals</h1>
        <p className="muted intro">
          {required === 0
            ? "This site runs without approval: a requested run starts at once."
            : `Every run of this site waits for ${required === 1 ? "one approval" : `${required ?? "…"} approvals`} from an approver who did not request it. Open a request to see what it will run and what changed since the last approved run, then approve or reject it.`}
        </p>
      </div>
      {w.can("admin") && required !== undefined && (
        <p className="muted setting-note">
          As an admin of this site you change how many approvals a run needs on the <Link href={`/sites/${slug}/members`}>Members</Link> page.
        </p>
      )}
      {waiting.error && (
        <div className="notice error" role="alert">
          Could not load the requests: {errorMessage(waiting.error)}
        </div>
      )}
      {waiting.data && rows.length === 0 && (
        <div className="card empty" data-testid="no-approvals">
          <h2>Nothing is waiting for approval</h2>
          <p className="muted no-margin">
            When an operator requests a run from <Link href={`/sites/${slug}/deployments`}>Deployments</Link>, it waits here until an approver decides.
            {canReview ? " You will see it here (and its count on this tab) as soon as it is requested." : ""}
          </p>
        </div>
      )}
      {rows.length > 0 && (
        <ul className="requests" aria-label="Runs awaiting approval" data-testid="approvals-list">
          {rows.map((r) => {
            const stale = head !== undefined && r.revision < head;
            const own = r.requestedBy === me.data?.username;
            return (
              <li key={r.id} className="card request" data-testid={`approval-${r.id}`}>
                <div className="request-main">
                  <div className="row wrap request-title">
                    <Link href={runHref(slug, r.id)} className="request-link">
                      #{r.id} {r.title || r.deployment}
                    </Link>
                    <code className="muted">{r.deployment}</code>
                    {stale && (
                      <span className="badge warn" title={`Requested at revision #${r.revision}; the site is at #${head} now: it must be requested again`} data-testid="stale-badge">
                        ▲ stale: site changed
                      </span>
                    )}
                    {own && <span className="badge">your request</span>}
                  </div>
                  <div className="muted request-facts">
                    <strong className="who">{r.requestedBy}</strong> asked <RelativeTime date={r.createdAt} /> · revision #{r.revision}
                  </div>
                  {r.reason ? <p className="request-reason">“{r.reason}”</p> : <p className="muted request-reason">No reason given.</p>}
                </div>
                <Link href={runHref(slug, r.id)} className={`btn ${canReview && !own && !stale ? "primary" : ""}`}>
                  {canReview && !own && !stale ? "Review" : "Open"}
                </Link>
              </li>
            );
          })}
        </ul>
      )}
      <style>{`
        .approvals-page { max-width: 1100px; }
        .intro { margin: 4px 0 0; max-width: 820px; }
        .no-margin { margin: 0; }
        .empty h2 { margin-bottom: 4px; }
        .requests { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 10px; }
        .request { display: flex; gap: 16px; align-items: center; }
        .request-main { flex: 1; min-width: 0; display: flex; flex-direction: column; gap: 3px; }
        .request-title { gap: 8px; }
        .request-link { font-size: 15px; font-weight: 600; }
        .request-facts { font-size: 13px; }
        .request-facts .who { color: var(--text); }
        .request-reason { margin: 4px 0 0; overflow-wrap: anywhere; }
        .setting-note { margin: -8px 0 0; font-size: 13px; }
      `}</style>
    </main>
  );
}
