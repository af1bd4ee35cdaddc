/**
 * The single process of the embedded setup (SQLite): the queue is the runs table, read in order whenever
 * something changed (a run was approved or ended), and every queued run is tried while this process has room.
 * A site's runs wait for its free slot (`parallel_runs`, default 1) and start in the order they were queued.
 */
import type { RunStore } from "../../store/types";
import type { ControlChannel } from "../control";
import { Passes } from "./passes";
import type { Dispatcher, RunQueue, Taker } from "./types";

export class EmbeddedQueue implements RunQueue {
  constructor(private readonly control: ControlChannel) {}

  submit(run: number): Promise<void> {
    return this.control.publish({ kind: "nudge", run });
  }

  nudgeSite(site: string): Promise<void> {
    return this.control.publish({ kind: "nudge", site });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export class EmbeddedDispatcher implements Dispatcher {
  private readonly passes = new Passes(
    () => this.scan(),
    (e: unknown) => this.log(`cannot read the queue: ${e instanceof Error ? e.message : String(e)}`),
  );
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly runs: Pick<RunStore, "queued">,
    private readonly worker: Taker,
    private readonly control: ControlChannel,
    private readonly log: (line: string) => void = (l) => console.error(`flightdeck: queue: ${l}`),
  ) {}

  start(): Promise<void> {
    this.passes.start();
    this.unsubscribe = this.control.subscribe((m) => {
      if (m.kind === "nudge" || m.kind === "finished") this.wake();
    });
    // Runs queued before a restart are still in line.
    this.wake();
    return Promise.resolve();
  }

  wake() {
    this.passes.wake();
  }

  async stop() {
    this.unsubscribe?.();
    await this.passes.stop();
  }

  /** One pass in queue order: a site that answered "busy" is full (or its first run is not ours to try), skip its others. */
  private async scan() {
    if (this.worker.free() <= 0) return;
    const full = new Set<string>();
    for (const q of await this.runs.queued()) {
      if (this.passes.isStopped || this.worker.free() <= 0) return;
      if (full.has(q.site)) continue;
      if ((await this.worker.take(q.id)) === "busy") full.add(q.site);
    }
  }
}
