"use client";

import Link from "next/link";
import { runHref } from "~/components/runs/paths";
import { useMountedNow } from "~/components/ui/clock";
import type { EventOutcome } from "~/server/events/types";

/** "4m 12s" until `until`, ticking each second; "now" once passed. */
export function Countdown({ until }: { until: number }) {
  const now = useMountedNow(1000);
  const left = now === null ? null : Math.max(0, Math.round((until - now) / 1000));
  const text = left === null ? "" : left === 0 ? "now" : left >= 3600 ? `${Math.floor(left / 3600)}h ${Math.floor((left % 3600) / 60)}m` : left >= 60 ? `${Math.floor(left / 60)}m ${left % 60}s` : `${left}s`;
  return (
    <time className="countdown" dateTime={new Date(until).toISOString()} title={new Date(until).toLocaleString()} data-testid="countdown">
      {text}
    </time>
  );
}

const LOOK: Record<EventOutcome["result"], { label: string; tone: string }> = {
  matched: { label: "matched", tone: "accent" },
  no_match: { label: "no match", tone: "" },
  condition_false: { label: "condition false", tone: "" },
  held: { label: "held", tone: "warn" },
  waiting: { label: "waiting for more", tone: "warn" },
  fired: { label: "fired", tone: "ok" },
  error: { label: "error", tone: "error" },
};

/** What one event did to one reaction: the run it started, the limiter that holds it and until when, or why nothing. */
export function OutcomeLine({ slug, outcome }: { slug: string; outcome: EventOutcome }) {
  const look = LOOK[outcome.result];
  const who = outcome.reaction === "github" ? "GitHub tracked branch" : outcome.reaction === "*" ? "reactions" : outcome.reaction;
  return (
    <span className="outcome" data-result={outcome.result}>
      <span className="outcome-reaction">{who}</span> <span className={`badge ${look.tone}`}>{look.label}</span>
      {outcome.runId !== undefined && (
        <>
          {" "}
          <Link href={runHref(slug, outcome.runId)} data-testid="outcome-run">
            run #{outcome.runId}
          </Link>
        </>
      )}
      {outcome.until !== undefined && (outcome.result === "held" || outcome.result === "waiting") && (
        <>
          {" "}
          <span className="muted">until</span> <Countdown until={outcome.until} />
        </>
      )}
      {outcome.detail && <span className="muted outcome-detail"> · {outcome.detail}</span>}
    </span>
  );
}

/** The outcomes that say something; "no match" lines are summed up rather than listed. */
export function OutcomeSummary({ slug, outcome }: { slug: string; outcome: EventOutcome[] }) {
  const shown = outcome.filter((o) => o.result !== "no_match");
  if (!shown.length) return <span className="muted">{outcome.length ? `no reaction matched (${outcome.length} considered)` : "no reaction matched"}</span>;
  return (
    <ul className="outcomes">
      {shown.map((o, i) => (
        <li key={`${o.reaction}-${i}`}>
          <OutcomeLine slug={slug} outcome={o} />
        </li>
      ))}
    </ul>
  );
}
