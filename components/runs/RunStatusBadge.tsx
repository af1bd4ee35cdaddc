import type { RunStatus } from "~/server/engine/events";
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
