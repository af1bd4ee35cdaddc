/**
 * The server's event sink: numbers every event, stores events and output in batched transactions, and only
 * then broadcasts them, so a browser never sees a state the database does not hold. Output is capped per
 * step in storage (the cut is said in the output itself).
 */
import type { Broadcaster } from "../broadcaster";
import type { EngineEvent, EventSink, OutputChunk, RunEvent } from "../engine";
import { OutputCap } from "../engine/output-cap";
import type { RunStore } from "./store";

const FLUSH_MS = 25;
const FLUSH_EVENTS = 512;

export class StoredSink implements EventSink {
  private seq: number;
  private events: RunEvent[] = [];
  private chunks: (OutputChunk & { t: number })[] = [];
  private readonly cap = new OutputCap();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly runId: number,
    private readonly store: RunStore,
    private readonly broadcaster: Broadcaster,
  ) {
    this.seq = store.lastSeq(runId);
  }

  event(event: EngineEvent) {
    this.events.push({ ...event, seq: ++this.seq, t: Date.now() });
    if (event.type === "run.finished" || this.events.length >= FLUSH_EVENTS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  output(chunk: OutputChunk) {
    const data = this.cap.take(chunk);
    if (data === undefined) return;
    this.chunks.push({ ...chunk, data, t: Date.now() });
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.events;
    const chunks = this.chunks;
    if (!events.length && !chunks.length) return;
    this.events = [];
    this.chunks = [];
    this.store.append(this.runId, events, chunks);
    if (events.length) this.broadcaster.runEvents(this.runId, events);
    if (chunks.length) this.broadcaster.runOutput(this.runId, chunks);
  }
}
