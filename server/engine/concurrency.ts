/** Small concurrency tools for the executor: a counting semaphore (forks) and barriers (`sync` steps). */

export class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.free > 0) {
      this.free--;
      return () => this.release();
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiting = this.waiting.filter((w) => w !== go);
        reject(asError(signal!.reason));
      };
      const go = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      if (signal?.aborted) return reject(asError(signal.reason));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(go);
    });
    return () => this.release();
  }

  private release() {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/**
 * Every expected participant arrives before anyone passes. A participant that drops out (failed, unreachable)
 * leaves, so the others never wait for it.
 */
export class Barrier {
  private readonly arrived = new Set<string>();
  private readonly waiters: (() => void)[] = [];
  private open = false;

  constructor(private readonly expected: Set<string>) {}

  arrive(who: string): Promise<void> {
    this.arrived.add(who);
    const p = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.check();
    return p;
  }

  leave(who: string) {
    this.expected.delete(who);
    this.check();
  }

  private check() {
    if (this.open) return;
    for (const e of this.expected) if (!this.arrived.has(e)) return;
    this.open = true;
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Wait `ms`, or less when aborted (a retry interval is cancellable like everything else). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
