/**
 * Follow a machine until it reaches a target status (spec B5's polling): poll GET machines/{id}/ and the
 * machine's events, report every status change and every new event exactly once, oldest first, and end on the
 * target, on a failure status (Failed …, Broken), on timeout, or on abort.
 *
 * Each poll reads the machine first and its events second, so the events delivered before a status change
 * include the ones that led to it ("Node changed status", the installer's errors).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { MaasClient } from "./client";
import { MaasApiError, MaasConnectionError, type MaasError } from "./errors";
import { formatDuration } from "../../engine/duration";
import { describeMachine, formatEvent, machineRef } from "./format";
import { abortReason } from "./http";
import type { EventLevel, MaasEvent, Machine } from "./schemas";
import { isFailedStatus, type MaasStatusName } from "./status";

/** true: done; false: keep waiting; "failed": end as a failure (besides the Failed …/Broken statuses). */
export type FollowVerdict = boolean | "failed";

export interface FollowOptions {
  /** The status(es) to wait for, or a test of the machine. */
  until: MaasStatusName | readonly MaasStatusName[] | ((machine: Machine) => FollowVerdict);
  /** What `until` waits for, in a timeout message, when it is a function ("Deployed"). */
  describeTarget?: string;
  /** Every status change; the first poll's status counts as one (previous undefined). */
  onStatus?: (machine: Machine, previous: Machine | undefined) => void;
  /** New events of this machine, oldest first, each delivered exactly once. */
  onEvents?: (events: MaasEvent[]) => void;
  signal?: AbortSignal;
  /** Default 30 min (terraform-provider-maas waits 20 for a deployment; slow hardware takes longer). */
  timeoutMs?: number;
  /** Between polls; default 5 s. */
  intervalMs?: number;
  /**
   * Deliver events with a greater id. Take it with `client.lastEventId()` before starting the action, so that
   * the action's own first events ("User starting deployment") are delivered too. Default: the newest event when
   * following starts.
   */
  afterEventId?: number;
  /** The lowest level delivered; default AUDIT (MAAS's lowest: every event). false: no event polling. */
  eventLevel?: EventLevel | false;
  /** Events per request (MAAS allows 1000); default 100. */
  eventPageSize?: number;
  /** Consecutive polls that may fail for a transient reason (region unreachable, 5xx) before giving up; default 3. */
  maxPollErrors?: number;
  onPollError?: (error: MaasError, consecutive: number) => void;
}

export interface FollowResult {
  machine: Machine;
  /** The last events delivered (at most LAST_EVENTS_KEPT). */
  lastEvents: MaasEvent[];
  elapsedMs: number;
}

export const DEFAULT_FOLLOW_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_FOLLOW_INTERVAL_MS = 5_000;
const LAST_EVENTS_KEPT = 20;
/** Pages of events read in one poll: far more than a machine logs between two polls. */
const MAX_EVENT_PAGES_PER_POLL = 20;

/** The machine reached a failure status (or `until` said "failed"). */
export class MaasMachineFailedError extends Error {
  override name = "MaasMachineFailedError";
  readonly machine: Machine;
  readonly region: string;
  /** The last events delivered, oldest first. */
  readonly events: MaasEvent[];

  constructor(region: string, machine: Machine, events: MaasEvent[]) {
    const why = machine.error_description || machine.status_message || "MAAS gave no reason";
    const errors = events.filter((e) => ["ERROR", "CRITICAL", "WARNING"].includes(e.level));
    const shown = (errors.length > 0 ? errors : events).slice(-3).map(formatEvent);
    super(
      `machine ${describeMachine(machineRef(machine))} in MAAS region ${region} went to '${machine.status_name}': ${why}` +
        (shown.length > 0 ? `; last events: ${shown.join(" | ")}` : "") +
        "; see the machine's events in MAAS, fix the cause, then release it and try again",
    );
    this.machine = machine;
    this.region = region;
    this.events = events;
  }
}

/** The machine did not reach the target in time. */
export class MaasFollowTimeoutError extends Error {
  override name = "MaasFollowTimeoutError";
  readonly machine: Machine | undefined;
  readonly region: string;
  readonly elapsedMs: number;
  readonly events: MaasEvent[];

  constructor(region: string, systemId: string, machine: Machine | undefined, target: string, elapsedMs: number, events: MaasEvent[]) {
    const who = machine ? describeMachine(machineRef(machine)) : systemId;
    const where = machine ? `is still '${machine.status_name}'${machine.status_message && machine.status_message !== machine.status_name ? ` (${machine.status_message})` : ""}` : "was never read";
    const last = events.at(-1);
    super(`machine ${who} in MAAS region ${region} ${where} after ${formatDuration(elapsedMs)}, waiting for ${target}${last ? `; last event: ${formatEvent(last)}` : ""}`);
    this.machine = machine;
    this.region = region;
    this.elapsedMs = elapsedMs;
    this.events = events;
  }
}

