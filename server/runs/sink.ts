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

export class StoredSink implements EventSink {
  private events: UnnumberedEvent[] = [];
  private chunks: StoredOutputChunk[] = [];
  private readonly cap = new OutputCap();
  private timer: NodeJS.Timeout | undefined;
  /** The end of the chain of flushes: each batch is stored and broadcast after the one before. */
  private chain: Promise<void> = Promise.resolve();
  /** The first failure to store: every later flush reports it (nothing after a lost batch may be broadcast). */
  private failure: Error | undefined;

  constructor(
    private readonly runId: number,
    private readonly store: RunStore,
    private readonly broadcaster: Broadcaster,
  ) {}

  event(event: EngineEvent) {
    this.events.push({ ...event, t: Date.now() });
    if (event.type === "run.finished" || this.events.length >= FLUSH_EVENTS) void this.flush().catch(() => undefined);
    else this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), FLUSH_MS);
  }

  output(chunk: OutputChunk) {
    const data = this.cap.take(chunk);
    if (data === undefined) return;
    this.chunks.push({ ...chunk, data, t: Date.now() });
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), FLUSH_MS);
  }

  /** Stores (then broadcasts) what was collected; resolves when it and every earlier batch are stored, rejects if one could not be. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.events;
    const chunks = this.chunks;
    this.events = [];
    this.chunks = [];
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined) throw this.failure;
      if (!events.length && !chunks.length) return;
      try {
        const stored = await this.store.append(this.runId, events, chunks);
        if (stored.length) this.broadcaster.runEvents(this.runId, stored);
        if (chunks.length) this.broadcaster.runOutput(this.runId, chunks);
      } catch (e) {
        this.failure = e instanceof Error ? e : new Error(String(e));
        console.error(`flightdeck: could not store the events of run ${this.runId}: ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      }
    });
    return this.chain;
  }
}
