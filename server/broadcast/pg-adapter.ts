/**
 * Installs socket.io's PostgreSQL adapter (@socket.io/postgres-adapter 0.5) on a web replica's socket.io
 * server: an emit on any replica then reaches the sockets of every replica, and what workers send with the
 * emitter (pg-emitter.ts) reaches this replica's sockets. Joins stay local: the replica holding a socket checks
 * each join itself (server/socket.ts) and only its own sockets are ever in its rooms.
 *
 * Around the adapter, what its source (0.5.0) leaves to the application:
 * - errors: its default handler is a `debug` call, i.e. silence; here they are logged once per outage.
 * - the LISTEN connection it keeps checked out of the pool has no error listener and, when the connection ends,
 *   is never released (the adapter just takes another): pg would crash the process on the first, and the pool
 *   would run out of connections after a few database restarts. The pool given to the adapter (a thin wrapper
 *   over ours) handles both.
 * - a failing `pool.connect()` for LISTEN is retried every ~2 s without a word: logged here too.
 * - a LISTEN connection that silently stops hearing (a half-open TCP connection) is not noticed by anyone: a
 *   probe notification every 30 s must come back within 10 s, else the connection is ended and the adapter
 *   opens a new one.
 * Start waits until this replica hears its own probe, so a replica says it is up only once it receives what the
 * others send.
 */
import { createAdapter } from "@socket.io/postgres-adapter";
import type pg from "pg";
import type { Server } from "socket.io";
import { ATTACHMENTS_TABLE, broadcastPool, CHANNEL, CHANNEL_PREFIX, CLEANUP_MS, ensureAttachmentsTable, PAYLOAD_THRESHOLD, probeMessage } from "./pg-common";
import { OutageLog, redact } from "./outage";

const PROBE_EVERY_MS = 30_000;
const PROBE_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 30_000;

/**
 * The adapter handles each notification on its own (reading an attachment first when there is one), so a small
 * message could overtake a large one notified before it. Its handlers on this client are made to run one after
 * another, in the order the notifications came.
 */
function inOrder(client: pg.PoolClient) {
  const on = client.on.bind(client);
  let previous: Promise<unknown> = Promise.resolve();
  client.on = ((event: string, listener: (...args: unknown[]) => unknown) => {
    if (event !== "notification") return on(event as "error", listener);
    return on("notification", (msg) => {
      previous = previous.then(() => listener(msg)).catch(() => undefined);
    });
  }) as typeof client.on;
}

export interface PostgresAdapterHandle {
  /** After `io.close()` (which closes the adapter and gives its LISTEN connection back): closes the pool. */
  close(): Promise<void>;
}

export async function usePostgresAdapter(
  // Any event maps: the adapter forwards packets without looking at them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  io: Server<any, any>,
  url: string,
  options: { log?: (line: string) => void } = {},
): Promise<PostgresAdapterHandle> {
  const outage = new OutageLog("live updates from other processes (PostgreSQL adapter)", url, options.log);
  // One connection for LISTEN, one for everything else: publishes and attachment reads then go one at a time in
  // order, so batches of one run arrive in the order they were sent.
  const pool = broadcastPool(url, 2, "flightdeck-broadcast", outage);
  try {
    await ensureAttachmentsTable(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`broadcast: could not prepare ${ATTACHMENTS_TABLE} in the database: ${redact(err instanceof Error ? err.message : String(err), url)}`);
  }

  const waiting = new Map<string, () => void>();
  let listener: pg.PoolClient | undefined;
  const hear = (msg: pg.Notification) => {
    if (msg.channel !== CHANNEL || !msg.payload?.startsWith('{"uid":"probe-')) return;
    const id = (JSON.parse(msg.payload) as { uid: string }).uid.slice("probe-".length);
    waiting.get(id)?.();
  };
  // The adapter calls only `connect()` (for its LISTEN connection) and `query(text, values)` (0.5.0's source).
  const adapterPool = {
    async connect(): Promise<pg.PoolClient> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        outage.fail(err);
        throw err;
      }
      outage.ok();
      listener = client;
      client.on("notification", hear);
      inOrder(client);
      // The adapter removes every "end" listener before it releases the client itself (io.close()), so this one
      // only runs when the connection was lost, when nobody else will release it.
      client.once("end", () => {
        if (listener === client) listener = undefined;
        try {
          client.release(new Error("the LISTEN connection ended"));
        } catch {
          // released already
        }
      });
      return client;
    },
    async query(text: string, values?: unknown[]) {
      try {
        const result = await pool.query(text, values);
        outage.ok();
        return result;
      } catch (err) {
        outage.fail(err);
        throw err;
      }
    },
  };

  /** Resolves once a probe sent now has come back on the LISTEN connection (sent again every 250 ms meanwhile). */
  const probe = (timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const { id, payload } = probeMessage();
      const send = () => void pool.query("select pg_notify($1, $2)", [CHANNEL, payload]).catch(() => undefined);
      const again = setInterval(send, 250);
      const done = () => {
        clearInterval(again);
        clearTimeout(deadline);
        waiting.delete(id);
      };
      const deadline = setTimeout(() => {
        done();
        reject(new Error(`no notification came back on the LISTEN connection within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      waiting.set(id, () => {
        done();
        resolve();
      });
      send();
    });

  io.adapter(
    createAdapter(adapterPool as unknown as pg.Pool, {
      channelPrefix: CHANNEL_PREFIX,
      tableName: ATTACHMENTS_TABLE,
      payloadThreshold: PAYLOAD_THRESHOLD,
      cleanupInterval: CLEANUP_MS,
      errorHandler: (err) => outage.fail(err),
    }),
  );

  try {
    await probe(START_TIMEOUT_MS);
  } catch (err) {
    // Stops the adapter's timers and reconnections; the socket.io server stays its owner's.
    await io.of("/").adapter.close();
    await pool.end().catch(() => undefined);
    throw new Error(`broadcast: ${err instanceof Error ? err.message : String(err)}`);
  }

  let probing = false;
  const watchdog = setInterval(() => {
    if (probing || !listener) return;
    probing = true;
    probe(PROBE_TIMEOUT_MS).then(
      () => (probing = false),
      (err: unknown) => {
        probing = false;
        outage.fail(err);
        // Ending it makes the adapter open a new one (and our "end" listener gives this one back).
        void listener?.end().catch(() => undefined);
      },
    );
  }, PROBE_EVERY_MS);
  watchdog.unref();

  return {
    async close() {
      clearInterval(watchdog);
      for (const resolve of waiting.values()) resolve();
      await pool.end();
    },
  };
}
