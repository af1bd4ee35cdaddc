/**
 * Step conditions on the local transport: `success` fails a step that exited 0, `continue` holds a host (and with
 * `serial` the next batch) until its condition is true, or fails the step when its checks run out.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { localInventory, Recorder, runSite, siteOf, workflow } from "./fleet-site";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "fd-conditions-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("success", () => {
  test("a step that exited 0 fails when its success condition is false; the host's next step does not run", async () => {
    const site = siteOf(
      localInventory(["a"]),
      workflow(`  - {name: check, action: cmd.run, params: {cmd: "echo not-ready"}, success: {condition: "'ready' == (result.stdout | trim)"}}
  - {name: next, action: cmd.run, params: {cmd: "true"}}`),
    );
    const { status, rec } = await runSite(site);
    assert.equal(status, "failed");
    assert.deepEqual(rec.final("a"), { check: "failed", next: "skipped" });
    const failed = rec.steps("a", "check").at(-1)!;
    assert.equal(failed.message, "success condition false: 'ready' == (result.stdout | trim)");
    assert.equal(failed.exitCode, 0);
  });

  test("a true success condition passes; with retry, a false one runs the step again", async () => {
    const counter = join(dir, "count");
    const site = siteOf(
      localInventory(["a"]),
      workflow(`  - name: count
    action: cmd.run
    params: {cmd: "echo x >> ${counter}; wc -l < ${counter}"}
    success: {condition: "result.stdout | trim | int >= 2 and result.rc == 0 and result.changed"}
    retry: {limit: 3, interval: 10ms}`),
    );
    const { status, rec } = await runSite(site);
    assert.equal(status, "succeeded");
    const last = rec.steps("a", "count").at(-1)!;
    assert.equal(last.status, "changed");
    assert.equal(last.attempt, 2);
    assert.match(rec.steps("a", "count").find((e) => e.message?.includes("retrying"))?.message ?? "", /^success condition false: .*; retrying in 10 ms \(attempt 2 of 4\)$/);
  });
});

describe("continue", () => {
  test("holds the batch until the condition is true: the next batch starts only after it", async () => {
    const flag = join(dir, "flag-serial");
    const site = siteOf(
      localInventory(["a", "b", "c"]),
      workflow(
        `  - name: wait for flag
    action: cmd.run
    params: {cmd: "true"}
    continue: {condition: "macros.flag_exists()", retry: {interval: 20ms, limit: 1000}}`,
        "{serial: 1}",
      ),
      `kind: macro
api_version: v1beta1
spec: {name: flag_exists, command: "test -e ${flag} && echo true || echo false", on: controller}
`,
    );
    const rec = new Recorder();
    const running = runSite(site, { rec });
    // The host is held (a second check announced), and nothing of the next batch has started.
    await rec.until(() => rec.steps("a", "wait for flag").some((e) => e.message?.startsWith("continue: macros.flag_exists() is false")));
    assert.equal(rec.steps("b").filter((e) => e.status !== "pending").length, 0);
    assert.equal(rec.events.filter((e) => e.type === "batch.started").length, 1);
    writeFileSync(flag, "");
    const { status } = await running;
    assert.equal(status, "succeeded");
    const aDone = rec.steps("a", "wait for flag").at(-1)!;
    assert.equal(aDone.status, "changed");
    const secondBatch = rec.events.find((e) => e.type === "batch.started" && e.batch === 1)!;
    assert.ok(secondBatch.seq > aDone.seq, "batch 2 started after host a's condition held");
    assert.deepEqual([rec.final("b"), rec.final("c")], [{ "wait for flag": "changed" }, { "wait for flag": "changed" }]);
  });

  test("fails the step when its checks run out, saying so; max_fail_percentage 0 stops the next batch", async () => {
    const site = siteOf(
      localInventory(["a", "b"]),
      workflow(
        `  - name: wait
    action: cmd.run
    params: {cmd: "echo 3"}
    continue: {condition: "result.stdout | trim | int > 5", retry: {interval: 10ms, limit: 2}}`,
        "{serial: 1}",
      ),
    );
    const { status, rec } = await runSite(site);
    assert.equal(status, "failed");
    assert.equal(rec.steps("a", "wait").at(-1)!.message, "continue condition still false after 3 checks: result.stdout | trim | int > 5");
    assert.equal(rec.steps("a", "wait").filter((e) => e.message?.startsWith("continue: ")).length, 2);
    assert.deepEqual(rec.final("b"), { wait: "skipped" });
  });

  test("a condition that cannot be evaluated is retried, and its error is given when the checks run out", async () => {
    const site = siteOf(
      localInventory(["a"]),
      workflow(`  - {name: wait, action: cmd.run, params: {cmd: "true"}, continue: {condition: "macros.down()", retry: {interval: 10ms, limit: 1}}}`),
      `kind: macro
api_version: v1beta1
spec: {name: down, command: "echo cluster unreachable >&2; exit 3", on: controller}
`,
    );
    const { status, rec } = await runSite(site);
    assert.equal(status, "failed");
    assert.equal(
      rec.steps("a", "wait").at(-1)!.message,
      "continue condition still false after 2 checks: macros.down() (last: macro 'down': its command exited 3 on the controller: cluster unreachable)",
    );
  });
});
