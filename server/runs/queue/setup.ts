/**
 * The run parts of one process, chosen by the store's dialect:
 * - SQLite (the embedded default, one process): in-process control messages, the runs table read in order,
 *   this process executes; no leases to sweep (a restart interrupts what was running, as before).
 * - PostgreSQL: LISTEN/NOTIFY control, pg-boss nudges, and in every process the lease sweeper; a process that
 *   executes (`flightdeck worker`, `flightdeck serve` without --no-worker) adds a worker and its dispatcher.
 */
import type { Store } from "../../store/types";
import { EmbeddedControl, PostgresControl, type ControlChannel } from "../control";
import { LeaseSweeper } from "../leases";
import { Presence } from "../presence";
import type { RunSinks } from "../sink";
import { SinkThread } from "../sink-thread";
import { RunWorker, type RunExecution, type WorkerOptions } from "../worker";
import { EmbeddedDispatcher, EmbeddedQueue } from "./embedded";
import { PgBossDispatcher, PgBossQueue } from "./pgboss";
import type { Dispatcher, RunQueue } from "./types";

export interface RunPartsOptions {
  store: Store;
  /** FLIGHTDECK_DATABASE_URL: the control channel and pg-boss connect to it on PostgreSQL. */
  databaseUrl?: string;
  broadcaster: WorkerOptions["broadcaster"];
  /** Where an executing process stores its runs' events; default: this thread on SQLite, a SinkThread on PostgreSQL. */
  sinks?: RunSinks;
  /** Whether this process executes runs. */
  executes: boolean;
  settings: { capacity: number; leaseMs: number; graceMs: number };
  publicUrl: string;
  version: string;
  /** Poll of the pg-boss dispatcher when no notification came (ms). */
  pollMs?: number;
  log?: (line: string) => void;
}

export class RunParts {
  readonly control: ControlChannel;
  readonly queue: RunQueue;
  worker: RunWorker | undefined;
  sweeper: LeaseSweeper | undefined;
  /** On PostgreSQL, a process that executes nothing is still in the registry of live processes. */
  presence: Presence | undefined;
  /** On PostgreSQL, where an executing process stores its runs' events (off the loop that forks its steps). */
  private sinks: RunSinks | undefined;
  private dispatcher: Dispatcher | undefined;
  private started = false;
  private stopped: Promise<void> | undefined;

  constructor(private readonly o: RunPartsOptions) {
    if (o.store.dialect === "postgres") {
      if (!o.databaseUrl) throw new Error("RunParts: a PostgreSQL store needs its URL for the control channel and the queue");
      this.control = new PostgresControl({ url: o.databaseUrl, log: o.log });
      this.queue = new PgBossQueue({ url: o.databaseUrl, runs: o.store.runs, control: this.control, log: o.log });
    } else {
      this.control = new EmbeddedControl();
      this.queue = new EmbeddedQueue(this.control);
    }
  }

  /**
   * Starts dispatch (and the worker, when this process executes, with `execution` telling it how to prepare a
   * run) and, on PostgreSQL, the sweeper. On PostgreSQL the first sweep runs here, before this process takes runs.
   */
  async start(execution: RunExecution) {
    if (this.started) return;
    this.started = true;
    const { store, settings } = this.o;
    if (this.control instanceof PostgresControl) await this.control.whenListening();
    if (this.queue instanceof PgBossQueue) await this.queue.start();
    if (this.o.executes) {
      this.sinks = this.o.sinks ?? (store.dialect === "postgres" ? await SinkThread.start(this.o.databaseUrl!) : undefined);
      this.worker = new RunWorker({
        store,
        broadcaster: this.o.broadcaster,
        sinks: this.sinks,
        control: this.control,
        queue: this.queue,
        execution,
        capacity: settings.capacity,
        leaseMs: settings.leaseMs,
        publicUrl: this.o.publicUrl,
        version: this.o.version,
        log: this.o.log,
      });
      await this.worker.start();
    }
    if (store.dialect === "postgres" && !this.worker) {
      this.presence = new Presence(store.workers, { version: this.o.version, leaseMs: settings.leaseMs, log: this.o.log });
      await this.presence.start();
    }
    if (store.dialect === "postgres") {
      this.sweeper = new LeaseSweeper({ store, broadcaster: this.o.broadcaster, control: this.control, queue: this.queue, leaseMs: settings.leaseMs, log: this.o.log });
      await this.sweeper.sweep();
      this.sweeper.start();
    }
    if (this.worker) {
      this.dispatcher =
        this.queue instanceof PgBossQueue
          ? new PgBossDispatcher(this.queue, this.worker, this.control, this.o.pollMs)
          : new EmbeddedDispatcher(store.runs, this.worker, this.control);
      await this.dispatcher.start();
    }
  }

  /**
   * Stops taking runs, lets running ones finish within the grace period (then interrupts them, saying
   * `reason`), stops the sweeper and closes the connections.
   */
  stop(reason = "the process was stopped", graceMs = this.o.settings.graceMs): Promise<void> {
    // Once: the server stops its runs first (sockets still open), then closes everything else, this included.
    this.stopped ??= (async () => {
      await this.dispatcher?.stop();
      await this.worker?.stop(graceMs, reason);
      await this.sinks?.close();
      await this.sweeper?.stop();
      await this.presence?.stop();
      await this.queue.close();
      await this.control.close();
    })();
    return this.stopped;
  }

  /** As a killed process: nothing ended, nothing deregistered (tests). */
  abandon(): Promise<void> {
    this.stopped ??= (async () => {
      await this.dispatcher?.stop();
      await this.worker?.abandon();
      await this.sinks?.close();
      await this.sweeper?.stop();
      this.presence?.abandon();
      await this.queue.close();
      await this.control.close();
    })();
    return this.stopped;
  }
}
