/**
 * The run executor of a process: claims queued runs (the store decides, in one transaction, whether the run's
 * site has a free slot and the run is first in its site's line), executes them with stored, broadcast events,
 * and holds a lease on each while it runs. The lease is renewed every leaseMs/3; the renewal also brings back
 * cancel requests, for when the control channel's message was missed. A worker that cannot renew (the database
 * is gone) stops its runs rather than run unleased, since another process will take them for dead.
 *
 * Used by both setups: the single SQLite process of today (with the embedded dispatcher) and `flightdeck worker`
 * or `flightdeck serve` on PostgreSQL (with the pg-boss dispatcher).
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { execute, type EngineEvent, type EventSink, type ExecuteOptions, type OutputChunk, type RunStatus } from "../engine";
import type { Broadcaster } from "../broadcast";
import { runArtifacts } from "../engine/artifacts";
import type { ClaimResult, RunRow, Store } from "../store/types";
import type { ControlChannel, ControlMessage } from "./control";
import type { IntrospectionTokens } from "./introspection";
import type { RunQueue } from "./queue/types";
import { ownEventsOf } from "../events/own";
import { storedSinks, type RunSink, type RunSinks } from "./sink";
import { notify, runEnded } from "../notify";

/** Where a run's site, server policy and secrets come from (the run service knows; the worker only asks). */
export interface RunExecution {
  prepare(run: RunRow): Promise<Pick<ExecuteOptions, "site" | "secrets" | "server" | "mayStartBatch">>;
  /** Introspection tokens (kept in the store, so any process answers the machine). */
  readonly introspection: IntrospectionTokens;
}

export interface WorkerOptions {
  store: Store;
  broadcaster: Broadcaster;
  /** Where runs' events are stored and broadcast from; default: this thread (storedSinks). */
  sinks?: RunSinks;
  control: ControlChannel;
  /** Told when a run ends, so the next queued run of its site is tried. */
  queue: Pick<RunQueue, "nudgeSite">;
  execution: RunExecution;
  /** Runs at once in this process (FLIGHTDECK_WORKER_RUNS, default 8). */
  capacity: number;
  /** Lease length (FLIGHTDECK_LEASE_SECONDS × 1000, default 15 s); renewed every third of it. */
  leaseMs: number;
  /** The URL machines reach this installation at, for introspection. */
  publicUrl: string;
  version: string;
  /** Defaults to host:pid:random. */
  id?: string;
  log?: (line: string) => void;
}

interface ActiveRun {
  site: string;
  controller: AbortController;
  /**
   * Until when our lease certainly holds, on this process's monotonic clock (performance.now(): a wall-clock
   * step cannot stretch it): the send time of the claim or renewal that secured it + leaseMs. The database sets
   * the lease to its own now() + leaseMs when it runs the statement, which is after we sent it, so this is
   * never later than the lease the database holds (conservative; only the clocks' rates must agree, not their
   * readings). The acknowledgement's time would not be: the lease started before it.
   */
  leaseValidUntil: number;
  /** Set when this worker, not a user, ends the run: it ends `interrupted` with this message. */
  interrupted?: string;
  /** Another process owns the run's ending now (it took the lease): write nothing more. */
  fenced: boolean;
  done: Promise<RunStatus>;
}

const DEFAULT_CAPACITY = 8;
const DEFAULT_LEASE_SECONDS = 15;
const DEFAULT_GRACE_SECONDS = 30;
/** How long stopped runs may take to end (their remote commands ended) before a stopping worker leaves anyway. */
const STOP_WAIT_MS = 10_000;

/** FLIGHTDECK_WORKER_RUNS, FLIGHTDECK_LEASE_SECONDS and FLIGHTDECK_WORKER_GRACE_SECONDS, checked. */
export function workerSettings(env: NodeJS.ProcessEnv = process.env): { capacity: number; leaseMs: number; graceMs: number } {
  const read = (name: string, fallback: number, min: number) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new WorkerConfigError(`${name}=${raw}: expected a number ≥ ${min}`);
    return n;
  };
  return {
    capacity: Math.floor(read("FLIGHTDECK_WORKER_RUNS", DEFAULT_CAPACITY, 1)),
    leaseMs: Math.round(read("FLIGHTDECK_LEASE_SECONDS", DEFAULT_LEASE_SECONDS, 1) * 1000),
    graceMs: Math.round(read("FLIGHTDECK_WORKER_GRACE_SECONDS", DEFAULT_GRACE_SECONDS, 0) * 1000),
  };
}

