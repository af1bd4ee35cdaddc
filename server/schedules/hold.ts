/**
 * Runs and their maintenance windows, on the control plane: an approved run outside its windows waits
 * `scheduled` until the next opening (`hold`); the scheduler's loop moves it to `queued` once a window is open
 * (`release`). Both are conditional transitions, so two processes never both move one run.
 */
import type { Broadcaster } from "../broadcast";
import type { EngineEvent } from "../engine";
import { StoredSink } from "../runs/sink";
import type { RunQueue } from "../runs/queue/types";
import { loadRevision } from "../site-cache";
import type { RunRow, Store } from "../store/types";
import { batchGate, windowNames, windowsFor, windowState, type Clock } from "./windows";

/** Rechecked this often when no window of the run opens within the horizon (lint says so meanwhile). */
const RECHECK_MS = 3_600_000;

export interface HoldDeps {
  store: Store;
  broadcaster: Broadcaster;
  clock: Clock;
}

async function runWindows(store: Store, run: RunRow) {
  const { site } = await loadRevision(store.sites, run.site, run.revision);
  return windowsFor(site, { deployment: run.deployment, hosts: run.plan.hosts });
}

/**
 * Run `id`, just approved (`message` says by whom), waits `scheduled` when it is outside every window that applies
 * to it; true when it was held (else the caller queues it as usual).
 */
export async function holdOutsideWindow(o: HoldDeps, id: number, by: string, message: string): Promise<boolean> {
  const run = await o.store.runs.get(id);
  const windows = await runWindows(o.store, run);
  const now = o.clock.now();
  const state = windowState(windows, now);
  if (!state || state.open) return false;
  const at = state.next?.at ?? now + RECHECK_MS;
  if (!(await o.store.runs.transition(id, ["awaiting_approval"], "scheduled", { approvedAt: new Date(now), scheduledFor: new Date(at) }))) return false;
  const waits = state.next ? `waits for maintenance window '${state.next.window.name}' to open at ${new Date(at).toISOString()}` : `no maintenance window ${windowNames(windows)} opens within 366 days`;
  await statusEvent(o, id, { type: "run.status", status: "scheduled", by, message: `${message}; outside its maintenance windows: ${waits}` });
  o.broadcaster.siteRuns(run.site, id);
  return true;
}

/**
 * A `scheduled` run whose time came: `queued` when a window is open now (then the queue hears of it), else its
 * scheduled_for moves to the next opening. True when it was queued by this call.
 */
export async function releaseIfOpen(o: HoldDeps & { queue: Pick<RunQueue, "submit"> }, id: number): Promise<boolean> {
  const run = await o.store.runs.get(id);
  if (run.status !== "scheduled") return false;
  const windows = await runWindows(o.store, run);
  const now = o.clock.now();
  const state = windowState(windows, now);
  if (state && !state.open) {
    const at = state.next?.at ?? now + RECHECK_MS;
    await o.store.runs.transition(id, ["scheduled"], "scheduled", { scheduledFor: new Date(at) });
    return false;
  }
  if (!(await o.store.runs.transition(id, ["scheduled"], "queued", { queuedAt: new Date(now), scheduledFor: null }))) return false;
  const message = state?.open ? `maintenance window '${state.window.name}' is open (until ${new Date(state.until).toISOString()})` : "no maintenance window holds it any more";
  await statusEvent(o, id, { type: "run.status", status: "queued", by: "flightdeck", message });
  o.broadcaster.siteRuns(run.site, id);
  await o.queue.submit(id);
  return true;
}

/**
 * A `queued` run (waiting for its site's slot or a worker) whose windows closed before it started waits
 * `scheduled` again for the next opening, rather than start and stop before its first batch. A worker that claims
 * it meanwhile wins (the transition is conditional); the batch gate then stops it. True when it was held again.
 */
export async function holdQueuedOutsideWindow(o: HoldDeps, id: number): Promise<boolean> {
  const run = await o.store.runs.get(id);
  if (run.status !== "queued") return false;
  const now = o.clock.now();
  const state = windowState(await runWindows(o.store, run), now);
  if (!state || state.open) return false;
  const at = state.next?.at ?? now + RECHECK_MS;
  if (!(await o.store.runs.transition(id, ["queued"], "scheduled", { queuedAt: null, scheduledFor: new Date(at) }))) return false;
  const waits = state.next ? `it waits for maintenance window '${state.next.window.name}' to open at ${new Date(at).toISOString()}` : "no window of it opens within 366 days";
  await statusEvent(o, id, { type: "run.status", status: "scheduled", by: "flightdeck", message: `its maintenance window closed before it started: ${waits}` });
  o.broadcaster.siteRuns(run.site, id);
  return true;
}

/** The engine's batch gate for a run (undefined: no window holds it). */
export function runBatchGate(site: Parameters<typeof windowsFor>[0], run: RunRow, clock: Clock) {
  return batchGate(windowsFor(site, { deployment: run.deployment, hosts: run.plan.hosts }), clock);
}

async function statusEvent(o: HoldDeps, id: number, event: EngineEvent) {
  const sink = new StoredSink(id, o.store.runs, o.broadcaster);
  sink.event(event);
  await sink.flush();
}
