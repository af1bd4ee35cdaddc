/**
 * A web replica dying loses nothing: the run page's feed (components/runs/feed.ts, the browser's own code)
 * follows a run through a load balancer; the replica it is connected to is SIGKILLed mid-run and the balancer
 * sends new connections to the other replica. The feed reconnects there, joins the run's room again, fetches
 * what was stored meanwhile after its last seq, and ends with exactly the stored events, each applied once,
 * in order, without a gap.
 *
 * RunFeed is browser code; Node lends it what it uses of a browser (timers as window's, animation frames as
 * 16 ms timers, a visible document). Its tRPC client and socket are the real ones, configured as the page's.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { io } from "socket.io-client";
import { RunFeed } from "../../components/runs/feed";
import type { FdSocket } from "../../components/trpc/socket";
import type { AppRouter } from "../../server/api/root";
import type { RunEvent } from "../../server/engine";
import { Client } from "../api/client";
import { startBalancer, type Balancer } from "../support/balancer";
import { CLUSTER_ADMIN_PASSWORD, clusterSkipReason, startCluster, type Cluster } from "../support/cluster";
import { createLocalSite, launch } from "../support/cluster-site";

Object.assign(globalThis, {
  window: globalThis,
  document: { hidden: false },
  requestAnimationFrame: (cb: (t: number) => void) => setTimeout(() => cb(performance.now()), 16),
  cancelAnimationFrame: (id: NodeJS.Timeout) => clearTimeout(id),
});

/** The page's feed, over the balancer, with the page's socket options (components/trpc/socket.ts). */
function pageFeed(id: number, site: string, base: string, cookie: string) {
  const trpc = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${base}/api/trpc`, methodOverride: "POST", headers: () => ({ cookie }) })] });
  return new RunFeed(id, site, {
    connect: (alive) => {
      const socket: FdSocket = io(base, { path: "/socket.io", transports: ["websocket"], extraHeaders: { cookie }, reconnectionDelay: 1000, reconnectionDelayMax: 5000, timeout: 6000 });
      socket.on("disconnect", (reason) => {
        if (reason === "io server disconnect") setTimeout(() => alive() && socket.connect(), 1000);
      });
      return socket;
    },
    get: (run) => trpc.runs.get.query({ id: run }),
    events: (run, after) => trpc.runs.events.query({ id: run, after }),
  });
}

/** Resolves when the feed's state satisfies `ok` (checked on every change of the feed). */
function until(feed: RunFeed, ok: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${what}: not within ${timeoutMs / 1000} s (lastSeq ${feed.lastSeq}, ${feed.connection.state})`));
    }, timeoutMs);
    const check = () => {
      if (!ok()) return;
      clearTimeout(timer);
      stop();
      resolve();
    };
    const stop = feed.subscribe(check);
    check();
  });
}

describe("a web replica dies while a browser follows a run on it", { skip: clusterSkipReason() }, () => {
  let cluster: Cluster;
  let balancer: Balancer;
  let admin: Client;

  before(async () => {
    cluster = await startCluster({ web: 0 });
    // B dashboards and executes (`serve` on PostgreSQL does both); A only dashboards, so the run outlives it.
    await cluster.startWeb({ noWorker: false });
    await cluster.startWeb({ noWorker: true });
    admin = new Client(cluster.web[0]!.url!, "admin");
    assert.equal(await admin.signIn("admin", CLUSTER_ADMIN_PASSWORD), 200);
    // 24 hosts x 8 steps of 0.25 s, 6 at a time: about 8 s of events, time to lose a replica in the middle.
    await createLocalSite(admin, "slow", { hosts: 24, steps: 8, cmd: "sleep 0.25" });
    balancer = await startBalancer(cluster.web[1]!.url!);
  });
  after(async () => {
    await balancer?.close();
    await cluster?.close();
  });

  test("the feed reconnects through the balancer to the other replica and catches up from the store: every event once, in order", async () => {
    const [b, a] = cluster.web as [NonNullable<Cluster["web"][0]>, NonNullable<Cluster["web"][1]>];
    const id = await launch(admin, "slow", 6);
    const feed = pageFeed(id, "slow", balancer.url, admin.cookie);
    const applied: number[] = [];
    let spied = false;
    const spy = feed.subscribe(() => {
      // Watch what the feed applies to its tracker (the tracker exists once the run is loaded).
      const tracker = feed.tracker;
      if (!tracker || spied) return;
      spied = true;
      const apply = tracker.apply.bind(tracker);
      tracker.apply = (e: RunEvent) => {
        applied.push(e.seq);
        return apply(e);
      };
    });
    const stop = feed.start();
    try {
      await until(feed, () => feed.connection.state === "live" && feed.lastSeq > 30, "some events live through replica A");
      assert.ok(!feed.finished, "the run ended before replica A could be lost: make it longer");
      const seenBefore = feed.lastSeq;
      balancer.pointAt(b.url!);
      await a.kill("SIGKILL");
      await until(feed, () => feed.connection.state !== "live", "the feed notices the loss");
      await until(feed, () => feed.finished, "the run followed to its end through replica B", 90_000);

      const stored = await admin.ok<RunEvent[]>("runs.events", { id, after: 0 }, "query");
      assert.equal(feed.lastSeq, stored.length);
      assert.deepEqual(
        stored.map((e) => e.seq),
        stored.map((_, i) => i + 1),
        "the store's sequence has no gap",
      );
      // Applied once each, in order: the events up to the snapshot's lastSeq came folded in the snapshot.
      const first = applied[0] ?? stored.length + 1;
      assert.deepEqual(
        applied,
        stored.filter((e) => e.seq >= first).map((e) => e.seq),
      );
      assert.ok(feed.lastSeq > seenBefore, "events arrived after the loss");
      assert.ok((balancer.forwarded.get(new URL(b.url!).origin) ?? 0) > 0, "the feed reached replica B");
      assert.equal(feed.epoch, 1, "one reconnect");
      // The page's state is the server's: its snapshot folded from every stored event.
      const server = await admin.ok<{ snapshot: unknown; lastSeq: number }>("runs.get", { id }, "query");
      assert.equal(server.lastSeq, feed.lastSeq);
      assert.deepEqual(JSON.parse(JSON.stringify(feed.tracker!.snapshot)), server.snapshot);
    } finally {
      stop();
      spy();
    }
  });
});
