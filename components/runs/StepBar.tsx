/**
 * A run's steps as one bar, a segment per state, and the percent done: one implementation for the run page
 * and the kiosk, which size and frame it in their own stylesheets.
 */
import type { StepStatus } from "~/server/engine/events";
import { BAR_ORDER, STEP_LOOK } from "./states";
import "./step-bar.css";

const nf = new Intl.NumberFormat();

/** Whole percent of the steps finished, rounded down: 100% only once every step has finished. */
export function percentDone(finished: number, total: number): number {
  return total ? Math.floor((finished * 100) / total) : 0;
}

export interface StepBarProps {
  counts: Record<StepStatus, number>;
  total: number;
  finished: number;
  /** Extra class for the page's size of bar ("big" on the kiosk). */
  className?: string;
  testId?: string;
  /** Each segment gets the test id `${segmentTestId}-${state}`. */
  segmentTestId?: string;
  /** Keep states with no steps as zero-width segments (their count stays in the page's text). */
  zeros?: boolean;
  /** From this width (%) a segment shows its icon and count; narrower ones keep them for screen readers only. */
  labelFrom?: number;
}

/** The bar is one image to assistive technology: "40% done: 12 changed, 3 running, 5 pending". */
export function StepBar({ counts, total, finished, className, testId, segmentTestId, zeros = false, labelFrom = Infinity }: StepBarProps) {
  const shown = BAR_ORDER.filter((s) => counts[s] > 0);
  return (
    <div
      className={className ? `step-bar ${className}` : "step-bar"}
      role="img"
      data-testid={testId}
      aria-label={`${percentDone(finished, total)}% done: ${shown.map((s) => `${counts[s]} ${STEP_LOOK[s].label}`).join(", ") || "no steps"}`}
    >
      {(zeros ? BAR_ORDER : shown).map((s) => {
        const n = counts[s];
        const w = total ? (n * 100) / total : 0;
        return (
          <div
            key={s}
            className={`step-seg st-${s} pat-${s}`}
            style={{ width: `${w}%` }}
            data-testid={segmentTestId && `${segmentTestId}-${s}`}
            data-count={n}
            title={`${STEP_LOOK[s].label}: ${nf.format(n)} ${n === 1 ? "step" : "steps"} (${w.toFixed(w < 1 && w > 0 ? 1 : 0)}%)`}
          >
            <span className={w >= labelFrom ? "step-seg-label" : "sr-only"}>
              <span aria-hidden="true">{STEP_LOOK[s].icon}</span> {nf.format(n)}
            </span>
          </div>
        );
      })}
    </div>
  );
}
