/**
 * The shared broadcast between real processes: two web replicas (the production server on PostgreSQL, each on
 * its own port) and a plain process with the emitter that workers use. A browser's socket on replica B follows
 * what replica A (or a worker) stores: the site room hears of the run, the run room gets every stored event, in
 * order, with nothing missing after the join; one session counts on every replica.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Socket } from "socket.io-client";
import { PostgresEmitterBroadcaster } from "../../server/broadcast";
import type { RunEvent } from "../../server/engine";
import { Client, join } from "../api/client";
import { CLUSTER_ADMIN_PASSWORD, clusterSkipReason, startCluster, type Cluster } from "../support/cluster";
import { createLocalSite, launch } from "../support/cluster-site";

/** What a socket heard, and a way to wait for something in it. */
function listen(socket: Socket) {
  const heard: { event: string; payload: unknown }[] = [];
  const waiters = new Set<() => void>();
  socket.onAny((event: string, payload: unknown) => {
    heard.push({ event, payload });
    for (const w of [...waiters]) w();
  });
  const until = <T>(find: () => T | undefined, what: string, timeoutMs = 30_000) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${what} did not arrive within ${timeoutMs / 1000} s; heard: ${heard.map((h) => h.event).join(", ")}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { heard, until };
}

function connected(socket: Socket): Promise<void> {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
}

describe("broadcast across web replicas on PostgreSQL", { skip: clusterSkipReason() }, () => {
  let cluster: Cluster;
  let onA: Client;
  let onB: Client;

  before(async () => {
    cluster = await startCluster({ web: 2 });
    onA = new Client(cluster.web[0]!.url!, "admin on A");
    assert.equal(await onA.signIn("admin", CLUSTER_ADMIN_PASSWORD), 200);
    // The session made on A, used on B: replicas share the sessions and the secret that signs them.
    onB = new Client(cluster.web[1]!.url!, "admin on B");
    onB.cookie = onA.cookie;
    await createLocalSite(onA, "fleet", { hosts: 12, steps: 3, cmd: "sleep 0.1" });
  });
  after(async () => {
    await cluster?.close();
  });

  test("a run requested on replica A is followed on replica B: the site hears of it, the run's events arrive in order and complete", async () => {
    const socket = onB.socket();
    try {
      await connected(socket);
      const heard = listen(socket);
      assert.deepEqual(await join(socket, "site.watch", "fleet"), { ok: true });
      const id = await launch(onA, "fleet");
      await heard.until(() => heard.heard.find((h) => h.event === "site.runs" && (h.payload as { run: number }).run === id), "site.runs for the run");
      assert.deepEqual(await join(socket, "run.watch", id), { ok: true });
      const live = () => heard.heard.filter((h) => h.event === "run.events").flatMap((h) => (h.payload as { run: number; events: RunEvent[] }).events);
      await heard.until(() => live().find((e) => e.type === "run.finished"), "run.finished", 60_000);

      const stored = await onB.ok<RunEvent[]>("runs.events", { id, after: 0 }, "query");
      const received = live();
      // Stored events are numbered 1..n without a gap; what arrived after the join is their tail, in order, once.
      assert.deepEqual(
        stored.map((e) => e.seq),
        stored.map((_, i) => i + 1),
      );
      assert.ok(received.length > 10, `only ${received.length} events arrived live`);
      assert.deepEqual(received, stored.slice(stored.length - received.length));
      assert.equal(received.at(-1)!.type, "run.finished");
    } finally {
      socket.disconnect();
    }
  });

  test("the emitter of a process without a socket.io server (as a worker broadcasts) reaches the room on both replicas", async () => {
    const sockets = [onA.socket(), onB.socket()];
    const emitter = await PostgresEmitterBroadcaster.open(cluster.databaseUrl);
    try {
      const listeners = await Promise.all(
        sockets.map(async (socket) => {
          await connected(socket);
          const heard = listen(socket);
          assert.deepEqual(await join(socket, "site.watch", "fleet"), { ok: true });
          return heard;
        }),
      );
      const events = Array.from({ length: 300 }, (_, i) => ({ type: "run.status", status: "requested", seq: i + 1, t: i }) as unknown as RunEvent);
      emitter.siteRevision({ site: "fleet", revision: 99, author: "a worker", message: "from a plain process" });
      // Over NOTIFY's 8000 bytes: through the attachments table (and to a room nobody here joined).
      emitter.runEvents(424242, events);
      emitter.siteRuns("fleet", 424242);
      for (const heard of listeners) {
        await heard.until(() => heard.heard.find((h) => h.event === "site.runs" && (h.payload as { run: number }).run === 424242), "site.runs from the emitter");
        assert.deepEqual(
          heard.heard.filter((h) => h.event !== "site.runs" || (h.payload as { run: number }).run === 424242),
          [
            { event: "site.revision", payload: { site: "fleet", revision: 99, author: "a worker", message: "from a plain process" } },
            { event: "site.runs", payload: { site: "fleet", run: 424242 } },
          ],
        );
      }
    } finally {
      for (const s of sockets) s.disconnect();
      await emitter.close();
    }
  });

  test("nothing in either replica's log is a stack trace or a broadcast failure", () => {
    for (const p of cluster.web) {
      assert.doesNotMatch(p.log(), /\n\s+at .*\(/, `${p.name}: a stack trace`);
      assert.doesNotMatch(p.log(), /PostgreSQL adapter\):/, `${p.name}: a broadcast failure`);
    }
  });
});
