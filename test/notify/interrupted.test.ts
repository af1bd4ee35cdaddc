/**
 * A run that ends interrupted without its worker (a restart of the one SQLite process, or the sweeper ending a dead
 * worker's run) is told as run_failed, like a run that failed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Broadcaster } from "../../server/broadcaster";
import { interruptRun } from "../../server/runs/leases";
import { openStore } from "../../server/store/open";
import { INVENTORY } from "./support";

test("an interrupted run's end is put in the outbox as run_failed, with its link", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fd-notify-interrupted-"));
  const store = await openStore({ FLIGHTDECK_DATA: dir });
  try {
    await store.sites.create({ slug: "lab", name: "lab", files: [{ path: "inventory.yml", content: INVENTORY }], author: "ana", message: "first" });
    await store.notifications.setRules("lab", [{ kinds: ["run_failed"], channel: "email", target: "ops@example.net" }]);
    const plan = { deployment: "rollout", title: "Roll out", stages: [], hosts: ["web-1"], steps: ["ping"] };
    const id = await store.runs.create({ site: "lab", revision: 1, plan, requestedBy: "ana", requestedById: null, reason: "", options: { forks: 1 }, status: "running" });
    assert.equal(await interruptRun(store, new Broadcaster(), id, ["running"], { run: "the server stopped during this run", step: "the server stopped while this step ran" }), true);
    const [delivery] = await store.notifications.page("lab", { limit: 10 });
    assert.equal(delivery?.kind, "run_failed");
    assert.equal(delivery.payload.summary, `Run ${id} (rollout) of lab was interrupted: the server stopped during this run`);
    assert.deepEqual([delivery.payload.run?.status, delivery.target, delivery.status], ["interrupted", "ops@example.net", "pending"]);
    assert.match(delivery.payload.link, new RegExp(`/sites/lab/runs/${id}$`));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
