/**
 * Dispatch on PostgreSQL with pg-boss 10 (Node 20; 11+ needs Node 22). Its jobs are nudges only: "run N may be
 * claimable". The runs table stays the queue of record and `claim` decides, so a job that is duplicated, late,
 * retried or lost never runs anything twice or out of order: a worker that fetches a nudge tries the claim and
 * completes the job whatever the answer. One job per run at most waits at a time (policy `short` with the run
 * as singletonKey). Lost nudges (a worker died holding one, a process died before sending one) are re-sent by
 * the lease sweeper, which every process runs.
 *
 * pg-boss 10 polls; the control channel's NOTIFY wakes dispatchers at once, the poll is the fallback.
 */
import PgBoss from "pg-boss";
import type { RunStore } from "../../store/types";
import type { ControlChannel } from "../control";
import { Passes } from "./passes";
import type { Dispatcher, RunQueue, Taker } from "./types";

export const NUDGE_QUEUE = "flightdeck-run";

export interface PgBossQueueOptions {
  url: string;
  runs: Pick<RunStore, "queued">;
  control: ControlChannel;
  /** Connections of pg-boss's own pool (default 2: it only sends, fetches and completes small jobs). */
  poolSize?: number;
  log?: (line: string) => void;
}

interface Nudge {
  run: number;
}

export class PgBossQueue implements RunQueue {
  readonly boss: PgBoss;
  private ready: Promise<void> | undefined;
  private readonly log: (line: string) => void;

  constructor(private readonly o: PgBossQueueOptions) {
    this.log = o.log ?? ((l) => console.error(`flightdeck: queue: ${l}`));
    this.boss = new PgBoss({
      connectionString: o.url,
      max: o.poolSize ?? 2,
      application_name: "flightdeck-queue",
      // No cron here; maintenance (expiring and deleting old jobs) runs in one process at a time, pg-boss's lock.
      schedule: false,
      archiveCompletedAfterSeconds: 600,
      deleteAfterHours: 1,
    });
    // Without a listener an 'error' event would end the process; pg-boss reports and retries on its own.
    this.boss.on("error", (e) => this.log(`pg-boss: ${e.message}`));
  }

  /** Installs or migrates pg-boss's schema (once, under its advisory lock) and the nudge queue. */
  start(): Promise<void> {
    this.ready ??= (async () => {
      await this.boss.start();
      await this.createQueue();
    })();
    return this.ready;
  }

  /**
   * A nudge that a dead worker fetched expires after a minute and is dropped (the sweeper nudges again).
   * Processes starting together may both create the queue (a table partition each): PostgreSQL then reports a
   * deadlock or a duplicate to one of them, which looks again and finds the queue made.
   */
  private async createQueue() {
    for (let attempt = 1; ; attempt++) {
      if (await this.boss.getQueue(NUDGE_QUEUE)) return;
      try {
        await this.boss.createQueue(NUDGE_QUEUE, { name: NUDGE_QUEUE, policy: "short", retryLimit: 0, expireInSeconds: 60 });
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (attempt >= 5 || (code !== "40P01" && code !== "23505" && code !== "42P07")) throw e;
      }
    }
  }

  async submit(run: number): Promise<void> {
    try {
      await this.start();
      await this.boss.send(NUDGE_QUEUE, { run } satisfies Nudge, { singletonKey: `run:${run}` });
    } catch (e) {
      this.log(`run ${run}: cannot send its nudge (the sweeper sends it again): ${errorText(e)}`);
    }
    await this.o.control.publish({ kind: "nudge", run });
  }

  async nudgeSite(site: string): Promise<void> {
    let head: number | undefined;
    try {
      head = (await this.o.runs.queued()).find((q) => q.site === site)?.id;
    } catch (e) {
      this.log(`site ${site}: cannot read its queue: ${errorText(e)}`);
      return;
    }
    if (head !== undefined) await this.submit(head);
  }

  async fetch(batchSize: number): Promise<PgBoss.Job<Nudge>[]> {
    await this.start();
    return this.boss.fetch<Nudge>(NUDGE_QUEUE, { batchSize });
  }

  async complete(id: string) {
    await this.boss.complete(NUDGE_QUEUE, id).catch((e: unknown) => this.log(`cannot complete nudge ${id}: ${errorText(e)}`));
  }

  async close() {
    if (!this.ready) return;
    await this.ready.catch(() => undefined);
    await this.boss.stop({ graceful: false, wait: true, close: true }).catch((e: unknown) => this.log(`pg-boss stop: ${errorText(e)}`));
  }
}

export class PgBossDispatcher implements Dispatcher {
  private readonly passes = new Passes(
    () => this.drain(),
    (e: unknown) => this.log(`cannot fetch nudges: ${errorText(e)}`),
  );
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly queue: PgBossQueue,
    private readonly worker: Taker,
    private readonly control: ControlChannel,
    /** The poll when no notification came (pg-boss 10 has no push of its own). */
    private readonly pollMs = 2000,
    private readonly log: (line: string) => void = (l) => console.error(`flightdeck: queue: ${l}`),
  ) {}

  async start() {
    this.passes.start();
    await this.queue.start();
    this.unsubscribe = this.control.subscribe((m) => {
      if (m.kind === "nudge" || m.kind === "finished") this.wake();
    });
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref();
    this.wake();
  }

  wake() {
    this.passes.wake();
  }

  async stop() {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    await this.passes.stop();
  }

  /** Fetches as many nudges as this worker has room for, tries each run, completes each job; again while any came. */
  private async drain() {
    for (;;) {
      const free = this.worker.free();
      if (this.passes.isStopped || free <= 0) return;
      const jobs = await this.queue.fetch(free);
      if (!jobs.length) return;
      for (const job of jobs) {
        const run = job.data?.run;
        try {
          if (!Number.isSafeInteger(run)) continue;
          // Full (or stopping) since the fetch: the nudge goes back in line for another worker.
          if (this.passes.isStopped || this.worker.free() <= 0) await this.queue.submit(run);
          else await this.worker.take(run);
        } finally {
          await this.queue.complete(job.id);
        }
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
