/**
 * Token buckets keyed by user: `burst` tokens at most, refilled at `perSecond`. A caller may start while its
 * bucket holds the cost of a start; work whose cost is known only afterwards (seconds of checking) is charged
 * then, and may take the bucket below zero, which the next start waits out. In memory: a restart forgets.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: { burst: number; perSecond: number },
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Take `cost` for `key`; undefined when taken, else the seconds until it could be. */
  take(key: string, cost = 1): number | undefined {
    const b = this.refill(key);
    if (b.tokens < cost) return (cost - b.tokens) / this.limit.perSecond;
    b.tokens -= cost;
    return undefined;
  }

  /** The tokens `key` holds now (whole ones, never below zero), for RateLimit-Remaining. */
  remaining(key: string): number {
    return Math.max(0, Math.floor(this.refill(key).tokens));
  }

  /** Charge `cost` more for work already done (the bucket may go below zero). */
  charge(key: string, cost: number): void {
    this.refill(key).tokens -= cost;
  }

  private refill(key: string): { tokens: number; at: number } {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= 10_000) this.forgetFull(now);
      b = { tokens: this.limit.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.limit.burst, b.tokens + ((now - b.at) / 1000) * this.limit.perSecond);
    b.at = now;
    return b;
  }

  /** A full bucket is the same as none: drop those so the map stays as small as the set of recent callers. */
  private forgetFull(now: number) {
    for (const [key, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.limit.perSecond >= this.limit.burst) this.buckets.delete(key);
  }
}

const KEY = Symbol.for("flightdeck.rateLimits");
type Holder = { [KEY]?: Map<string, TokenBuckets> };

/** The process's buckets of this name: one set for the custom server and Next's route bundle (via globalThis). */
export function sharedBuckets(name: string, limit: { burst: number; perSecond: number }): TokenBuckets {
  const registry = ((globalThis as Holder)[KEY] ??= new Map<string, TokenBuckets>());
  let buckets = registry.get(name);
  if (!buckets) registry.set(name, (buckets = new TokenBuckets(limit)));
  return buckets;
}