export class WorkerConfigError extends Error {}

export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

export class RunWorker {
  readonly id: string;
  private readonly active = new Map<number, ActiveRun>();
  /** Claims in flight: they count against capacity before they are known to succeed. */
  private claiming = 0;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly idleWaiters = new Set<() => void>();
  /**
   * Whether a lease is what lets this worker run a run. On PostgreSQL, yes: other processes sweep expired ones.
   * On SQLite the one process is alone (a restart interrupts its runs), so a late renewal (a busy event loop)
   * must not stop anything; leases are still renewed there, for the cancel requests they bring back.
   */
  private readonly leased: boolean;

  private readonly sinks: RunSinks;

  constructor(private readonly o: WorkerOptions) {
    this.id = o.id ?? newWorkerId();
    this.sinks = o.sinks ?? storedSinks(o.store.runs, o.broadcaster);
    this.leased = o.store.dialect === "postgres";
  }

  /** Registers the process and starts renewing leases and hearing cancel requests. */
  async start() {
    await this.o.store.workers.register({ id: this.id, host: hostname(), pid: process.pid, version: this.o.version });
    this.unsubscribe = this.o.control.subscribe((m) => this.onControl(m));
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.o.leaseMs / 3)));
    this.timer.unref();
  }

  /** How many more runs this worker takes now (0 while stopping). */
  free(): number {
    return this.stopping ? 0 : Math.max(0, this.o.capacity - this.active.size - this.claiming);
  }

  /** The runs this worker executes now. */
  runs(): number[] {
    return [...this.active.keys()];
  }

  /** Resolves with the run's status when this worker finishes it (undefined: it does not execute it). */
  finished(id: number): Promise<RunStatus> | undefined {
    return this.active.get(id)?.done;
  }

  /**
   * Tries to take a queued run: "claimed" (it executes here from now on), "busy" (no slot: this worker's or its
   * site's, or an older run of its site is first) or "gone" (not queued any more). Never throws for the run
   * itself: a store failure is "busy" (the run stays queued, and the sweeper nudges it again).
   */
  async take(id: number): Promise<ClaimResult> {
    if (this.free() <= 0 || this.active.has(id)) return "busy";
    this.claiming++;
    let result: ClaimResult;
    const sentAt = performance.now();
    try {
      result = await this.o.store.runs.claim(id, this.id, this.o.leaseMs);
    } catch (e) {
      this.log(`run ${id}: cannot claim it: ${errorText(e)}`);
      return "busy";
    } finally {
      this.claiming--;
    }
    if (result === "claimed") this.launch(id, sentAt);
    return result;
  }

  /**
   * Stops taking runs; running ones may finish within `graceMs`, then the rest are stopped and end
   * `interrupted` with `reason` said. Resolves once every run of this worker has ended and it is deregistered.
   */
  async stop(graceMs: number, reason = "the worker was stopped") {
    this.stopping = true;
    if (this.active.size) {
      const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([this.idle(), grace]);
    }
    for (const [id, run] of this.active) {
      if (run.controller.signal.aborted) continue;
      run.interrupted = `${reason} before this run finished (worker ${this.id}${graceMs ? `; it was given ${Math.round(graceMs / 1000)} s to finish` : ""})`;
      this.log(`run ${id}: interrupted: ${reason}`);
      run.controller.abort(new Error(run.interrupted));
    }
    // Stopped runs end quickly (their commands are ended); one that does not is left to the lease sweeper (or,
    // on SQLite, to the next start) rather than holding the process forever.
    const stuck = await Promise.race([this.idle().then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), STOP_WAIT_MS).unref())]);
    if (stuck) this.log(`runs ${this.runs().join(", ")} did not end within ${STOP_WAIT_MS / 1000} s of being stopped; leaving them to be swept`);
    await this.halt();
    await this.o.store.workers.remove(this.id).catch((e: unknown) => this.log(`cannot deregister: ${errorText(e)}`));
  }

  /**
   * Stops at once without ending anything, as a killed process would: leases are no longer renewed, runs are
   * left `running` in the store for the sweeper. Tests use it to stand for SIGKILL.
   */
  async abandon() {
    this.stopping = true;
    for (const run of this.active.values()) {
      run.fenced = true;
      run.controller.abort(new Error("abandoned"));
    }
    await this.idle();
    await this.halt();
  }

  private async halt() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    await this.ticking;
  }

  private idle(): Promise<void> {
    if (!this.active.size) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.add(resolve));
  }

  private onControl(message: ControlMessage) {
    if (message.kind !== "cancel") return;
    const run = this.active.get(message.run);
    if (run && !run.controller.signal.aborted) run.controller.abort(new Error(message.by ? `cancelled by ${message.by}` : "cancelled"));
  }

  private launch(id: number, claimSentAt: number) {
    let settle!: (status: RunStatus) => void;
    const entry: ActiveRun = {
      site: "",
      controller: new AbortController(),
      leaseValidUntil: claimSentAt + this.o.leaseMs,
      fenced: false,
      done: new Promise((resolve) => (settle = resolve)),
    };
    // Registered before anything is awaited, so a cancel message arriving now finds it.
    this.active.set(id, entry);
    void this.run(id, entry)
      .catch((e: unknown): RunStatus => {
        this.log(`run ${id}: ${errorText(e)}`);
        return "failed";
      })
      .then((status) => {
        this.active.delete(id);
        settle(status);
        if (this.active.size) return;
        for (const resolve of this.idleWaiters) resolve();
        this.idleWaiters.clear();
      });
  }

  private async run(id: number, entry: ActiveRun): Promise<RunStatus> {
    const { store } = this.o;
    let run: RunRow;
    try {
      run = await store.runs.get(id);
    } catch (e) {
      // The claim said it was ours a moment ago: without its row there is nothing to run or to write.
      this.log(`run ${id}: cannot read it after claiming it: ${errorText(e)}`);
      return "failed";
    }
    entry.site = run.site;
    // Asked between the claim and now (the message may have come before we registered the run): honoured at once.
    if (run.cancelRequestedBy !== null) entry.controller.abort(new Error(`cancelled by ${run.cancelRequestedBy}`));
    const stored = this.sinks.open(id);
    try {
      return await this.executeRun(id, run, entry, stored);
    } finally {
      stored.release();
    }
  }

  private async executeRun(id: number, run: RunRow, entry: ActiveRun, stored: RunSink): Promise<RunStatus> {
    const { store, broadcaster } = this.o;
    const sink = new WorkerSink(ownEventsOf(this.o).tap(run, stored), entry, this.leased);
    const tokens = this.o.execution.introspection;
    broadcaster.siteRuns(run.site, id);
    void notify(this.o, { site: run.site, kind: "run_started", run: id });

    let status: RunStatus = "failed";
    let message: string | undefined;
    try {
      const prepared = await this.o.execution.prepare(run);
      status = await execute({
        ...prepared,
        plan: run.plan,
        sink,
        signal: entry.controller.signal,
        forks: run.options.forks,
        event: run.options.event,
        artifacts: runArtifacts(this.o.store.artifacts, id),
        introspection: {
          issue: (host) => ({ url: new URL("/api/v1/introspect", this.o.publicUrl).href, token: tokens.issue({ run: id, site: run.site, revision: run.revision, host }) }),
        },
      });
    } catch (e) {
      message = `the run stopped on an internal error: ${errorText(e)}`;
      sink.event({ type: "run.finished", status: "failed", message });
    }
    await tokens.endRun(id).catch((e: unknown) => this.log(`run ${id}: cannot end its introspection tokens: ${errorText(e)}`));
    // Without its lease the run is another process's to end: as interrupted, which is what it is for this worker.
    if (entry.fenced) return "interrupted";
    try {
      await stored.flush();
    } catch (e) {
      this.log(`run ${id}: its last events could not be stored: ${errorText(e)}`);
    }
    if (entry.interrupted) {
      status = "interrupted";
      message = entry.interrupted;
    }
    try {
      // Conditional: a sweeper that took this run for dead already ended it, and its ending stands.
      const ended = await store.runs.transition(id, ["running"], status, { finishedAt: new Date(), message, leaseExpiresAt: null });
      if (!ended) return (await store.runs.get(id)).status;
    } catch (e) {
      // The database is gone: the lease expires and a sweeper ends the run as interrupted.
      this.log(`run ${id}: cannot store its end (${status}): ${errorText(e)}`);
      return status;
    }
    broadcaster.siteRuns(run.site, id);
    await notify(this.o, runEnded(run.site, id, status));
    void this.o.control.publish({ kind: "finished", run: id, status });
    void this.o.queue.nudgeSite(run.site);
    return status;
  }

  /** Every leaseMs/3: heartbeat, lease renewal (with the cancel requests it brings back). */
  private tick() {
    if (this.ticking) return this.ticking;
    this.ticking = this.renew().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async renew() {
    const { store, leaseMs } = this.o;
    try {
      if (!(await store.workers.heartbeat(this.id))) {
        await store.workers.register({ id: this.id, host: hostname(), pid: process.pid, version: this.o.version });
      }
    } catch {
      // Said below, with the leases, which are what matters.
    }
    const ids = [...this.active].filter(([, r]) => !r.fenced).map(([id]) => id);
    if (!ids.length) return;
    const sentAt = performance.now();
    let held: { id: number; cancelRequestedBy: string | null }[];
    try {
      held = await store.runs.renewLeases(this.id, ids, leaseMs);
    } catch (e) {
      if (!this.leased) return;
      // Stop before the lease runs out, not after: by then a sweeper may already have ended the run.
      const deadline = performance.now() + leaseMs / 3;
      for (const id of ids) {
        const run = this.active.get(id);
        if (!run || run.controller.signal.aborted || run.leaseValidUntil > deadline) continue;
        run.interrupted = `worker ${this.id} could not renew its lease on this run (${errorText(e)}), so it stopped the run rather than run it unleased`;
        this.log(`run ${id}: ${run.interrupted}`);
        run.controller.abort(new Error(run.interrupted));
      }
      return;
    }
    const got = new Map(held.map((h) => [h.id, h.cancelRequestedBy]));
    for (const id of ids) {
      const run = this.active.get(id);
      if (!run) continue;
      if (!got.has(id) && this.leased) {
        // Not ours any more (a sweeper ended it, or it ended meanwhile): stop, and write nothing more.
        if (!run.controller.signal.aborted) this.log(`run ${id}: its lease was lost; stopping it`);
        run.fenced = true;
        run.controller.abort(new Error("lease lost"));
        continue;
      }
      run.leaseValidUntil = sentAt + leaseMs;
      const by = got.get(id);
      if (by != null && !run.controller.signal.aborted) run.controller.abort(new Error(`cancelled by ${by}`));
    }
  }

  private log = (line: string) => (this.o.log ?? ((l: string) => console.error(`flightdeck: worker: ${l}`)))(line);
}

