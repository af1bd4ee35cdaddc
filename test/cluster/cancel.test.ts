/**
 * Cancel travels through the database: a run executed by a worker is cancelled from replica B (the worker and
 * replica A know nothing of B's process); the worker stops it promptly, the run ends `cancelled` with its
 * events gap-free, and both replicas' dashboards hear of it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunEvent } from "../../server/engine";
import { Client } from "../api/client";
import { CLUSTER_ADMIN_PASSWORD, clusterSkipReason, startCluster, type Cluster } from "../support/cluster";
import { createLocalSite, launch, siteWatcher } from "../support/cluster-site";

describe("cancel from another replica", { skip: clusterSkipReason() }, () => {
  let cluster: Cluster;
  let onA: Client;
  let onB: Client;

  before(async () => {
    cluster = await startCluster({ web: 2, workers: 1 });
    onA = new Client(cluster.web[0]!.url!, "admin on A");
    assert.equal(await onA.signIn("admin", CLUSTER_ADMIN_PASSWORD), 200);
    onB = new Client(cluster.web[1]!.url!, "admin on B");
    assert.equal(await onB.signIn("admin", CLUSTER_ADMIN_PASSWORD), 200);
    // About 40 s if nobody stops it.
    await createLocalSite(onA, "long", { hosts: 4, steps: 40, cmd: "sleep 1" });
  });
  after(async () => {
    await cluster?.close();
  });

  test("requested on A, executed by the worker, cancelled on B: it stops within seconds, cancelled, gap-free", async () => {
    const onASite = await siteWatcher(onA, "long");
    const onBSite = await siteWatcher(onB, "long");
    try {
      const id = await launch(onA, "long", 4);
      const running = await onBSite.until(id, (r) => r.status === "running" && r.lastSeq > 4, "running with events");
      assert.ok(running.worker, "a worker holds it");
      const cancelledAt = Date.now();
      await onB.ok("runs.cancel", { id });
      const ended = await onASite.until(id, (r) => r.status === "cancelled", "cancelled, as replica A hears it", 20_000);
      const stopMs = Date.now() - cancelledAt;
      // The lease renewal (a third of 15 s) is only the fallback: the control channel is meant to be immediate.
      assert.ok(stopMs < 6_000, `stopped ${stopMs} ms after the cancel`);
      assert.ok(Date.parse(ended.finishedAt!) - Date.parse(ended.startedAt!) < 40_000);
      await onBSite.until(id, (r) => r.status === "cancelled", "cancelled, as replica B hears it", 5_000);

      const events = await onB.ok<RunEvent[]>("runs.events", { id, after: 0 }, "query");
      assert.deepEqual(
        events.map((e) => e.seq),
        events.map((_, i) => i + 1),
      );
      assert.equal(events.at(-1)!.type, "run.finished");
      assert.equal((events.at(-1) as { status: string }).status, "cancelled");
      assert.equal(cluster.workers[0]!.exited(), null, "the worker goes on");
      console.log(`# cancelled on replica B, stopped by the worker ${stopMs} ms later`);
    } finally {
      onASite.close();
      onBSite.close();
    }
  });
});
