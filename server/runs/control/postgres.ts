/**
 * The control channel across processes: PostgreSQL LISTEN/NOTIFY on one dedicated connection (a pooled one
 * would lose its LISTEN when the pool recycles it). The connection comes back by itself after a restart of the
 * database or a network cut, with growing pauses; messages published meanwhile wait (a bounded number), and
 * this process's own handlers hear its own messages at once, without the round trip.
 *
 * Payloads are small JSON ({ kind, run, ..., from }); NOTIFY's 8000-byte limit is far away.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { deliver, parseControlMessage, type ControlChannel, type ControlHandler, type ControlMessage } from "./types";

export const CONTROL_CHANNEL = "flightdeck_control";
/** Messages kept while disconnected; past that the oldest go (each has its database fallback). */
const MAX_PENDING = 1000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5000;

export interface PostgresControlOptions {
  url: string;
  /** Told when the connection is lost or back (the worker logs it); never required. */
  log?: (line: string) => void;
}

export class PostgresControl implements ControlChannel {
  private readonly handlers = new Set<ControlHandler>();
  /** Marks our own notifications, which we already delivered locally. */
  private readonly origin = randomBytes(6).toString("hex");
  private client: pg.Client | undefined;
  private connected = false;
  private closed = false;
  private pending: string[] = [];
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly ready: Promise<void>;
  private everConnected = false;
  /** Notifications go one after another on the one connection (pg queues them, but deprecates relying on that). */
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly options: PostgresControlOptions) {
    this.ready = new Promise((resolve) => this.connect(resolve));
  }

  /** Resolves once LISTEN is in place the first time (callers that must not miss a message wait for it). */
  whenListening(): Promise<void> {
    return this.ready;
  }

  publish(message: ControlMessage): Promise<void> {
    deliver([...this.handlers], message);
    const payload = JSON.stringify({ ...message, from: this.origin });
    if (!this.connected || !this.client) {
      this.pending.push(payload);
      if (this.pending.length > MAX_PENDING) this.pending.shift();
      return Promise.resolve();
    }
    const client = this.client;
    this.sending = this.sending.then(() => this.notify(client, payload));
    return this.sending;
  }

  subscribe(handler: ControlHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async close() {
    this.closed = true;
    this.handlers.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    await client?.end().catch(() => undefined);
  }

  private async notify(client: pg.Client, payload: string) {
    try {
      await client.query("select pg_notify($1, $2)", [CONTROL_CHANNEL, payload]);
    } catch (e) {
      // The connection broke under us: keep the message for the reconnection.
      this.pending.push(payload);
      this.log(`control: a message waits for the database (${errorText(e)})`);
    }
  }

  private connect(onFirst: () => void) {
    if (this.closed) return onFirst();
    const client = new pg.Client({ connectionString: this.options.url, application_name: "flightdeck-control" });
    // pg emits 'error' on a broken idle connection: without a listener that would crash the process.
    client.on("error", (e) => this.lost(client, e, onFirst));
    client.on("end", () => this.lost(client, undefined, onFirst));
    client.on("notification", (n) => {
      if (n.channel !== CONTROL_CHANNEL || !n.payload) return;
      let from: unknown;
      try {
        from = (JSON.parse(n.payload) as { from?: unknown }).from;
      } catch {
        return;
      }
      if (from === this.origin) return; // delivered locally when published
      const message = parseControlMessage(n.payload);
      if (message) deliver([...this.handlers], message);
    });
    this.client = client;
    client
      .connect()
      .then(() => client.query(`listen ${CONTROL_CHANNEL}`))
      .then(async () => {
        if (this.closed || this.client !== client) return void client.end().catch(() => undefined);
        this.connected = true;
        this.retryMs = RECONNECT_MIN_MS;
        if (this.everConnected) {
          this.log("control: listening again");
          // Whatever was said while we were away is lost to us: dispatchers look at the queue again.
          deliver([...this.handlers], { kind: "nudge" });
        }
        this.everConnected = true;
        onFirst();
        const pending = this.pending;
        this.pending = [];
        this.sending = this.sending.then(async () => {
          for (const payload of pending) await this.notify(client, payload);
        });
        await this.sending;
      })
      .catch((e: unknown) => this.lost(client, e, onFirst));
  }

  private lost(client: pg.Client, e: unknown, onFirst: () => void) {
    if (this.client !== client) return; // an older connection's late event
    this.client = undefined;
    const wasConnected = this.connected;
    this.connected = false;
    client.removeAllListeners("notification");
    client.removeAllListeners("end");
    // keep an 'error' listener: a late error on the dead client must not become an uncaught exception
    client.removeAllListeners("error");
    client.on("error", () => undefined);
    void client.end().catch(() => undefined);
    if (this.closed) return;
    if (wasConnected) this.log(`control: lost the database connection${e ? ` (${errorText(e)})` : ""}; reconnecting`);
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
    this.retryTimer = setTimeout(() => this.connect(onFirst), wait);
    this.retryTimer.unref();
  }

  private log(line: string) {
    (this.options.log ?? ((l: string) => console.error(`flightdeck: ${l}`)))(line);
  }
}

function errorText(e: unknown) {
  return e instanceof Error ? e.message : String(e);
}