/**
 * The engine's events on their way to the stored sink: dropped once another process owns the run's ending, and
 * when this worker interrupts the run (stopping, or without its lease) the engine's "cancelled" is said as
 * what it is: `interrupted`, with why.
 */
class WorkerSink implements EventSink {
  constructor(
    private readonly sink: EventSink,
    private readonly entry: ActiveRun,
    private readonly leased: boolean,
  ) {}

  /**
   * Past the lease this worker last secured, the run may already be another process's to end (this process
   * stalled, or the database was away): nothing more is written, and the run is stopped.
   */
  private lapsed(): boolean {
    if (this.entry.fenced) return true;
    if (!this.leased || performance.now() <= this.entry.leaseValidUntil) return false;
    this.entry.fenced = true;
    if (!this.entry.controller.signal.aborted) this.entry.controller.abort(new Error("its lease lapsed"));
    return true;
  }

  event(event: EngineEvent) {
    if (this.lapsed()) return;
    const why = this.entry.interrupted;
    if (why !== undefined) {
      if (event.type === "run.finished") return this.sink.event({ type: "run.finished", status: "interrupted", message: why });
      if ((event.type === "step.status" || event.type === "host.status") && event.status === "cancelled") {
        return this.sink.event({ ...event, status: "interrupted", message: why });
      }
    }
    this.sink.event(event);
  }

  output(chunk: OutputChunk) {
    if (!this.lapsed()) this.sink.output(chunk);
  }
}

/** One line: drizzle's "Failed query: <sql> params: ..." is said by its cause (the database's own words). */
function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e.message.startsWith("Failed query") && e.cause instanceof Error) return e.cause.message;
  return e.message;
}
