/**
 * The server killed (SIGKILL) in the middle of a run, then started again: the run is `interrupted`, each
 * host's last known step is said, and no event that was broadcast before the kill is missing from the store.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { RunTracker } from "../../server/engine";
import { readEnv } from "../../server/env";
import { createServices } from "../../server/services";
import { localInventory, workflow } from "../engine/fleet-site";

const dir = mkdtempSync(join(tmpdir(), "fd-restart-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const SITE = `${localInventory(["a", "b", "c"])}---
${workflow(`  - {name: quick, action: cmd.run, params: {cmd: "echo quick"}}
  - {name: long, action: cmd.run, params: {cmd: "sleep 60"}}
  - {name: after, action: cmd.run, params: {cmd: "true"}}`, "", "[all]", "long")}`;

test("a run in flight when the server is killed comes back interrupted, with every broadcast event stored", async () => {
  const siteDir = join(dir, "site");
  const dataDir = join(dir, "data");
  mkdirSync(siteDir, { recursive: true });
  writeFileSync(join(siteDir, "site.yml"), SITE);

  const child = spawn(process.execPath, ["--import", "tsx", "test/runs/server-child.ts", dataDir, siteDir], { stdio: ["ignore", "pipe", "inherit"] });
  const broadcast: number[] = [];
  let runId = 0;
  const lines = createInterface({ input: child.stdout });
  // Kill once every host is inside the long step: the run is certainly mid-flight.
  await new Promise<void>((resolve, reject) => {
    let running = 0;
    child.once("exit", (code) => reject(new Error(`the server exited early (${code})`)));
    lines.on("line", (line) => {
      const [word, run, seq, type] = line.split(" ");
      if (word === "launched") runId = Number(run);
      if (word !== "broadcast") return;
      broadcast.push(Number(seq));
      if (type === "step.status") running++;
      // 3 hosts: quick running+changed (6 events), then long running (3 events).
      if (running >= 9) resolve();
    });
  });
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
  child.removeAllListeners("exit");

  // "Restart": the same data directory, the real start-up path.
  const services = await createServices(readEnv({ FLIGHTDECK_DATA: dataDir, FLIGHTDECK_DEMO: "" }));
  try {
    const run = await services.runs.get(runId);
    assert.equal(run.status, "interrupted");
    const events = await services.runs.events(runId);
    const stored = new Set(events.map((e) => e.seq));
    for (const seq of broadcast) assert.ok(stored.has(seq), `broadcast event ${seq} is stored`);
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), "sequence numbers have no gap");

    const tracker = new RunTracker(run.plan);
    for (const e of events) tracker.apply(e);
    assert.equal(tracker.snapshot.status, "interrupted");
    for (const host of ["a", "b", "c"]) {
      assert.equal(tracker.snapshot.hosts[host]!.steps.quick!.status, "changed");
      assert.equal(tracker.snapshot.hosts[host]!.steps.long!.status, "interrupted");
      assert.match(tracker.snapshot.hosts[host]!.steps.long!.message ?? "", /the server stopped while this step ran/);
      assert.equal(tracker.snapshot.hosts[host]!.status, "interrupted");
      assert.ok(tracker.snapshot.notices.some((n) => n.host === host && /interrupted at step 'long'/.test(n.message)), `${host}'s last step is said`);
    }
  } finally {
    await services.close();
  }
});
