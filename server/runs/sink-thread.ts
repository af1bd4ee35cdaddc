/**
 * A worker's run events stored and broadcast from a thread of their own (PostgreSQL). Executing a run keeps a
 * process's event loop busy: every local step is a fork of this (large) process, and a fork blocks the thread
 * that makes it. Measured with a 2,000-host run: 85% of the loop's time in spawn, each turn of the loop about
 * half a second, and every database round trip waiting for a turn, so events reached browsers seconds after
 * they happened. Here the engine's thread only hands events over (one message per burst, right away); the
 * storage thread numbers, stores and broadcasts them on its own loop, with its own connections and emitter.
 * Events keep the time the engine made them, so the delay they measure includes the hand-over.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { EngineEvent, OutputChunk } from "../engine";
import type { RunSink, RunSinks } from "./sink";

export interface SinkThreadData {
  url: string;
  /** Connections of the thread's own pool. */
  pool: number;
}

export type ToSinkThread =
  | { kind: "batch"; run: number; events: { event: EngineEvent; t: number }[]; output: { chunk: OutputChunk; t: number }[] }
  | { kind: "flush"; run: number; id: number }
  | { kind: "release"; run: number }
  | { kind: "close" };

export type FromSinkThread = { kind: "ready" } | { kind: "failed"; message: string } | { kind: "flushed"; id: number; error?: string } | { kind: "closed" };

/** The thread's connections: one append at a time per run, and runs are few per worker. */
const THREAD_POOL = 4;
/** How long a closing thread may take to store what it holds before it is stopped. */
const CLOSE_MS = 10_000;

function entryFile(): string {
  const file = join(/* turbopackIgnore: true */ process.cwd(), "server", "workers", "sink-thread.mjs");
  if (!existsSync(file)) throw new Error(`the event storage thread is missing: ${file} (start Flightdeck from the project directory)`);
  return file;
}

export class SinkThread implements RunSinks {
  private nextId = 1;
  private readonly flushes = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  /** Set when the thread is gone: every sink fails with it from then on. */
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (m: FromSinkThread) => {
      if (m.kind !== "flushed") return;
      const waiting = this.flushes.get(m.id);
      this.flushes.delete(m.id);
      if (m.error === undefined) waiting?.resolve();
      else waiting?.reject(new Error(m.error));
    });
    worker.on("error", (e) => this.fail(new Error(`the event storage thread failed: ${e.message}`)));
    worker.on("exit", (code) => this.fail(new Error(`the event storage thread ended (exit code ${code})`)));
  }

  /** Starts the thread; rejects with the thread's own words when it cannot connect. */
  static start(url: string): Promise<SinkThread> {
    const data: SinkThreadData = { url, pool: THREAD_POOL };
    const worker = new Worker(/* turbopackIgnore: true */ /* webpackIgnore: true */ entryFile(), { workerData: data });
    return new Promise((resolve, reject) => {
      const early = (e: Error) => reject(new Error(`the event storage thread could not start: ${e.message}`));
      worker.once("error", early);
      worker.once("message", (m: FromSinkThread) => {
        worker.off("error", early);
        if (m.kind === "ready") return resolve(new SinkThread(worker));
        void worker.terminate();
        reject(new Error(m.kind === "failed" ? m.message : `the event storage thread said '${m.kind}' before it was ready`));
      });
    });
  }

  open(run: number): RunSink {
    return new ThreadSink(run, this);
  }

  post(message: ToSinkThread) {
    if (!this.failure) this.worker.postMessage(message);
  }

  flush(run: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.flushes.set(id, { resolve, reject });
      this.worker.postMessage({ kind: "flush", run, id } satisfies ToSinkThread);
    });
  }

  /** Stores what the thread holds, then ends it (stopped if it takes longer than CLOSE_MS). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.failure) return;
      const ended = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
      this.worker.postMessage({ kind: "close" } satisfies ToSinkThread);
      const timer = setTimeout(() => void this.worker.terminate(), CLOSE_MS);
      await ended;
      clearTimeout(timer);
    })();
    return this.closing;
  }

  private fail(e: Error) {
    if (this.failure) return;
    this.failure = e;
    if (!this.closing) console.error(`flightdeck: ${e.message}`);
    for (const waiting of this.flushes.values()) waiting.reject(e);
    this.flushes.clear();
  }
}

/** One run's side on the engine's thread: what one synchronous burst of the engine makes goes as one message. */
class ThreadSink implements RunSink {
  private pending: Extract<ToSinkThread, { kind: "batch" }> | undefined;

  constructor(
    private readonly run: number,
    private readonly thread: SinkThread,
  ) {}

  event(event: EngineEvent) {
    this.batch().events.push({ event, t: Date.now() });
  }

  output(chunk: OutputChunk) {
    this.batch().output.push({ chunk, t: Date.now() });
  }

  flush(): Promise<void> {
    this.send();
    return this.thread.flush(this.run);
  }

  release() {
    this.send();
    this.thread.post({ kind: "release", run: this.run });
  }

  private batch() {
    if (!this.pending) {
      this.pending = { kind: "batch", run: this.run, events: [], output: [] };
      // A microtask, not a timer: the batch leaves as soon as the current callback ends, however busy the loop.
      queueMicrotask(() => this.send());
    }
    return this.pending;
  }

  private send() {
    const batch = this.pending;
    this.pending = undefined;
    if (batch) this.thread.post(batch);
  }
}
