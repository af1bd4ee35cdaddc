/**
 * A worker's event storage thread (see server/runs/sink-thread.ts): each run's events go through a StoredSink
 * of their own here, with this thread's store connections and socket.io emitter. Messages are handled in the
 * order they came, so a flush answers for everything sent before it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PostgresEmitterBroadcaster } from "../broadcast";
import type { FromSinkThread, SinkThreadData, ToSinkThread } from "../runs/sink-thread";
import { StoredSink } from "../runs/sink";
import { openStore } from "../store/open";

const port = parentPort!;
const { url, pool } = workerData as SinkThreadData;
const reply = (m: FromSinkThread) => port.postMessage(m);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function main() {
  const store = await openStore({ FLIGHTDECK_DATABASE_URL: url, FLIGHTDECK_DATABASE_POOL: String(pool) }, { migrate: false });
  let broadcaster: PostgresEmitterBroadcaster;
  try {
    broadcaster = await PostgresEmitterBroadcaster.open(url, { log: (l) => console.error(`flightdeck: event storage: ${l}`) });
  } catch (e) {
    await store.close();
    throw e;
  }
  const sinks = new Map<number, StoredSink>();
  const sinkOf = (run: number) => {
    let sink = sinks.get(run);
    if (!sink) sinks.set(run, (sink = new StoredSink(run, store.runs, broadcaster)));
    return sink;
  };

  port.on("message", (m: ToSinkThread) => {
    switch (m.kind) {
      case "batch": {
        const sink = sinkOf(m.run);
        for (const { event, t } of m.events) sink.event(event, t);
        for (const { chunk, t } of m.output) sink.output(chunk, t);
        return;
      }
      case "flush":
        return void (sinks.get(m.run)?.flush() ?? Promise.resolve()).then(
          () => reply({ kind: "flushed", id: m.id }),
          (e: unknown) => reply({ kind: "flushed", id: m.id, error: message(e) }),
        );
      case "release": {
        const sink = sinks.get(m.run);
        sinks.delete(m.run);
        // What it still holds is stored (its failure was already told to whoever flushed it).
        return void sink?.flush().catch(() => undefined);
      }
      case "close":
        return void (async () => {
          await Promise.allSettled([...sinks.values()].map((s) => s.flush()));
          await broadcaster.close().catch(() => undefined);
          await store.close().catch(() => undefined);
          reply({ kind: "closed" });
          port.close();
        })();
    }
  });
  reply({ kind: "ready" });
}

main().catch((e: unknown) => {
  reply({ kind: "failed", message: `the event storage thread could not connect: ${message(e)}` });
  port.close();
});
