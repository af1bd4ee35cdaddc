/**
 * The server's event sink: numbers every event, stores events and output in batched transactions, and only
 * then broadcasts them, so a browser never sees a state the database does not hold. Output is capped per
 * step in storage (the cut is said in the output itself).
 */
import type { Broadcaster } from "../broadcaster";
import type { EngineEvent, EventSink, OutputChunk, RunEvent } from "../engine";
import type { RunStore } from "./store";

export const OUTPUT_CAP_BYTES = 256 * 1024;
const FLUSH_MS = 25;
const FLUSH_EVENTS = 512;

export class StoredSink implements EventSink {
  private seq: number;
  private events: RunEvent[] = [];
  private chunks: (OutputChunk & { t: number })[] = [];
  private readonly stored = new Map<string, number>();
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
    const key = `${chunk.host}\0${chunk.step}`;
    const used = this.stored.get(key) ?? 0;
    // Past the cap (one byte past it marks "the cut was said"), nothing more of this step is stored.
    if (used > OUTPUT_CAP_BYTES) return;
    let data = chunk.data;
    const size = Buffer.byteLength(data);
    if (used + size > OUTPUT_CAP_BYTES) {
      // Also when the cap was reached exactly by earlier chunks: the first byte that does not fit says so.
      data = `${Buffer.from(data).subarray(0, OUTPUT_CAP_BYTES - used).toString("utf8")}\n[flightdeck: output truncated: only the first ${OUTPUT_CAP_BYTES / 1024} KiB of this step are kept]\n`;
    }
    this.stored.set(key, used + size);
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
