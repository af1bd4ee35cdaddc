/**
 * The site-checking threads: the same answer as loading the site in-process, a time budget that stops the
 * thread, a memory budget, one running check per user while others wait, bounded queues and a per-user budget
 * of checking time. Real worker threads running the TypeScript sources, as the server runs them.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { loadSite, readSiteDir, withPolicy, type SiteFile } from "../../server/inventory";
import { CheckPool, type CheckPoolOptions } from "../../server/workers/check-pool";
import { anchorHeavyYaml } from "../store/bombs";

const DEMO = readSiteDir("examples/ha-kvm");
const BROKEN: SiteFile[] = [{ path: "inventory.yml", content: "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: a\n    groups: [nope]\n  - {name: a}\n" }];
/** Seconds of work for `yaml` on any machine: about a megabyte of anchors and aliases. */
const BOMB: SiteFile[] = [{ path: "bomb.yml", content: anchorHeavyYaml(1 << 20) }];

const pools: CheckPool[] = [];
function pool(options: Partial<CheckPoolOptions> = {}): CheckPool {
  const p = new CheckPool({ workers: 2, timeoutMs: 60_000, memoryMb: 256, queued: 32, queuedPerUser: 4, ...options });
  pools.push(p);
  return p;
}
after(() => Promise.all(pools.map((p) => p.close())));

/** When each promise settled, in ms from now, and how. */
function timed<T>(promise: Promise<T>): Promise<{ at: number; ok: boolean; value?: T; error?: Error }> {
  const start = performance.now();
  return promise.then(
    (value) => ({ at: performance.now() - start, ok: true, value }),
    (error: Error) => ({ at: performance.now() - start, ok: false, error }),
  );
}

describe("site-checking threads", () => {
  test("a check answers what loading the site in this thread answers, policy included", async () => {
    const p = pool();
    for (const files of [DEMO, BROKEN]) {
      const policy = { localRefused: "local steps are refused here" };
      const inline = withPolicy(loadSite(files), policy);
      const got = await p.check(files, { user: "u", policy });
      assert.deepEqual(got.diagnostics, inline.diagnostics);
      const errors = inline.diagnostics.filter((d) => d.severity === "error").length;
      assert.deepEqual(got.summary, { errors, warnings: inline.diagnostics.length - errors, hosts: inline.model.hosts.size });
      assert.equal(got.omitted, 0);
    }
  });

  test("a check past its time budget is stopped with a clear error, and the next one runs on a fresh thread", async () => {
    const p = pool({ workers: 1, timeoutMs: 1500 });
    await p.check(DEMO, { user: "warm-up" });
    const bomb = await timed(p.check(BOMB, { user: "u" }));
    assert.equal(bomb.ok, false);
    assert.equal(bomb.error!.message, "the site took longer than 1.5 s to check; the server stops there");
    assert.ok(bomb.at < 1500 + 1000, `answered after ${bomb.at.toFixed(0)} ms`);
    assert.equal((await p.check(DEMO, { user: "u" })).summary.hosts, 8);
  });

  test("a check past its memory budget is refused; the thread is replaced", async () => {
    const p = pool({ workers: 1, memoryMb: 64 });
    const big = await timed(p.check([{ path: "bomb.yml", content: anchorHeavyYaml(3 << 20) }], { user: "u" }));
    assert.equal(big.ok, false);
    assert.equal(big.error!.message, "the site needs more than 64 MiB of memory to check");
    assert.equal((await p.check(DEMO, { user: "u" })).summary.hosts, 8);
  });

  test("one user's checks run one at a time, and another user's check does not wait behind them", async () => {
    const p = pool({ workers: 2, timeoutMs: 2000 });
    // Both threads started and warm, so what follows measures scheduling, not start-up.
    await Promise.all([p.check(DEMO, { user: "x" }), p.check(DEMO, { user: "y" })]);
    const first = timed(p.check(BOMB, { user: "bomber" }));
    const second = timed(p.check(BOMB, { user: "bomber" }));
    const other = await timed(p.check(DEMO, { user: "someone else" }));
    const [a, b] = await Promise.all([first, second]);
    assert.ok(other.ok && !a.ok && !b.ok);
    assert.ok(other.at < a.at, `the other user's check (${other.at.toFixed(0)} ms) waited for the bomb (${a.at.toFixed(0)} ms)`);
    // The bomber's second check started only when the first was stopped.
    assert.ok(b.at - a.at >= 1900, `the bomber's checks ended ${(b.at - a.at).toFixed(0)} ms apart`);
  });

  test("waiting checks are bounded per user and in all", async () => {
    const p = pool({ workers: 1, queued: 3, queuedPerUser: 2 });
    const running = timed(p.check(BOMB, { user: "a" }));
    const waiting = [timed(p.check(BOMB, { user: "a" })), timed(p.check(BOMB, { user: "a" }))];
    await assert.rejects(p.check(DEMO, { user: "a" }), /2 of your site checks are already waiting; try again in 60 s/);
    waiting.push(timed(p.check(DEMO, { user: "b" })));
    await assert.rejects(p.check(DEMO, { user: "c" }), /the server is busy checking other sites; try again in 60 s/);
    await p.close();
    for (const r of await Promise.all([running, ...waiting])) assert.equal(r.error?.message, "the site checker is shut down");
  });

  test("checking time is charged to the user: past their budget they are told when to come back", async () => {
    const p = pool({ workers: 2, timeoutMs: 1000, budget: { burst: 1, perSecond: 0.001 } });
    await assert.rejects(p.check(BOMB, { user: "a" }), /took longer than 1 s/);
    // 1 s of budget, 1 s or a little more spent (timers run late on a busy machine): a new check needs 0.05 s
    // more, which takes at least 50 s to come back at 0.001 s per second.
    await assert.rejects(p.check(DEMO, { user: "a" }), (e: Error) => {
      const retry = Number(/try again in (\d+) s$/.exec(e.message)?.[1]);
      assert.match(e.message, /^you have used your time for checking sites \(1 s, refilled at 0\.001 s per second\)/);
      assert.ok(retry >= 40, e.message);
      return true;
    });
    assert.equal((await p.check(DEMO, { user: "b" })).summary.hosts, 8);
  });
});
