/**
 * The trigger limiter as pure functions of a reaction's stored state and the time: what one more occurrence
 * does (count it, test `when`, hold it, wait for more, or fire), and what a due wait does. The reactor runs them
 * inside the store's one-transaction update, so whatever they decide to fire fires once across processes.
 *
 * Order: the occurrence is counted first (so `when` sees `event.occurrences`, this one included), then `when`,
 * then re_react_delay (not again before), min_occurrences (within the window), wait_for_more. Firing consumes
 * the occurrences counted so far.
 */
import type { ReactionDef } from "../../inventory/reactions";
import type { ReactionState } from "../types";

/** Occurrences kept per reaction and key (min_occurrences is at most this). */
export const MAX_OCCURRENCES = 1000;

export type LimitSpec = ReactionDef["limit"];

/** `when` of the reaction for this many occurrences: true, false, or why it could not be decided. */
export type Condition = (occurrences: number) => boolean | { error: string };

export type Decision =
  | { kind: "condition_false"; occurrences: number }
  | { kind: "condition_error"; occurrences: number; error: string }
  /** Counted, not enough yet (min_occurrences). */
  | { kind: "counted"; occurrences: number; needed: number }
  | { kind: "held"; occurrences: number; until: number; detail: string }
  /** `replaced`: the event the wait would have fired for until now (this one takes its place). */
  | { kind: "waiting"; occurrences: number; until: number; detail: string; replaced?: number }
  | { kind: "fire"; occurrences: number };

const EMPTY: ReactionState = { occurrences: [], lastFiredAt: null, waitUntil: null, waitEventId: null, updatedAt: 0 };

/** One more occurrence (event `eventId` at `now`) of a matching event. */
export function occur(current: ReactionState | null, limit: LimitSpec, eventId: number, now: number, condition: Condition): { state: ReactionState; decision: Decision } {
  const prior = current ?? EMPTY;
  const kept = limit.withinMs === undefined ? prior.occurrences : prior.occurrences.filter((o) => o.at > now - limit.withinMs!);
  const occurrences = [...kept, { eventId, at: now }].slice(-MAX_OCCURRENCES);
  const state: ReactionState = { ...prior, occurrences, updatedAt: now };
  const count = occurrences.length;

  const ok = condition(count);
  if (typeof ok === "object") return { state, decision: { kind: "condition_error", occurrences: count, error: ok.error } };
  if (!ok) return { state, decision: { kind: "condition_false", occurrences: count } };

  if (limit.reReactDelayMs !== undefined && prior.lastFiredAt !== null && now < prior.lastFiredAt + limit.reReactDelayMs) {
    const until = prior.lastFiredAt + limit.reReactDelayMs;
    return { state, decision: { kind: "held", occurrences: count, until, detail: `held by re_react_delay (${duration(limit.reReactDelayMs)} after the last reaction)` } };
  }
  if (count < limit.minOccurrences) {
    return { state, decision: { kind: "counted", occurrences: count, needed: limit.minOccurrences } };
  }
  const wait = limit.waitForMore;
  if (wait) {
    const pending = prior.waitUntil !== null;
    const until = pending && !wait.resetOnMore ? prior.waitUntil! : now + wait.timeoutMs;
    const detail = pending
      ? wait.resetOnMore
        ? `wait_for_more: another occurrence, waiting ${duration(wait.timeoutMs)} again`
        : "wait_for_more: counted in the wait already running"
      : `wait_for_more: reacting after ${duration(wait.timeoutMs)}${wait.resetOnMore ? " without another occurrence" : ""}`;
    const replaced = pending && prior.waitEventId !== null && prior.waitEventId !== eventId ? prior.waitEventId : undefined;
    return { state: { ...state, waitUntil: until, waitEventId: eventId }, decision: { kind: "waiting", occurrences: count, until, detail, ...(replaced !== undefined && { replaced }) } };
  }
  return { state: fired(state, now), decision: { kind: "fire", occurrences: count } };
}

/**
 * A wait that was due at `waitUntil` (as the loop read it): it fires now, unless it is gone or was moved
 * (another process fired it, or an occurrence reset it) meanwhile.
 */
export function claimWait(current: ReactionState | null, waitUntil: number, now: number): { state?: ReactionState; fire?: { eventId: number; occurrences: number } } {
  if (!current || current.waitUntil !== waitUntil || waitUntil > now || current.waitEventId === null) return {};
  return { state: fired(current, now), fire: { eventId: current.waitEventId, occurrences: current.occurrences.length } };
}

function fired(state: ReactionState, now: number): ReactionState {
  return { ...state, occurrences: [], lastFiredAt: now, waitUntil: null, waitEventId: null, updatedAt: now };
}

/** 600000 -> "10m", 90000 -> "1m30s", 500 -> "500ms". */
export function duration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let s = Math.round(ms / 1000);
  for (const [unit, size] of [["h", 3600], ["m", 60], ["s", 1]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.join("");
}
