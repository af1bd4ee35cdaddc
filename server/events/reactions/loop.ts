/**
 * The loop that fires due `wait_for_more` waits. Every process with a store runs one: each due wait is claimed
 * in one transaction (Reactor.fireDueWaits), so it fires once whatever the number of processes. Tests call
 * `tick(now)`; the timer only calls tick, and is unref'd.
 */
import type { Reactor } from "./reactor";

export interface WaitLoopOptions {
  clock?: { now(): number };
  /** How often the timer ticks (ms). Default 1000: a wait fires at most about a second late. */
  intervalMs?: number;
  log?: (line: string) => void;
}

export class WaitLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly reactor: Pick<Reactor, "fireDueWaits">,
    private readonly o: WaitLoopOptions = {},
  ) {}

  /** Fires what is due at `now`; one tick at a time (a slow tick is not overlapped by the next). */
  tick(now = (this.o.clock ?? Date).now()): Promise<number> {
    this.running ??= this.reactor.fireDueWaits(now).finally(() => (this.running = undefined));
    return this.running;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.tick().catch((e: unknown) => this.o.log?.(`reaction waits: ${e instanceof Error ? e.message : String(e)}`));
    }, this.o.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stops the timer and waits for a tick under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
