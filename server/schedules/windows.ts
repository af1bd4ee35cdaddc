/**
 * Which maintenance windows hold a run, and what they say now: a run may start while any window that applies to
 * it is open; outside them it waits (`scheduled`) for the earliest opening; once running, it starts no new batch
 * after the window it ran in closes, unless that window says `on_close: continue`.
 */
import type { Site } from "../inventory";
import { selectHosts } from "../inventory/targets";
import { nextOpening, openAt, windowCalendar, type WindowCalendar } from "./calendar";

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The windows of `site` that apply to a run of `deployment` on `hosts` (none: the run is never held). */
export function windowsFor(site: Pick<Site, "schedules" | "model" | "resolver">, run: { deployment: string; hosts: readonly string[] }): WindowCalendar[] {
  const out: WindowCalendar[] = [];
  for (const { spec } of site.schedules.windows.values()) {
    const to = spec.applies_to;
    if (to?.deployments && !to.deployments.includes(run.deployment)) continue;
    if (to?.targets) {
      const touched = new Set(selectHosts(site.model, site.resolver, to.targets));
      if (!run.hosts.some((h) => touched.has(h))) continue;
    }
    out.push(windowCalendar(spec));
  }
  return out;
}

export type WindowState =
  | { open: true; window: WindowCalendar; until: number }
  | { open: false; next?: { window: WindowCalendar; at: number } };

/** Open (in the window that stays open longest) or shut (with the earliest opening); undefined: no window applies. */
export function windowState(windows: readonly WindowCalendar[], now: number): WindowState | undefined {
  if (!windows.length) return undefined;
  let open: { window: WindowCalendar; until: number } | undefined;
  for (const w of windows) {
    const o = openAt(w, now);
    if (o && (!open || o.until > open.until)) open = { window: w, until: o.until };
  }
  if (open) return { open: true, ...open };
  let next: { window: WindowCalendar; at: number } | undefined;
  for (const w of windows) {
    const n = nextOpening(w, now);
    if (n && (!next || n.at < next.at)) next = { window: w, at: n.at };
  }
  return { open: false, next };
}

/** Window names as a run's messages say them: 'a' or 'a', 'b'. */
export function windowNames(windows: readonly WindowCalendar[]): string {
  return windows.map((w) => `'${w.name}'`).join(", ");
}

/**
 * The engine's batch gate for a run held by `windows`: a batch starts while a window is open; after the window
 * the run last saw open closes, it stops (or goes on, when that window says `continue`).
 */
export function batchGate(windows: readonly WindowCalendar[], clock: Clock): (() => { ok: true } | { stop: string }) | undefined {
  if (!windows.length) return undefined;
  let last: WindowCalendar | undefined;
  return () => {
    const state = windowState(windows, clock.now());
    if (state?.open) {
      last = state.window;
      return { ok: true };
    }
    if (last?.onClose === "continue") return { ok: true };
    const next = state?.next ? `; it next opens ${new Date(state.next.at).toISOString()}` : "";
    return {
      stop: last
        ? `maintenance window '${last.name}' closed: no new batch starts (the window says on_close: stop_new_batches)${next}`
        : `outside maintenance window ${windowNames(windows)}: the run did not start its first batch${next}`,
    };
  };
}
