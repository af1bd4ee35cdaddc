/**
 * Dispatch of queued runs. The `runs` table is the queue of record (status `queued`, FIFO by queued_at then id;
 * the store's `claim` enforces the per-site limit and the order within a site, in one transaction). What a
 * queue adds is telling executing processes when a run may be claimable, without each polling the table.
 */
export interface RunQueue {
  /** Run `run` is stored as `queued`: tell the processes that execute runs. Never rejects (the sweeper re-sends lost nudges). */
  submit(run: number): Promise<void>;
  /** A slot of `site` may have freed (a run ended or was claimed): its first queued run is worth a claim. Never rejects. */
  nudgeSite(site: string): Promise<void>;
  close(): Promise<void>;
}

/** The consuming side, in a process that executes runs: claims what it is told of while it has capacity. */
export interface Dispatcher {
  start(): Promise<void>;
  /** Look now (a run finished here, or the control channel said the queue changed). */
  wake(): void;
  /** Stops taking runs (the worker's running ones are its own business). */
  stop(): Promise<void>;
}

/** What a dispatcher needs of the worker: its free capacity and a claim that starts the run. */
export interface Taker {
  free(): number;
  take(run: number): Promise<"claimed" | "busy" | "gone">;
}
