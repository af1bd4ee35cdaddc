/**
 * Time maths of schedules and maintenance windows, on croner (cron with time zones and DST). A window is a set of
 * openings (a cron and a duration; a weekly range is one cron per range) minus its blackout dates, read in its
 * time zone: an instant is inside when an opening covers it and its local date is not blacked out.
 */
import { Cron } from "croner";
import { durationMs } from "../inventory/workflow-schemas";
import type { MaintenanceWindowSpec, ScheduleSpec } from "../inventory/schedule-schemas";
import { WEEKDAYS } from "../inventory/schedule-schemas";

export const DEFAULT_TIMEZONE = "UTC";
const DAY_MS = 86_400_000;
/** How far ahead a window's next opening is looked for (lint: a window that never opens in it is an error). */
export const HORIZON_MS = 366 * DAY_MS;
/** Bound on openings walked in one search: a per-second cron over a year stays cheap. */
const MAX_STEPS = 20_000;

/** A cron read in a time zone; throws croner's message (or the zone's) for a bad one. */
export function cronOf(expression: string, timezone = DEFAULT_TIMEZONE): Cron {
  const problem = timezoneProblem(timezone);
  if (problem) throw new RangeError(problem);
  return new Cron(expression, { timezone, paused: true });
}

/** Why a time zone is not one (undefined: fine). */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return undefined;
  } catch {
    return `unknown time zone '${timezone}' (use an IANA name such as Europe/Paris or UTC)`;
  }
}

/** croner's message without its class prefix ("CronPattern: "). */
export function cronProblem(expression: string): string | undefined {
  try {
    new Cron(expression, { paused: true });
    return undefined;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).replace(/^Cron\w*: /, "");
  }
}

/** A schedule's next fire times after `from`. */
export function nextFires(spec: Pick<ScheduleSpec, "cron" | "timezone">, from: number, count: number): number[] {
  return cronOf(spec.cron, spec.timezone)
    .nextRuns(count, new Date(from))
    .map((d) => d.getTime());
}

/** The newest slot of a schedule at or before `now` (undefined: none in the `within` ms before). */
export function dueSlot(spec: Pick<ScheduleSpec, "cron" | "timezone">, now: number, within: number): number | undefined {
  const cron = cronOf(spec.cron, spec.timezone);
  let slot: number | undefined;
  // Several slots within the range: the newest one (a missed older slot is not made up).
  for (let d = cron.nextRun(new Date(now - within - 1)); d && d.getTime() <= now; d = cron.nextRun(d)) slot = d.getTime();
  return slot;
}

export interface WindowCalendar {
  name: string;
  timezone: string;
  openings: { cron: Cron; durationMs: number }[];
  /** Inclusive local date ranges, YYYY-MM-DD. */
  blackout: { from: string; to: string }[];
  onClose: "stop_new_batches" | "continue";
}

/** A window's calendar; throws (croner's or the zone's message) when its cron or time zone is wrong. */
export function windowCalendar(spec: MaintenanceWindowSpec): WindowCalendar {
  const timezone = spec.timezone ?? DEFAULT_TIMEZONE;
  const openings: WindowCalendar["openings"] = [];
  if (spec.cron !== undefined && spec.duration !== undefined) openings.push({ cron: cronOf(spec.cron, timezone), durationMs: durationMs(spec.duration) });
  for (const range of spec.weekly ?? []) {
    const [sh, sm] = range.start.split(":").map(Number) as [number, number];
    const [eh, em] = range.end.split(":").map(Number) as [number, number];
    const minutes = (eh * 60 + em - (sh * 60 + sm) + 1440) % 1440 || 1440;
    const days = range.days.map((d) => WEEKDAYS.indexOf(d)).join(",");
    openings.push({ cron: cronOf(`${sm} ${sh} * * ${days}`, timezone), durationMs: minutes * 60_000 });
  }
  const blackout = (spec.blackout ?? []).map((b) => {
    const [from, to = from] = b.split("..") as [string, string?];
    return { from, to };
  });
  return { name: spec.name, timezone, openings, blackout, onClose: spec.on_close ?? "stop_new_batches" };
}

/** Whether the window is open at `t`, and until when (the end of the covering opening, cut at a blackout day). */
export function openAt(w: WindowCalendar, t: number): { until: number } | undefined {
  if (blackedOut(w, t)) return undefined;
  let until: number | undefined;
  for (const { cron, durationMs: dur } of w.openings) {
    let steps = 0;
    for (let o = cron.nextRun(new Date(t - dur)); o && o.getTime() <= t && steps++ < MAX_STEPS; o = cron.nextRun(o)) {
      const end = o.getTime() + dur;
      if (end > t) until = Math.max(until ?? 0, end);
    }
  }
  if (until === undefined) return undefined;
  // The stretch ends early at the first blacked-out day inside it.
  for (let m = nextMidnight(w.timezone, t); m < until; m = nextMidnight(w.timezone, m)) if (blackedOut(w, m)) return { until: m };
  return { until };
}

/**
 * The first instant at or after `t` (within `horizon` ms) at which the window is open, with when that stretch
 * closes; undefined when it does not open in that time.
 */
export function nextOpening(w: WindowCalendar, t: number, horizon = HORIZON_MS): { at: number; until: number } | undefined {
  const limit = t + horizon;
  let best: number | undefined;
  for (const { cron, durationMs: dur } of w.openings) {
    let cursor = t - dur;
    for (let steps = 0; steps < MAX_STEPS; steps++) {
      const next = cron.nextRun(new Date(cursor));
      if (!next || next.getTime() > limit || (best !== undefined && next.getTime() >= best)) break;
      const o = next.getTime();
      const end = o + dur;
      let s = Math.max(o, t);
      while (s < end && blackedOut(w, s)) s = nextMidnight(w.timezone, s);
      if (s < end) {
        best = Math.min(best ?? s, s);
        break;
      }
      // Jump past the blacked-out days rather than walk every opening inside them.
      while (s < limit && blackedOut(w, s)) s = nextMidnight(w.timezone, s);
      cursor = Math.max(o, s - dur);
    }
  }
  if (best === undefined || best > limit) return undefined;
  return { at: best, until: openAt(w, best)?.until ?? best };
}

function blackedOut(w: WindowCalendar, t: number): boolean {
  if (!w.blackout.length) return false;
  const day = localDate(w.timezone, t);
  return w.blackout.some((b) => b.from <= day && day <= b.to);
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
/** The local date (YYYY-MM-DD) of `t` in `timezone`. */
export function localDate(timezone: string, t: number): string {
  let f = dateFormats.get(timezone);
  if (!f) dateFormats.set(timezone, (f = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" })));
  return f.format(t);
}

const midnights = new Map<string, Cron>();
/** The next local midnight after `t` in `timezone` (DST-aware). */
function nextMidnight(timezone: string, t: number): number {
  let c = midnights.get(timezone);
  if (!c) midnights.set(timezone, (c = new Cron("0 0 0 * * *", { timezone, paused: true })));
  return c.nextRun(new Date(t))?.getTime() ?? t + DAY_MS;
}
