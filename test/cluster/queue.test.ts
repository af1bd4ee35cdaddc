/**
 * Ten runs requested at once, through both replicas, on a site that runs one at a time: none is refused, they
 * wait `queued` with their position, two workers take them one after another (never two of the site at once),
 * and all ten finish.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client } from "../api/client";
import { CLUSTER_ADMIN_PASSWORD, clusterSkipReason, startCluster, type Cluster } from "../support/cluster";
import { createLocalSite, launch, siteWatcher, type RunState } from "../support/cluster-site";

describe("ten runs at once", { skip: clusterSkipReason() }, () => {
  let cluster: Cluster;
  let onA: Client;
  let onB: Client;

  before(async () => {
    cluster = await startCluster({ web: 2, workers: 2 });
    onA = new Client(cluster.web[0]!.url!, "admin on A");
    assert.equal(await onA.signIn("admin", CLUSTER_ADMIN_PASSWORD), 200);
    onB = new Client(cluster.web[1]!.url!, "admin on B");
    onB.cookie = onA.cookie;
    await createLocalSite(onA, "busy", { hosts: 3, steps: 2, cmd: "sleep 0.2" });
  });
  after(async () => {
    await cluster?.close();
  });

  test("all are accepted and queued, then all finish, one at a time", async () => {
    const site = await siteWatcher(onA, "busy");
    try {
      const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => launch(i % 2 ? onB : onA, "busy", 3)));
      assert.equal(new Set(ids).size, 10);
      // While the first runs, the others wait in line, with their position.
      const list = await onB.ok<{ id: number; status: string; position?: number | null }[]>("runs.list", { slug: "busy" }, "query");
      const queued = list.filter((r) => r.status === "queued");
      assert.ok(queued.length >= 5, `queued: ${JSON.stringify(list.map((r) => [r.id, r.status]))}`);

      const ended: RunState[] = [];
      for (const id of ids) ended.push(await site.until(id, (r) => ["succeeded", "failed", "cancelled", "interrupted"].includes(r.status), "finished", 120_000));
      assert.deepEqual(
        ended.map((r) => r.status),
        ids.map(() => "succeeded"),
      );
      // One at a time (the site's parallel runs: 1), across both workers.
      const spans = ended.map((r) => [Date.parse(r.startedAt!), Date.parse(r.finishedAt!)] as const).sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `runs overlapped: ${JSON.stringify(spans)}`);
      const workers = new Set(ended.map((r) => r.worker));
      console.log(`# ten runs, executed by ${workers.size} worker(s), in ${((spans.at(-1)![1] - spans[0]![0]) / 1000).toFixed(1)} s`);
    } finally {
      site.close();
    }
  });
});
