/**
 * What leaves a run: the state stream (run, stage, batch, host and step states; reliable, numbered) and the
 * output stream (stdout/stderr chunks; stored in batches, may be coalesced on the wire). The engine emits
 * them through a sink; the CLI prints them, the server stores then broadcasts them.
 */
/** `interrupted`: the server stopped while the step ran (or before the host's other steps could). */
export const STEP_STATUSES = ["pending", "running", "ok", "changed", "skipped", "failed", "unreachable", "cancelled", "interrupted"] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
export type HostStatus = StepStatus;
/**
 * `queued`: approved, waiting for a free slot (a worker's, its site's); FIFO by the time it was queued. (Streams
 * stored before issue 13 say `approved` for it; the tracker reads that as `queued`.) `scheduled`: approved outside
 * its maintenance window, waiting for it to open (then `queued`).
 */
export const RUN_STATUSES = ["awaiting_approval", "scheduled", "queued", "rejected", "running", "succeeded", "failed", "cancelled", "interrupted"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export type EngineEvent =
  | { type: "run.started"; hosts: number; steps: number }
  | { type: "stage.started"; stage: number; name: string }
  | { type: "batch.started"; stage: number; operation: number; batch: number; batches: number; hosts: string[] }
  | { type: "host.status"; host: string; status: HostStatus; message?: string }
  | {
      type: "step.status";
      host: string;
      step: string;
      status: StepStatus;
      attempt?: number;
      exitCode?: number | null;
      durationMs?: number;
      message?: string;
      /** On a sub-step (a playbook's task): its step. A sub-step the plan did not list is added on first mention. */
      parent?: string;
    }
  | { type: "notice"; host?: string; message: string }
  | { type: "run.finished"; status: RunStatus; message?: string }
  /** Before execution: requested, a review decision, cancelled or superseded. `by` is who did it. */
  | { type: "run.status"; status: RunStatus; by?: string; message?: string };

export interface OutputChunk {
  host: string;
  step: string;
  stream: "stdout" | "stderr";
  data: string;
}

export interface EventSink {
  event(event: EngineEvent): void;
  output(chunk: OutputChunk): void;
}

/** A stored/broadcast event: the engine's event with its per-run sequence number and time. */
export type RunEvent = EngineEvent & { seq: number; t: number };

/** Final status of a host from its steps: the worst state wins, then changed over ok. */
export function hostOutcome(steps: readonly StepStatus[]): HostStatus {
  for (const s of ["unreachable", "failed", "interrupted", "cancelled", "running"] as const) if (steps.includes(s)) return s;
  if (steps.includes("changed")) return "changed";
  if (steps.includes("ok")) return "ok";
  return steps.length && steps.every((s) => s === "pending") ? "pending" : "skipped";
}
