/**
 * The outbox's dispatcher. Every process that runs the store runs one; correctness never depends on how many:
 * a tick claims due deliveries with a conditional write (the store's `claim`), so each is sent by one process,
 * then stores how each attempt ended (`finish`, fenced by the attempt number: a claim that expired and was
 * taken over cannot overwrite the new owner's result). The timer only calls `tick`; tests call it themselves
 * with their own clock.
 */
import { DeliveryFailure } from "./failure";
import { setWake } from "./notify";
import { errorText } from "./text";
import type { AttemptResult, Delivery, NotificationChannel, NotificationStore } from "./types";

export type Senders = Record<NotificationChannel, (delivery: Delivery) => Promise<void>>;

export interface DispatcherOptions {
  store: { notifications: NotificationStore };
  senders: Senders;
  clock?: { now(): number };
  /** How often the outbox is looked at when nothing woke the dispatcher (another process's rows, retries). */
  pollMs?: number;
  /** How long a claim holds; a delivery still `sending` after it is taken over (its process died). Must exceed a send's timeout. */
  leaseMs?: number;
  /** Deliveries claimed per tick. */
  batch?: number;
  /** Attempts before a delivery is given up. */
  maxAttempts?: number;
  /** The wait before attempt n + 1, after n failed ones. */
  backoffMs?: (failed: number) => number;
  log?: (line: string) => void;
}

export const DISPATCH_DEFAULTS = { pollMs: 5_000, leaseMs: 120_000, batch: 20, maxAttempts: 5 } as const;

/** 30 s, 2 min, 8 min, 32 min, ... capped at 2 h. */
export function defaultBackoffMs(failed: number): number {
  return Math.min(30_000 * 4 ** Math.max(0, failed - 1), 2 * 3600_000);
}

/** What a tick did to one delivery. */
export interface Dispatched {
  delivery: Delivery;
  result: AttemptResult;
  /** False when the claim was lost meanwhile (the result was not stored). */
  stored: boolean;
}

export class NotificationDispatcher {
  private readonly clock: { now(): number };
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<Dispatched[]> | undefined;
  private again = false;
  private stopped = true;
  private readonly wake = () => this.nudge();

  constructor(private readonly o: DispatcherOptions) {
    this.clock = o.clock ?? { now: Date.now };
  }

  /** Polls the outbox, and is woken by this process's `notify()`. */
  start(): void {
    this.stopped = false;
    setWake(this.wake);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    setWake(null);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking?.catch(() => undefined);
  }

  /** Claims the due deliveries, sends them, stores each attempt's end. One tick at a time per dispatcher. */
  tick(now: number = this.clock.now()): Promise<Dispatched[]> {
    if (this.ticking) {
      this.again = true;
      return this.ticking;
    }
    this.ticking = this.dispatch(now).finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private nudge() {
    if (this.stopped) return;
    if (this.ticking) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick().then(
        (done) => this.schedule(this.again || done.length >= this.batch ? 0 : (this.o.pollMs ?? DISPATCH_DEFAULTS.pollMs)),
        (e: unknown) => {
          this.log(`notifications: the outbox cannot be read: ${errorText(e)}`);
          this.schedule(this.o.pollMs ?? DISPATCH_DEFAULTS.pollMs);
        },
      );
      this.again = false;
    }, ms);
    this.timer.unref();
  }

  private get batch() {
    return this.o.batch ?? DISPATCH_DEFAULTS.batch;
  }

  private async dispatch(now: number): Promise<Dispatched[]> {
    const claimed = await this.o.store.notifications.claim(new Date(now), this.o.leaseMs ?? DISPATCH_DEFAULTS.leaseMs, this.batch);
    return Promise.all(claimed.map((d) => this.attempt(d)));
  }

  private async attempt(delivery: Delivery): Promise<Dispatched> {
    let result: AttemptResult;
    try {
      await this.o.senders[delivery.channel](delivery);
      result = { status: "sent", at: new Date(this.clock.now()) };
    } catch (e) {
      const error = errorText(e);
      const permanent = e instanceof DeliveryFailure ? e.permanent : false;
      const last = delivery.attempts >= (this.o.maxAttempts ?? DISPATCH_DEFAULTS.maxAttempts);
      if (permanent || last) result = { status: "failed", error: last && !permanent ? `${error} (gave up after ${delivery.attempts} attempts)` : error };
      else result = { status: "pending", retryAt: new Date(this.clock.now() + (this.o.backoffMs ?? defaultBackoffMs)(delivery.attempts)), error };
    }
    let stored = false;
    try {
      stored = await this.o.store.notifications.finish(delivery.id, delivery.attempts, result);
    } catch (e) {
      this.log(`notifications: delivery ${delivery.id}: cannot store how it ended (${result.status}): ${errorText(e)}`);
    }
    return { delivery, result, stored };
  }

  private log(line: string) {
    (this.o.log ?? console.error)(line);
  }
}
