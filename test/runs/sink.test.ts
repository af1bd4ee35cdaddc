/** The server's sink: numbered events stored before they are broadcast, output capped per step in storage. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Broadcaster } from "../../server/broadcaster";
import { planDeployment, type RunEvent } from "../../server/engine";
import { readEnv } from "../../server/env";
import { loadSite } from "../../server/inventory";
import { OUTPUT_CAP_BYTES } from "../../server/engine/output-cap";
import { StoredSink } from "../../server/runs/sink";
import { createServices } from "../../server/services";
import { localInventory, workflow } from "../engine/fleet-site";

const dir = mkdtempSync(join(tmpdir(), "fd-sink-"));
const services = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "" }));
after(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

test("output past the per-step cap is cut in storage, and the cut is said; events are stored before broadcast", async () => {
  const content = `${localInventory(["a"])}---\n${workflow(`  - {name: loud, action: cmd.run, params: {cmd: "true"}}`)}`;
  await services.sites.create({ slug: "sink", name: "sink", files: [{ path: "site.yml", content }], author: "t", message: "m" });
  const plan = planDeployment(loadSite([{ path: "site.yml", content }]));
  const id = await services.runs.create({ site: "sink", revision: 1, plan, requestedBy: "t", reason: "", options: { forks: 1 }, status: "running" });

  const broadcaster = new Broadcaster();
  const seenStored: Promise<boolean>[] = [];
  broadcaster.runEvents = (run: number, events: RunEvent[]) => {
    // At broadcast time every event is already in the store (the read starts now, before anything else runs).
    for (const e of events) seenStored.push(services.runs.events(run, e.seq - 1).then((stored) => stored.some((s) => s.seq === e.seq)));
  };
  const sink = new StoredSink(id, services.runs, broadcaster);
  const chunk = "x".repeat(64 * 1024);
  for (let i = 0; i < 6; i++) sink.output({ host: "a", step: "loud", stream: "stdout", data: chunk });
  sink.output({ host: "a", step: "other", stream: "stdout", data: "small\n" });
  sink.event({ type: "step.status", host: "a", step: "loud", status: "changed" });
  await sink.flush();

  const stored = (await services.runs.output(id, "a", "loud")).map((o) => o.data).join("");
  assert.equal(stored.startsWith("x".repeat(OUTPUT_CAP_BYTES)), true);
  assert.match(stored.slice(OUTPUT_CAP_BYTES), /^\n\[flightdeck: output truncated: only the first 256 KiB of this step are kept\]\n$/);
  assert.equal((await services.runs.output(id, "a", "other"))[0]!.data, "small\n", "the cap is per step");
  assert.deepEqual(await Promise.all(seenStored), [true]);
});
