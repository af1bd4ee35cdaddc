/**
 * A PostgreSQL process that executes nothing (`flightdeck serve --no-worker`) is still a process of the
 * installation: it registers in the registry of live processes, as workers do, so a worker of another build
 * finds it at start and refuses to run beside it. It says it is alive on the lease rhythm and leaves on stop.
 */
import { hostname } from "node:os";
import type { WorkerRegistry } from "../store/types";
import { newWorkerId } from "./worker";

export class Presence {
  readonly id = newWorkerId();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: WorkerRegistry,
    private readonly o: { version: string; leaseMs: number; log?: (line: string) => void },
  ) {}

  async start() {
    await this.register();
    this.timer = setInterval(() => void this.beat(), Math.max(50, Math.floor(this.o.leaseMs / 3)));
    this.timer.unref();
  }

  /** As a killed process: the row stays until a sweeper finds it stale. */
  abandon() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.registry.remove(this.id).catch((e: unknown) => this.o.log?.(`cannot leave the registry of live processes: ${(e as Error).message}`));
  }

  private register() {
    return this.registry.register({ id: this.id, host: hostname(), pid: process.pid, version: this.o.version });
  }

  /** A sweeper may have removed the row (this process stalled): registered again. */
  private async beat() {
    try {
      if (!(await this.registry.heartbeat(this.id))) await this.register();
    } catch (e) {
      this.o.log?.(`cannot say it is alive in the registry of live processes: ${(e as Error).message}`);
    }
  }
}
