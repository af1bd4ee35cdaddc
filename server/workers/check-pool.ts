/**
 * Site checks (lint of unsaved buffers, saves, imports) off the event loop: a few worker threads, each check
 * bounded in time (the thread is stopped and replaced) and in memory (the thread's heap limit). One user's
 * checks run one at a time while others wait, so one user cannot hold every thread, and each check is charged
 * to the user's budget of checking time (RATE_LIMITS). The cache of loaded revisions stays in the main thread
 * (server/site-cache.ts): a Site holds classes and closures that cannot cross threads.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { Env } from "../env";
import type { Diagnostic, PlaybookRef, SiteFile, SitePolicy } from "../inventory";
import { CHECK_DEFAULTS, RATE_LIMITS, SITE_LIMITS, tooLarge, tooMany } from "../limits";
import { TokenBuckets } from "../rate-limit";
import type { LintCounts } from "../store/sites";

export interface CheckResult {
  /** The first SITE_LIMITS.diagnostics diagnostics, sorted as lint sorts them. */
  diagnostics: Diagnostic[];
  /** Diagnostics beyond those (the summary's counts include them). */
  omitted: number;
  /** What a revision stores about its lint: the numbers SiteStore computes when given none. */
  summary: LintCounts;
  /** The playbooks `ansible.playbook` steps name, for Ansible's own check (async, apart: server/site-checks.ts). */
  playbooks: PlaybookRef[];
  /** Time spent checking inside the thread. */
  ms: number;
}

export interface CheckRequest {
  id: number;
  files: SiteFile[];
  policy?: SitePolicy;
  maxDiagnostics: number;
}
export type CheckReply = { id: number; ok: true; result: CheckResult } | { id: number; ok: false; message: string };

export interface CheckPoolOptions {
  workers: number;
  timeoutMs: number;
  memoryMb: number;
  queued: number;
  queuedPerUser: number;
  /** Each user's budget of checking time, in seconds (default RATE_LIMITS.checkSeconds). */
  budget?: { burst: number; perSecond: number };
}

interface Job {
  id: number;
  user: string;
  request: CheckRequest;
  resolve: (r: CheckResult) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker?: Worker;
  ready?: boolean;
  job?: Job;
  timer?: NodeJS.Timeout;
  started?: number;
}

/**
 * The worker's entry, from the working directory (the server always runs from the project root): inside Next's
 * route bundle, import.meta.url points into .next/, where the thread's sources are not. The bundler is told to
 * leave the path alone: it would otherwise bundle the entry (and tsx's loader with it) as a worker of its own.
 */
function entryFile(): string {
  const file = join(/* turbopackIgnore: true */ process.cwd(), "server", "workers", "check-thread.mjs");
  if (!existsSync(file)) throw new Error(`the site checker's thread is missing: ${file} (start the server from the project directory)`);
  return file;
}

