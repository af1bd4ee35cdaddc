/**
 * Runs whose executor is gone. On PostgreSQL every process (web replicas and workers alike, so that with every
 * worker dead a dashboard still does it) sweeps every leaseMs/3: a running run whose lease expired becomes
 * `interrupted`, exactly once however many processes sweep (a conditional status change decides who writes the
 * ending), with the events a restart writes on SQLite: each running step interrupted, each host's last step
 * said, the run's end. Its site's next queued run is then nudged. The sweep also re-sends nudges that were lost
 * (a queued run that could start but nobody was told of).
 *
 * A process that starts never touches a run whose lease is live: only expired leases are swept.
 */
import type { Broadcaster } from "../broadcast";
import { RunTracker, type EngineEvent, type RunEvent, type RunStatus } from "../engine";
import type { Store, UnnumberedEvent } from "../store/types";
import type { ControlChannel } from "./control";
import type { RunQueue } from "./queue/types";
import { notify, runEnded } from "../notify";


export interface InterruptWords {
  /** The run's message and the run.finished event's. */
  run: string;
  /** Each step that was running. */
  step: string;
}

/**
 * Ends run `id` as `interrupted` if its status is still one of `from` (false when another process or its own
 * worker ended it first: then nothing is written). The status and the closing events are one transaction (a
 * process dying in between cannot leave an `interrupted` run without them), the events computed from exactly
 * the events stored before them.
 */
export async function interruptRun(
  store: Store,
  broadcaster: Broadcaster,
  id: number,
  from: readonly RunStatus[],
  words: InterruptWords,
): Promise<boolean> {
  // The plan and site never change: read before the transaction, which then holds the run's row only briefly.
  const run = await store.runs.get(id);
  const closing = (stored: readonly RunEvent[]): UnnumberedEvent[] => {
    const tracker = new RunTracker(run.plan);
    for (const e of stored) tracker.apply(e);
    const events: EngineEvent[] = [];
    for (const [host, h] of Object.entries(tracker.snapshot.hosts)) {
      const entries = Object.entries(h.steps);
      const last = [...entries].reverse().find(([, s]) => s.status !== "pending");
      for (const [step, s] of entries) if (s.status === "running") events.push({ type: "step.status", host, step, status: "interrupted", message: words.step });
      if (last) events.push({ type: "notice", host, message: `interrupted at step '${last[0]}' (${last[1].status})` });
    }
    events.push({ type: "run.finished", status: "interrupted", message: words.run });
    const t = Date.now();
    return events.map((e) => ({ ...e, t }));
  };
  const stored = await store.runs.finishInterrupted(id, from, closing, { finishedAt: new Date(), message: words.run, leaseExpiresAt: null });
  if (!stored) return false;
  broadcaster.runEvents(id, stored);
  broadcaster.siteRuns(run.site, id);
  // Its machines' introspection tokens end with it (its worker, gone, could not end them).
  await store.introspection.endRun(id);
  await notify({ store }, runEnded(run.site, id, "interrupted"));
  return true;
}

export interface SweeperOptions {
  store: Store;
  broadcaster: Broadcaster;
  control: ControlChannel;
  queue: Pick<RunQueue, "submit" | "nudgeSite">;
  leaseMs: number;
  log?: (line: string) => void;
}

export class LeaseSweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number[]> | undefined;
  private readonly log: (line: string) => void;

  constructor(private readonly o: SweeperOptions) {
    this.log = o.log ?? ((l) => console.error(`flightdeck: sweeper: ${l}`));
  }

  start() {
    this.timer = setInterval(() => void this.sweep(), Math.max(50, Math.floor(this.o.leaseMs / 3)));
    this.timer.unref();
    void this.sweep();
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  /** One sweep (overlapping calls share it); resolves with the runs this process interrupted. Never rejects. */
  sweep(): Promise<number[]> {
    this.sweeping ??= this.once()
      .catch((e: unknown) => {
        this.log(`${errorText(e)}`);
        return [];
      })
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async once(): Promise<number[]> {
    const { store, broadcaster, control, queue } = this.o;
    const interrupted: number[] = [];
    for (const id of await store.runs.expiredLeases()) {
      const run = await store.runs.get(id);
      const worker = run.worker ?? "unknown";
      const won = await interruptRun(store, broadcaster, id, ["running"], {
        run: `the worker executing this run stopped (worker ${worker})`,
        step: `the worker executing this run stopped while this step ran (worker ${worker})`,
      });
      if (!won) continue;
      interrupted.push(id);
      this.log(`run ${id}: interrupted, its worker ${worker} stopped renewing its lease`);
      void control.publish({ kind: "finished", run: id, status: "interrupted" });
      await queue.nudgeSite(run.site);
    }
    await this.renudge();
    await this.forgetGone();
    return interrupted;
  }

  /** Registry rows of processes not seen for long (killed ones cannot deregister): the list stays the live ones. */
  private async forgetGone() {
    const { workers } = this.o.store;
    const before = Date.now() - Math.max(10 * this.o.leaseMs, 5 * 60_000);
    for (const w of await workers.live(new Date(0))) if (w.seenAt.getTime() < before) await workers.remove(w.id);
  }

  /**
   * Queued runs that could start now (first in their site's line, the site below its limit) and have waited
   * longer than a sweep: their nudge was lost, or went to a worker that was full and then died. Sent again (at
   * most one waits per run: pg-boss's singleton key).
   */
  private async renudge() {
    const { store, queue } = this.o;
    const queued = await store.runs.queued();
    if (!queued.length) return;
    const stale = Date.now() - this.o.leaseMs / 3;
    const bySite = new Map<string, { id: number; queuedAt: Date }[]>();
    for (const q of queued) {
      const line = bySite.get(q.site) ?? [];
      line.push(q);
      bySite.set(q.site, line);
    }
    for (const [site, line] of bySite) {
      const { parallelRuns } = await store.sites.get(site);
      const running = (await store.runs.list(site, parallelRuns + 1, "running")).length;
      for (const q of line.slice(0, Math.max(0, parallelRuns - running))) {
        if (q.queuedAt.getTime() <= stale) await queue.submit(q.id);
      }
    }
  }
}

/** One line: drizzle's "Failed query: <sql> params: ..." is said by its cause (the database's own words). */
function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e.message.startsWith("Failed query") && e.cause instanceof Error) return e.cause.message;
  return e.message;
}
