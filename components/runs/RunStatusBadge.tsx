import type { RunStatus } from "~/server/engine/events";
import { Ticker } from "~/components/ui/clock";
import { RUN_LOOK } from "./states";

/**
 * A run's status as a badge, icon and text in the status' tone (`.badge.ok`, `.badge.warn`...; `.badge.plain`
 * for a status without one). The run pages and the kiosk show the same badge; the kiosk sizes it up (`big`).
 */
export function RunStatusBadge({ status, testId, className }: { status: RunStatus; testId?: string; className?: string }) {
  const look = RUN_LOOK[status];
  return (
    <span className={`badge ${look.tone || "plain"} run-status${className ? ` ${className}` : ""}`} data-testid={testId} data-status={status}>
      <span aria-hidden="true">{look.icon}</span> {look.label}
    </span>
  );
}

/**
 * A `scheduled` run's countdown: when its maintenance window opens ("window opens in 2 h 05 min", ticking each
 * second in the last hour), with the exact time on hover.
 */
export function ScheduledFor({ at }: { at: Date | string | null | undefined }) {
  if (!at) return <span className="muted">waiting for its maintenance window</span>;
  const when = new Date(at);
  return (
    <span className="muted" data-testid="scheduled-for" title={`The run's maintenance window opens ${when.toLocaleString()}`}>
      window opens <Ticker ms={1000}>{(now) => <time dateTime={when.toISOString()}>{countdown(when.getTime() - now)}</time>}</Ticker>
    </span>
  );
}

/** "in 2 d 3 h", "in 2 h 05 min", "in 4 min 09 s", "now". */
export function countdown(ms: number): string {
  if (ms <= 0) return "now";
  const s = Math.ceil(ms / 1000);
  const [d, h, m, sec] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60];
  const two = (n: number) => String(n).padStart(2, "0");
  if (d) return `in ${d} d ${h} h`;
  if (h) return `in ${h} h ${two(m)} min`;
  if (m) return `in ${m} min ${two(sec)} s`;
  return `in ${sec} s`;
}
