/**
 * A worker dies (SIGKILL: a lost machine) in the middle of a run. Another process notices within 30 s (its
 * lease is not renewed), ends the run `interrupted` with each host's last step, as a restart does, and says so
 * to the dashboards; no stored event is lost or renumbered. Meanwhile the other worker finishes its own run.
 * Real processes on one PostgreSQL database: a web replica (--no-worker) and two workers taking one run each.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunEvent } from "../../server/engine";
import type { RunSnapshot } from "../../server/engine/tracker";
import { Client } from "../api/client";
import { CLUSTER_ADMIN_PASSWORD, clusterSkipReason, startCluster, type Cluster } from "../support/cluster";
import { createLocalSite, launch, siteWatcher } from "../support/cluster-site";

describe("a worker is lost mid-run", { skip: clusterSkipReason() }, () => {
  let cluster: Cluster;
  let admin: Client;

  before(async () => {
    cluster = await startCluster({ web: 1, workers: 2, env: { FLIGHTDECK_WORKER_RUNS: "1" } });
    admin = new Client(cluster.web[0]!.url!, "admin");
    assert.equal(await admin.signIn("admin", CLUSTER_ADMIN_PASSWORD), 200);
    // About 20 s of work (never finished here) and about 3 s.
    await createLocalSite(admin, "doomed", { hosts: 8, steps: 40, cmd: "sleep 0.5" });
    await createLocalSite(admin, "survivor", { hosts: 4, steps: 6, cmd: "sleep 0.5" });
  });
  after(async () => {
    await cluster?.close();
  });

  test("its run becomes interrupted within 30 s, gap-free, each host's last step said; the other worker's run finishes", async () => {
    const doomedSite = await siteWatcher(admin, "doomed");
    const survivorSite = await siteWatcher(admin, "survivor");
    try {
      const doomed = await launch(admin, "doomed", 8);
      const running = await doomedSite.until(doomed, (r) => r.status === "running" && r.worker !== null && r.lastSeq > 20, "running with events stored");
      const survivor = await launch(admin, "survivor", 4);
      const other = await survivorSite.until(survivor, (r) => r.status === "running" && r.worker !== null, "running");
      assert.notEqual(other.worker, running.worker, "each worker takes one run (FLIGHTDECK_WORKER_RUNS=1)");

      // Worker ids are host:pid:random.
      const victim = cluster.workers.find((w) => running.worker!.split(":")[1] === String(w.pid));
      assert.ok(victim, `no worker process for ${running.worker}`);
      const killedAt = Date.now();
      await victim.kill("SIGKILL");

      const ended = await doomedSite.until(doomed, (r) => r.status === "interrupted", "interrupted (and broadcast)", 30_000);
      const noticedMs = Date.now() - killedAt;
      assert.ok(noticedMs < 30_000, `noticed after ${noticedMs} ms`);
      assert.match(ended.message ?? "", /.+/);

      const events = await admin.ok<RunEvent[]>("runs.events", { id: doomed, after: 0 }, "query");
      assert.deepEqual(
        events.map((e) => e.seq),
        events.map((_, i) => i + 1),
        "stored events numbered 1..n without a gap",
      );
      assert.ok(events.length >= running.lastSeq, "nothing stored before the loss was lost");
      const last = events.at(-1) as { type: string; status?: string };
      assert.deepEqual([last.type, last.status], ["run.finished", "interrupted"]);
      const { snapshot } = await admin.ok<{ snapshot: RunSnapshot }>("runs.get", { id: doomed }, "query");
      const steps = Object.values(snapshot.hosts).flatMap((h) => Object.values(h.steps));
      assert.ok(!steps.some((s) => s.status === "running"), "no step is left running");
      assert.ok(steps.some((s) => s.status === "interrupted"), "the steps that were running are interrupted");
      // Each host's last step is said, as a restart says it.
      const notices = events.filter((e) => e.type === "notice" && /interrupted at step/.test((e as { message: string }).message));
      assert.equal(notices.length, Object.keys(snapshot.hosts).filter((h) => Object.values(snapshot.hosts[h]!.steps).some((s) => s.status !== "pending")).length);

      const finished = await survivorSite.until(survivor, (r) => r.status === "succeeded", "succeeded on the other worker");
      assert.equal(finished.worker, other.worker);
      const survivorEvents = await admin.ok<RunEvent[]>("runs.events", { id: survivor, after: 0 }, "query");
      assert.deepEqual(
        survivorEvents.map((e) => e.seq),
        survivorEvents.map((_, i) => i + 1),
      );
      console.log(`# the lost worker's run was interrupted ${(noticedMs / 1000).toFixed(1)} s after the SIGKILL (lease ${process.env.FLIGHTDECK_LEASE_SECONDS ?? 15} s)`);
    } finally {
      doomedSite.close();
      survivorSite.close();
    }
  });
});
