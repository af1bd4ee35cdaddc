/**
 * The scheduler loop, run by every process that holds the store: each tick it fires the schedules whose slot came
 * (each slot claimed by one INSERT on the (site, schedule, slot) key, so one process of many requests the run),
 * releases `scheduled` runs whose window opened, and holds again queued runs whose window closed before they started. `tick(now)` does one pass; the timer only calls it, so tests
 * drive the loop with an injected clock and no sleeps.
 */
import type { Broadcaster } from "../broadcast";
import { selectHosts } from "../inventory/targets";
import type { RunQueue } from "../runs/queue/types";
import type { LaunchRequest } from "../runs/service";
import { loadRevision } from "../site-cache";
import type { Store } from "../store/types";
import { dueSlot } from "./calendar";
import { holdQueuedOutsideWindow, releaseIfOpen } from "./hold";
import { systemClock, type Clock } from "./windows";

export interface SchedulerOptions {
  store: Store;
  broadcaster: Broadcaster;
  queue: Pick<RunQueue, "submit">;
  runner: { launch(request: LaunchRequest): Promise<number> };
  clock?: Clock;
  /** Between ticks (default 15 s). */
  intervalMs?: number;
  /** How late a slot may still fire (a process that was down, a slow tick); older slots are skipped. Default 2 min. */
  catchUpMs?: number;
  log?: (line: string) => void;
}

export interface TickResult {
  fired: { site: string; schedule: string; slot: Date; runId?: number; message?: string }[];
  released: number[];
  /** Queued runs whose window closed before they started: `scheduled` again. */
  heldAgain: number[];
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<TickResult> | undefined;
  private readonly clock: Clock;

  constructor(private readonly o: SchedulerOptions) {
    this.clock = o.clock ?? systemClock;
  }

  start() {
    this.timer ??= setInterval(() => void this.tick().catch((e: unknown) => this.log(`tick failed: ${text(e)}`)), this.o.intervalMs ?? 15_000);
    this.timer.unref();
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking?.catch(() => undefined);
  }

  /** One pass at `now`; one at a time per process (a tick waits for the pass still running, then makes its own). */
  async tick(now = this.clock.now()): Promise<TickResult> {
    while (this.ticking) await this.ticking.catch(() => undefined);
    const pass = this.pass(now).finally(() => {
      if (this.ticking === pass) this.ticking = undefined;
    });
    this.ticking = pass;
    return pass;
  }

  private async pass(now: number): Promise<TickResult> {
    const result: TickResult = { fired: [], released: [], heldAgain: [] };
    const { store } = this.o;
    const hold = { store, broadcaster: this.o.broadcaster, clock: { now: () => now } };
    for (const { id } of await store.runs.queued()) {
      try {
        if (await holdQueuedOutsideWindow(hold, id)) result.heldAgain.push(id);
      } catch (e) {
        this.log(`run ${id}: cannot check its windows: ${text(e)}`);
      }
    }
    for (const { id } of await store.schedules.dueScheduled(new Date(now))) {
      try {
        if (await releaseIfOpen({ ...hold, queue: this.o.queue }, id)) result.released.push(id);
      } catch (e) {
        this.log(`run ${id}: cannot release it: ${text(e)}`);
      }
    }
    for (const { slug } of await store.sites.list()) {
      try {
        await this.fireSite(slug, now, result);
      } catch (e) {
        this.log(`site ${slug}: schedules not checked: ${text(e)}`);
      }
    }
    return result;
  }

  private async fireSite(slug: string, now: number, result: TickResult) {
    const { store } = this.o;
    const { site } = await loadRevision(store.sites, slug);
    for (const { spec } of site.schedules.schedules.values()) {
      if (spec.enabled === false) continue;
      const slot = dueSlot(spec, now, this.o.catchUpMs ?? 120_000);
      if (slot === undefined) continue;
      const at = new Date(slot);
      if (!(await store.schedules.claimFire(slug, spec.name, at, new Date(now)))) continue;
      // This process won the slot: it alone requests the run (which then waits for approval like any other).
      const fire: TickResult["fired"][number] = { site: slug, schedule: spec.name, slot: at };
      try {
        const limit = spec.targets && selectHosts(site.model, site.resolver, spec.targets);
        fire.runId = await this.o.runner.launch({
          site: slug,
          deployment: spec.deployment,
          limit,
          requestedBy: `schedule:${spec.name}`,
          reason: spec.reason ?? `schedule ${spec.name} (${spec.cron}${spec.timezone ? ` ${spec.timezone}` : ""}) at ${at.toISOString()}`,
        });
      } catch (e) {
        // One line: lint's list of errors becomes "; "-separated.
        fire.message = `no run requested: ${text(e).replace(/:?\n/g, "; ")}`;
      }
      await store.schedules.recordFire(slug, spec.name, at, { runId: fire.runId, message: fire.message });
      const detail = { schedule: spec.name, slot: at.toISOString(), deployment: spec.deployment, ...(fire.message ? { message: fire.message } : {}) };
      await store.audit.insert({ at: new Date(now), actor: `schedule:${spec.name}`, actorId: null, action: fire.runId ? "run.requested" : "schedule.failed", site: slug, target: fire.runId ? `run ${fire.runId}` : `schedule ${spec.name}`, detail: JSON.stringify(detail), ip: null });
      result.fired.push(fire);
    }
  }

  private log(line: string) {
    (this.o.log ?? ((l: string) => console.error(`flightdeck: scheduler: ${l}`)))(line);
  }
}

function text(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
