/**
 * How run and step states look: a label, an icon (so colour is never the only cue) and a class. The colours
 * themselves live in app/globals.css (`.st-<state>` and `--st-<state>`).
 */
import type { RunStatus, StepStatus } from "~/server/engine/events";

export interface StateLook {
  label: string;
  icon: string;
}

export const STEP_LOOK: Record<StepStatus, StateLook> = {
  ok: { label: "ok", icon: "✓" },
  changed: { label: "changed", icon: "●" },
  failed: { label: "failed", icon: "✕" },
  unreachable: { label: "unreachable", icon: "?" },
  running: { label: "running", icon: "▶" },
  skipped: { label: "skipped", icon: "–" },
  cancelled: { label: "cancelled", icon: "⊘" },
  interrupted: { label: "interrupted", icon: "⚠" },
  pending: { label: "pending", icon: "·" },
};

/** The order of the progress bar's segments and of its legend: done first, then what is still to come. */
export const BAR_ORDER: readonly StepStatus[] = ["ok", "changed", "failed", "unreachable", "running", "skipped", "cancelled", "interrupted", "pending"];

/**
 * Problems first: failed, then unreachable hosts at the top; every other host keeps its place (so the list does
 * not reshuffle while hosts move from pending to running to ok).
 */
export const PROBLEM_RANK: Record<StepStatus, number> = { failed: 0, unreachable: 1, interrupted: 2, cancelled: 2, running: 2, changed: 2, ok: 2, skipped: 2, pending: 2 };

export const RUN_LOOK: Record<RunStatus, StateLook & { tone: "ok" | "error" | "warn" | "accent" | "" }> = {
  awaiting_approval: { label: "awaiting approval", icon: "◷", tone: "warn" },
  scheduled: { label: "scheduled", icon: "◴", tone: "accent" },
  queued: { label: "queued", icon: "◷", tone: "accent" },
  rejected: { label: "rejected", icon: "✕", tone: "error" },
  running: { label: "running", icon: "▶", tone: "accent" },
  succeeded: { label: "succeeded", icon: "✓", tone: "ok" },
  failed: { label: "failed", icon: "✕", tone: "error" },
  cancelled: { label: "cancelled", icon: "⊘", tone: "" },
  interrupted: { label: "interrupted", icon: "⚠", tone: "warn" },
};

export const RUN_ACTIVE: ReadonlySet<RunStatus> = new Set(["awaiting_approval", "scheduled", "queued", "running"]);

/** A queued run's place in line, as people say it: "next in line", "2nd in line", "23rd in line". */
export function linePosition(position: number): string {
  if (position <= 1) return "next in line";
  const tens = position % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][position % 10] ?? "th");
  return `${position}${suffix} in line`;
}
