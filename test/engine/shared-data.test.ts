/**
 * What `file.fetch` fetched is kept with the run in the store (run_artifacts), on SQLite and on PostgreSQL, and
 * `file.managed` `from:` places it from there; a step that reads a result no step produced fails saying why.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execute, planDeployment } from "../../server/engine";
import { runArtifacts } from "../../server/engine/artifacts";
import { DIALECTS, freshStore } from "../store/contract-stores";
import { localInventory, Recorder, runSite, siteOf, workflow } from "./fleet-site";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "fd-shared-local-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const dialect of DIALECTS) {
  describe(`fetched data kept with the run on ${dialect}`, () => {
    test("a directory fetched on one host is stored in run_artifacts and placed on another from there", async () => {
      const db = await freshStore(dialect);
      try {
        const store = db.store;
        const src = join(dir, dialect, "src");
        mkdirSync(join(src, "sub"), { recursive: true });
        writeFileSync(join(src, "a.txt"), "alpha\n");
        writeFileSync(join(src, "sub", "b.bin"), Buffer.from([1, 2, 3, 0, 255]));
        const site = siteOf(
          localInventory(["a", "b"]),
          workflow(`  - {name: get, action: file.fetch, when: "host.name == 'a'", params: {path: "${src}"}}
  - {name: place, action: file.managed, sync: true, when: "host.name == 'b'", params: {path: "${dir}/${dialect}/dest", from: {step: get, host: a}}}`),
        );
        const plan = planDeployment(site);
        await store.sites.create({ slug: "lab", name: "Lab", files: [{ path: "inventory.yml", content: localInventory(["a", "b"]) }], author: "ana", message: "first" });
        const runId = await store.runs.create({ site: "lab", revision: 1, plan, requestedBy: "ana", requestedById: "u-ana", reason: "test", options: { forks: 5 }, status: "running" });
        const rec = new Recorder();
        const status = await execute({ site, plan, sink: rec, signal: new AbortController().signal, artifacts: runArtifacts(store.artifacts, runId) });
        assert.equal(status, "succeeded", JSON.stringify(rec.steps()));
        const stored = await store.artifacts.get(runId, "a", "get");
        assert.equal(stored?.type, "directory");
        assert.ok(stored.content.length > 0);
        assert.equal(await store.artifacts.get(runId, "b", "get"), null);
        assert.equal(readFileSync(join(dir, dialect, "dest", "a.txt"), "utf8"), "alpha\n");
        assert.deepEqual(readFileSync(join(dir, dialect, "dest", "sub", "b.bin")), Buffer.from([1, 2, 3, 0, 255]));
        // A step run again replaces what it fetched.
        await store.artifacts.put(runId, "a", "get", { type: "file", content: Buffer.from("again") });
        assert.deepEqual(await store.artifacts.get(runId, "a", "get"), { type: "file", content: Buffer.from("again") });
      } finally {
        await db.dispose();
      }
    });
  });
}

describe("results no step produced", () => {
  test("a step reading a skipped step's result fails, saying the step was skipped on this host", async () => {
    const site = siteOf(
      localInventory(["a"]),
      workflow(`  - {name: make, action: cmd.run, when: "false", params: {cmd: "echo t"}}
  - {name: use, action: cmd.run, params: {cmd: "echo {{ steps['make'].stdout }}"}}`),
    );
    const { status, rec } = await runSite(site);
    assert.equal(status, "failed");
    assert.equal(rec.steps("a", "use").at(-1)!.message, "params.cmd:1:9: 'steps.make' is undefined (step 'make' is skipped on this host: it produced no result)");
  });
});