export class CheckPool {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private readonly budget: TokenBuckets;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: CheckPoolOptions) {
    this.slots = Array.from({ length: Math.max(1, options.workers) }, () => ({}));
    this.budget = new TokenBuckets(options.budget ?? RATE_LIMITS.checkSeconds);
  }

  /** At most this many checks of one user run at once: with two threads or more, one is always left for others. */
  private get perUser(): number {
    return Math.max(1, this.slots.length - 1);
  }

  /**
   * Check `files` as `user` (the key of their budget and fair share). Refused at once when the user's budget
   * or the queue is exhausted; rejected when the check outgrows its time or memory.
   */
  check(files: SiteFile[], opts: { user: string; policy?: SitePolicy }): Promise<CheckResult> {
    if (this.closed) return Promise.reject(new Error("the site checker is shut down"));
    const wait = this.budget.take(opts.user, RATE_LIMITS.checkMinSeconds);
    if (wait !== undefined) {
      const { burst, perSecond } = this.options.budget ?? RATE_LIMITS.checkSeconds;
      return Promise.reject(tooMany(`you have used your time for checking sites (${burst} s, refilled at ${perSecond} s per second)`, wait));
    }
    if (this.queue.filter((j) => j.user === opts.user).length >= this.options.queuedPerUser) {
      return Promise.reject(tooMany(`${this.options.queuedPerUser} of your site checks are already waiting`, this.options.timeoutMs / 1000));
    }
    if (this.queue.length >= this.options.queued) {
      return Promise.reject(tooMany("the server is busy checking other sites", this.options.timeoutMs / 1000));
    }
    return new Promise<CheckResult>((resolve, reject) => {
      const id = this.nextId++;
      this.queue.push({ id, user: opts.user, request: { id, files, policy: opts.policy, maxDiagnostics: SITE_LIMITS.diagnostics }, resolve, reject });
      this.pump();
    });
  }

  /** Stop every thread; checks in progress or waiting are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error("the site checker is shut down"));
    await Promise.all(
      this.slots.map((slot) => {
        const { worker, job } = slot;
        if (job) this.finish(slot, () => job.reject(new Error("the site checker is shut down")));
        slot.worker = undefined;
        return worker ? worker.terminate() : Promise.resolve(0);
      }),
    );
  }

  /** Threads alive now (for tests and the figures in the README). */
  get threads(): number {
    return this.slots.filter((s) => s.worker).length;
  }

  private running(user: string): number {
    return this.slots.filter((s) => s.job?.user === user).length;
  }

  /** Start waiting jobs on free threads, oldest first, skipping users who already have their share running. */
  private pump() {
    for (const slot of this.slots) {
      if (this.closed || slot.job) continue;
      const index = this.queue.findIndex((j) => this.running(j.user) < this.perUser);
      if (index < 0) return;
      const job = this.queue.splice(index, 1)[0]!;
      slot.job = job;
      if (!slot.worker) this.spawn(slot);
      if (slot.ready) this.send(slot);
    }
  }

  private spawn(slot: Slot) {
    let worker: Worker;
    try {
      worker = new Worker(/* turbopackIgnore: true */ /* webpackIgnore: true */ entryFile(), { resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb }, stdout: false, stderr: false });
    } catch (e) {
      const job = slot.job;
      if (job) this.finish(slot, () => job.reject(e));
      return;
    }
    slot.worker = worker;
    slot.ready = false;
    worker.on("message", (message: CheckReply | { ready: true }) => {
      if (slot.worker !== worker) return;
      if ("ready" in message) {
        slot.ready = true;
        if (slot.job) this.send(slot);
        else worker.unref();
        return;
      }
      const job = slot.job;
      if (!job || job.id !== message.id) return;
      this.finish(slot, () => (message.ok ? job.resolve(message.result) : job.reject(new Error(`site check failed: ${message.message}`))));
    });
    worker.on("error", (e: Error & { code?: string }) => {
      if (slot.worker !== worker) return;
      const job = slot.job;
      const outOfMemory = e.code === "ERR_WORKER_OUT_OF_MEMORY";
      this.retire(slot);
      const memoryMb = this.options.memoryMb;
      if (job) this.finish(slot, () => job.reject(outOfMemory ? tooLarge(`the site needs more than ${memoryMb} MiB of memory to check`) : new Error(`the site checker stopped: ${e.message}`)));
      if (outOfMemory) this.replace(slot);
    });
    worker.on("exit", (code) => {
      if (slot.worker !== worker) return;
      const job = slot.job;
      this.retire(slot);
      if (job) this.finish(slot, () => job.reject(new Error(`the site checker's thread exited (code ${code})`)));
    });
  }

  private send(slot: Slot) {
    const job = slot.job!;
    const worker = slot.worker!;
    // A thread that has a check keeps the process alive; an idle one does not (so tests and scripts can end).
    worker.ref();
    slot.started = performance.now();
    slot.timer = setTimeout(() => {
      void worker.terminate();
      this.retire(slot);
      const seconds = this.options.timeoutMs / 1000;
      this.finish(slot, () => job.reject(tooLarge(`the site took longer than ${seconds} s to check; the server stops there`)));
      this.replace(slot);
    }, this.options.timeoutMs);
    worker.postMessage(job.request);
  }

  /** Forget a thread that ended or is being stopped; the slot's next check starts a fresh one. */
  private retire(slot: Slot) {
    slot.worker = undefined;
    slot.ready = false;
  }

  /**
   * After a check its thread had to stop, start the replacement now: loading the site model takes a while (a
   * second or more), and the next check should not wait for it.
   */
  private replace(slot: Slot) {
    if (!slot.worker && !this.closed) this.spawn(slot);
  }

  /** End the slot's job (charging its user for the time it took), then start the next one. */
  private finish(slot: Slot, settle: () => void) {
    const job = slot.job;
    if (!job) return;
    clearTimeout(slot.timer);
    const seconds = slot.started === undefined ? 0 : (performance.now() - slot.started) / 1000;
    this.budget.charge(job.user, Math.max(0, seconds - RATE_LIMITS.checkMinSeconds));
    slot.job = undefined;
    slot.timer = undefined;
    slot.started = undefined;
    slot.worker?.unref();
    settle();
    this.pump();
  }
}

export type CheckEnv = Pick<Env, "FLIGHTDECK_CHECK_WORKERS" | "FLIGHTDECK_CHECK_TIMEOUT" | "FLIGHTDECK_CHECK_MEMORY">;

const KEY = Symbol.for("flightdeck.checkPool");
type Holder = { [KEY]?: CheckPool };

/** The process's pool: one for the custom server and Next's route bundle alike (they share globalThis). */
export function checkPool(env: CheckEnv): CheckPool {
  const holder = globalThis as Holder;
  holder[KEY] ??= new CheckPool({
    workers: env.FLIGHTDECK_CHECK_WORKERS,
    timeoutMs: env.FLIGHTDECK_CHECK_TIMEOUT * 1000,
    memoryMb: env.FLIGHTDECK_CHECK_MEMORY,
    queued: CHECK_DEFAULTS.queued,
    queuedPerUser: CHECK_DEFAULTS.queuedPerUser,
  });
  return holder[KEY];
}

/** Stop the process's pool (tests, shutdown); the next checkPool() starts a new one. */
export async function closeCheckPool(): Promise<void> {
  const holder = globalThis as Holder;
  const pool = holder[KEY];
  holder[KEY] = undefined;
  await pool?.close();
}
