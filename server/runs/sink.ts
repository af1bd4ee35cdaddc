/**
 * The server's event sink: collects events and output, stores them in batched transactions (the store numbers
 * the events), and only then broadcasts them, so a browser never sees a state the database does not hold. The
 * engine calls `event()` and `output()` synchronously; flushes run one after another on a promise chain, so
 * batches are stored, and broadcast, in the order they were made. Output is capped per step in storage (the cut
 * is said in the output itself).
 */
import type { Broadcaster } from "../broadcast";
import type { EngineEvent, EventSink, OutputChunk } from "../engine";
import { OutputCap } from "../engine/output-cap";
import type { RunStore, StoredOutputChunk, UnnumberedEvent } from "../store/types";

const FLUSH_MS = 25;
const FLUSH_EVENTS = 512;
/** The most events one transaction stores (and one broadcast carries) when they have piled up. */
const MAX_BATCH = 4096;

/** What a sink broadcasts: a run's events and output, once stored. */
export type SinkBroadcaster = Pick<Broadcaster, "runEvents" | "runOutput">;

/** A run's sink as the worker holds it: flushed before the run's end is stored, released after. */
export interface RunSink extends EventSink {
  /** Resolves when everything given so far is stored; rejects if some of it could not be. */
  flush(): Promise<void>;
  /** After the last flush: nothing more comes for this run. */
  release(): void;
}

/** Where a worker's runs store their events: in its own thread (StoredSink) or in a storage thread (./sink-thread). */
export interface RunSinks {
  open(runId: number): RunSink;
  close(): Promise<void>;
}

/** Sinks that store on the calling thread (the embedded setup: one process, one event loop). */
export function storedSinks(store: RunStore, broadcaster: SinkBroadcaster): RunSinks {
  return { open: (runId) => new StoredSink(runId, store, broadcaster), close: async () => {} };
}

export class StoredSink implements RunSink {
  private events: UnnumberedEvent[] = [];
  private chunks: StoredOutputChunk[] = [];
  private readonly cap = new OutputCap();
  private timer: NodeJS.Timeout | undefined;
  /** The batch being stored, and those that follow it while events keep coming. */
  private draining: Promise<void> | undefined;
  /** The first failure to store: every later flush reports it (nothing after a lost batch may be broadcast). */
  private failure: Error | undefined;

  constructor(
    private readonly runId: number,
    private readonly store: RunStore,
    private readonly broadcaster: SinkBroadcaster,
  ) {}

  /** `t`: when the event was made (a storage thread is given the time the engine's thread made it). */
  event(event: EngineEvent, t = Date.now()) {
    this.events.push({ ...event, t });
    if (event.type === "run.finished" || this.events.length >= FLUSH_EVENTS) void this.flush().catch(() => undefined);
    else this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), FLUSH_MS);
  }

  output(chunk: OutputChunk, t = Date.now()) {
    const data = this.cap.take(chunk);
    if (data === undefined) return;
    this.chunks.push({ ...chunk, data, t });
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), FLUSH_MS);
  }

  /**
   * Stores (then broadcasts) what was collected; resolves when it and every earlier batch are stored, rejects if
   * one could not be. One batch is stored at a time: what comes while one is being stored waits and goes in
   * the next, as one batch (up to MAX_BATCH events), so a slow database gets fewer, larger transactions instead
   * of a growing line of small ones (on PostgreSQL under load, a line that delayed events by seconds).
   */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.draining) return this.draining;
    if (!this.events.length && !this.chunks.length) return Promise.resolve();
    this.draining = this.drain();
    return this.draining;
  }

  release() {}

  /** Stores batches until nothing is left (its first pass always awaits a store: there is something to store). */
  private async drain(): Promise<void> {
    try {
      do {
        const events = this.events.splice(0, MAX_BATCH);
        // Output goes with the last batch of events (numbering and broadcast order stay those of the events).
        const chunks = this.events.length ? [] : this.chunks;
        if (!this.events.length) this.chunks = [];
        try {
          const stored = await this.store.append(this.runId, events, chunks);
          if (stored.length) this.broadcaster.runEvents(this.runId, stored);
          if (chunks.length) this.broadcaster.runOutput(this.runId, chunks);
        } catch (e) {
          this.failure = e instanceof Error ? e : new Error(String(e));
          console.error(`flightdeck: could not store the events of run ${this.runId}: ${e instanceof Error ? e.message : String(e)}`);
          throw e;
        }
      } while (this.events.length || this.chunks.length);
    } finally {
      // Cleared in the same step as the last check above, so a flush asked for after it starts a new drain.
      this.draining = undefined;
    }
  }
}
