/**
 * The control channel: small messages between the processes of one installation about runs, so a click in any
 * dashboard process reaches the worker that executes the run, and a finishing run wakes whoever waits for it.
 * It is a fast path only: every message has a fallback through the database (a cancel request is stored and
 * seen on lease renewal, a finished run's status is in its row, lost nudges are re-sent by the sweeper), so a
 * missed message delays, never loses.
 */
import type { RunStatus } from "../../engine";

export type ControlMessage =
  /** Stop run `run` (running on some worker): `by` asked. The request itself is stored first (requestCancel). */
  | { kind: "cancel"; run: number; by: string }
  /** Run `run` ended with `status` (stored before this is sent). */
  | { kind: "finished"; run: number; status: RunStatus }
  /** The queue changed: run `run` (or some run of `site`) may be claimable now; dispatchers look again. */
  | { kind: "nudge"; run?: number; site?: string };

export type ControlHandler = (message: ControlMessage) => void | Promise<void>;

export interface ControlChannel {
  /**
   * Sends to every process, this one included (delivered here at once, not through the database). Never
   * rejects: a message that cannot be sent is dropped with a log line, its database fallback stands.
   */
  publish(message: ControlMessage): Promise<void>;
  /** Hears every message; returns the unsubscribe. A handler that throws or rejects is logged, never propagated. */
  subscribe(handler: ControlHandler): () => void;
  close(): Promise<void>;
}

/** Parses a payload from another process: anything malformed is ignored (undefined), never thrown. */
export function parseControlMessage(payload: string): ControlMessage | undefined {
  let m: unknown;
  try {
    m = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!m || typeof m !== "object") return undefined;
  const o = m as Record<string, unknown>;
  const run = o.run === undefined ? undefined : Number.isSafeInteger(o.run) ? (o.run as number) : NaN;
  if (Number.isNaN(run)) return undefined;
  if (o.kind === "cancel" && run !== undefined && typeof o.by === "string") return { kind: "cancel", run, by: o.by };
  if (o.kind === "finished" && run !== undefined && typeof o.status === "string") return { kind: "finished", run, status: o.status as RunStatus };
  if (o.kind === "nudge") return { kind: "nudge", ...(run !== undefined && { run }), ...(typeof o.site === "string" && { site: o.site }) };
  return undefined;
}

/** Calls every handler, isolating each: one failing handler neither stops the others nor reaches the sender. */
export function deliver(handlers: Iterable<ControlHandler>, message: ControlMessage) {
  for (const handler of handlers) {
    try {
      const result = handler(message);
      if (result instanceof Promise) result.catch((e: unknown) => logHandlerError(message, e));
    } catch (e) {
      logHandlerError(message, e);
    }
  }
}

function logHandlerError(message: ControlMessage, e: unknown) {
  console.error(`flightdeck: control message ${message.kind}${"run" in message && message.run !== undefined ? ` (run ${message.run})` : ""}: handler failed: ${e instanceof Error ? e.message : String(e)}`);
}