function verdictOf(until: FollowOptions["until"]): (m: Machine) => FollowVerdict {
  if (typeof until === "function") return until;
  const names: readonly string[] = typeof until === "string" ? [until] : until;
  return (m) => names.includes(m.status_name);
}

function targetOf(options: FollowOptions): string {
  if (options.describeTarget) return options.describeTarget;
  if (typeof options.until === "function") return "the target status";
  return typeof options.until === "string" ? options.until : options.until.join(" or ");
}

function isTransient(error: unknown): error is MaasError {
  return error instanceof MaasConnectionError || (error instanceof MaasApiError && error.status >= 500);
}

/** Reads the events newer than `afterId`, newest page first (the order MAAS serves), and returns them oldest first. */
async function newEvents(client: MaasClient, systemId: string, afterId: number, level: EventLevel, pageSize: number, signal: AbortSignal): Promise<MaasEvent[]> {
  const found = new Map<number, MaasEvent>();
  let before: number | undefined;
  // Paging down with `before` relies only on "newest first"; it stops at the first page reaching afterId.
  for (let page = 0; page < MAX_EVENT_PAGES_PER_POLL; page++) {
    const result = await client.events({ id: systemId, level, limit: pageSize, before }, { signal });
    for (const e of result.events) if (e.id > afterId) found.set(e.id, e);
    const oldest = result.events.reduce((min, e) => Math.min(min, e.id), Number.POSITIVE_INFINITY);
    if (result.events.length < pageSize || oldest <= afterId + 1) break;
    before = oldest;
  }
  return [...found.values()].sort((a, b) => a.id - b.id);
}

export async function followMachine(client: MaasClient, systemId: string, options: FollowOptions): Promise<FollowResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_FOLLOW_TIMEOUT_MS;
  const intervalMs = Math.max(1, options.intervalMs ?? DEFAULT_FOLLOW_INTERVAL_MS);
  const level = options.eventLevel ?? "AUDIT";
  const pageSize = Math.min(1000, Math.max(1, options.eventPageSize ?? 100));
  const maxPollErrors = options.maxPollErrors ?? 3;
  const verdict = verdictOf(options.until);
  const lastEvents: MaasEvent[] = [];
  let lastSeen: Machine | undefined;

  // One signal for every request and wait: the caller's abort, or our own deadline.
  const inner = new AbortController();
  const timedOut = new Error("follow timed out");
  const timer = setTimeout(() => inner.abort(timedOut), timeoutMs);
  const onAbort = () => inner.abort(options.signal ? abortReason(options.signal) : undefined);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const signal = inner.signal;

  const deliver = (events: MaasEvent[]) => {
    if (events.length === 0) return;
    lastEvents.push(...events);
    lastEvents.splice(0, Math.max(0, lastEvents.length - LAST_EVENTS_KEPT));
    options.onEvents?.(events);
  };

  try {
    let afterId = options.afterEventId ?? (level === false ? 0 : await client.lastEventId(systemId, { signal }));
    // Bounded by the deadline; the count is a second bound in case timers are starved.
    const maxPolls = Math.ceil(timeoutMs / intervalMs) + 2;
    let consecutiveErrors = 0;
    for (let poll = 0; poll < maxPolls; poll++) {
      if (poll > 0) await sleep(intervalMs, undefined, { signal });
      let machine: Machine;
      let events: MaasEvent[] = [];
      try {
        machine = await client.getMachine(systemId, { signal });
        if (level !== false) events = await newEvents(client, systemId, afterId, level, pageSize, signal);
        consecutiveErrors = 0;
      } catch (error) {
        if (!signal.aborted && isTransient(error) && ++consecutiveErrors <= maxPollErrors) {
          options.onPollError?.(error, consecutiveErrors);
          continue;
        }
        throw error;
      }
      const newest = events.at(-1);
      if (newest) afterId = newest.id;
      deliver(events);
      const previous = lastSeen;
      lastSeen = machine;
      if (!previous || previous.status_name !== machine.status_name) options.onStatus?.(machine, previous);
      const v = verdict(machine);
      if (v === true) return { machine, lastEvents: [...lastEvents], elapsedMs: performance.now() - started };
      if (v === "failed" || isFailedStatus(machine.status_name)) throw new MaasMachineFailedError(client.region, machine, [...lastEvents]);
    }
    throw timedOut;
  } catch (error) {
    if (options.signal?.aborted) throw abortReason(options.signal);
    if (error === timedOut || (signal.aborted && signal.reason === timedOut)) {
      throw new MaasFollowTimeoutError(client.region, systemId, lastSeen, targetOf(options), performance.now() - started, [...lastEvents]);
    }
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}
