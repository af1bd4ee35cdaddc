/**
 * The store contract: one suite of cases, run on the embedded SQLite store and on the PostgreSQL store (a real
 * server: the test command's cluster, or one this file starts). Every case gets a fresh, migrated database.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { Plan, RunStatus } from "../../server/engine";
import { AuthService } from "../../server/auth";
import { readEnv } from "../../server/env";
import { errorCode } from "../../server/errors";
import type { PostgresStore } from "../../server/store/pg";
import type { RunOptions, Store, UnnumberedEvent } from "../../server/store/types";
import { DIALECTS, freshStore, type StoreUnderTest } from "./contract-stores";

const INVENTORY = `kind: inventory
api_version: v1beta1
spec:
  hosts:
  - name: web-1
  groups:
  - name: web
    members: [web-1]
`;

const PLAN: Plan = { deployment: "rollout", title: "Roll out", stages: [], hosts: ["web-1"], steps: ["ping"] };
const OPTIONS: RunOptions = { forks: 5, limit: ["web-1"] };

/** Rejects with a Flightdeck error of `code` (and a message matching `message`, when given). */
async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(promise, (e: Error) => {
    assert.equal(errorCode(e), code, `expected ${code}, got ${errorCode(e) ?? "no code"}: ${e.message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

async function site(store: Store, slug = "lab", files = [{ path: "inventory.yml", content: INVENTORY }]) {
  return store.sites.create({ slug, name: slug.toUpperCase(), files, author: "ana", message: "first" });
}

async function run(store: Store, siteSlug = "lab", status: RunStatus = "awaiting_approval") {
  return store.runs.create({ site: siteSlug, revision: 1, plan: PLAN, requestedBy: "ana", requestedById: "u-ana", reason: "because", options: OPTIONS, status });
}

/** A queued run, queued at `at` (the queue is FIFO by queued time, then id). */
async function queuedRun(store: Store, siteSlug: string, at: Date) {
  const id = await run(store, siteSlug);
  await store.runs.setStatus(id, "queued", { approvedAt: at, queuedAt: at });
  return id;
}

function events(n: number, tag = "e"): UnnumberedEvent[] {
  return Array.from({ length: n }, (_, i) => ({ type: "notice", host: "web-1", message: `${tag}-${i}`, t: 1_700_000_000_000 + i }));
}

for (const dialect of DIALECTS) {
  describe(`store contract on ${dialect}`, () => {
    let db: StoreUnderTest;
    let store: Store;
    beforeEach(async () => {
      db = await freshStore(dialect);
      store = db.store;
    });
    afterEach(async () => {
      await db.dispose();
    });

    test("reports its dialect", () => {
      assert.equal(store.dialect, dialect);
    });

    // --- Sites, revisions, files ---------------------------------------------------------------------

    test("a site is created with revision 1; its summary has the interface's types", async () => {
      assert.deepEqual(await site(store), { number: 1, errors: 0, warnings: 0, hosts: 1 });
      const s = await store.sites.get("lab");
      assert.ok(s.createdAt instanceof Date && s.updatedAt instanceof Date);
      assert.equal(s.localExecution, false);
      assert.equal(s.parallelRuns, 1);
      assert.equal(s.approvalsRequired, 1);
      assert.deepEqual({ revision: s.revision, files: s.files, updatedBy: s.updatedBy, hosts: s.hosts }, { revision: 1, files: 1, updatedBy: "ana", hosts: 1 });
      assert.equal(await store.sites.exists("lab"), true);
      assert.equal(await store.sites.exists("nope"), false);
      assert.equal(await store.sites.head("lab"), 1);
      await rejectsWith(store.sites.get("nope"), "NOT_FOUND", /no site 'nope'/);
      await rejectsWith(store.sites.head("nope"), "NOT_FOUND");
    });

    test("create refuses a taken slug, a bad slug and a bad path, and leaves nothing behind", async () => {
      await site(store);
      await rejectsWith(site(store), "CONFLICT", /already exists/);
      await rejectsWith(site(store, "Bad Slug"), "INVALID_INPUT", /not a valid site id/);
      await rejectsWith(site(store, "other", [{ path: "../escape.yml", content: "x" }]), "INVALID_INPUT", /not a valid site file path/);
      assert.equal(await store.sites.exists("other"), false);
      assert.deepEqual((await store.sites.list()).map((s) => s.slug), ["lab"]);
    });

    test("two creates of one slug at once: one wins, the other gets a conflict", async () => {
      const results = await Promise.allSettled([site(store, "twin"), site(store, "twin")]);
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      assert.equal(errorCode(lost.reason), "CONFLICT");
    });

    test("save writes a new revision on the newest one; older revisions keep their files", async () => {
      await site(store);
      const saved = await store.sites.save("lab", { baseRevision: 1, changes: [{ path: "extra.yml", content: "kind: note\n" }], author: "bo", message: "" });
      assert.equal(saved.number, 2);
      assert.deepEqual((await store.sites.files("lab", 1)).files.map((f) => f.path), ["inventory.yml"]);
      const head = await store.sites.files("lab");
      assert.equal(head.revision, 2);
      assert.deepEqual(head.files.map((f) => f.path), ["extra.yml", "inventory.yml"]);
      const revisions = await store.sites.revisions("lab");
      assert.deepEqual(revisions.map((r) => [r.number, r.author, r.message]), [
        [2, "bo", "revision 2"],
        [1, "ana", "first"],
      ]);
      assert.ok(revisions[0]!.createdAt instanceof Date);
      await rejectsWith(store.sites.files("lab", 9), "NOT_FOUND", /has no revision 9/);
    });

    test("a save on a stale base is a conflict naming who saved since; a failed save writes nothing", async () => {
      await site(store);
      await store.sites.save("lab", { baseRevision: 1, changes: [{ path: "a.yml", content: "a: 1\n" }], author: "bo", message: "m" });
      await rejectsWith(
        store.sites.save("lab", { baseRevision: 1, changes: [{ path: "a.yml", content: "a: 2\n" }], author: "cy", message: "m" }),
        "CONFLICT",
        /revision 2 was saved by bo since you started editing revision 1/,
      );
      // Deleting a file that is not there fails after the change list was applied in part: nothing is kept.
      await rejectsWith(
        store.sites.save("lab", { baseRevision: 2, changes: [{ path: "b.yml", content: "b: 1\n" }, { path: "missing.yml", content: null }], author: "cy", message: "m" }),
        "NOT_FOUND",
        /no file 'missing.yml' to delete/,
      );
      assert.equal(await store.sites.head("lab"), 2);
      assert.deepEqual((await store.sites.files("lab")).files.map((f) => f.path), ["a.yml", "inventory.yml"]);
      await rejectsWith(store.sites.save("lab", { baseRevision: 2, changes: [], author: "cy", message: "" }), "INVALID_INPUT", /nothing to save/);
      // Text that PostgreSQL could not store is refused alike on both databases, before any write.
      await rejectsWith(store.sites.save("lab", { baseRevision: 2, changes: [{ path: "n.yml", content: "a: \u0000\n" }], author: "cy", message: "" }), "INVALID_INPUT", /n\.yml: the content holds a NUL character/);
      assert.equal(await store.sites.head("lab"), 2);
    });

    test("concurrent saves on the same base: exactly one wins, the others get the stale-base conflict", async () => {
      await site(store);
      const results = await Promise.allSettled(
        ["a", "b", "c", "d"].map((who) => store.sites.save("lab", { baseRevision: 1, changes: [{ path: `${who}.yml`, content: `${who}: 1\n` }], author: who, message: "" })),
      );
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of results) if (r.status === "rejected") assert.equal(errorCode(r.reason), "CONFLICT", String(r.reason));
      assert.equal(await store.sites.head("lab"), 2);
      assert.equal((await store.sites.files("lab")).files.length, 2);
    });

    test("files and manifests are in byte order of their paths; equal contents share one hash", async () => {
      const files = ["b.yml", "B.yml", "a_b.yml", "a-b.yml", "a.yml"].map((path) => ({ path, content: path === "a.yml" ? "same: 1\n" : `${path}: 1\n` }));
      files.push({ path: "z.yml", content: "same: 1\n" });
      await site(store, "lab", files);
      const order = ["B.yml", "a-b.yml", "a.yml", "a_b.yml", "b.yml", "z.yml"];
      assert.deepEqual((await store.sites.files("lab")).files.map((f) => f.path), order);
      const manifest = await store.sites.manifest("lab");
      assert.deepEqual(manifest.files.map((f) => f.path), order);
      const hash = (p: string) => manifest.files.find((f) => f.path === p)!.hash;
      assert.equal(hash("a.yml"), hash("z.yml"));
      assert.match(hash("a.yml"), /^[0-9a-f]{64}$/);
    });

    test("replace, settings, local execution and delete (cascading to runs)", async () => {
      await site(store);
      await site(store, "alpha");
      assert.deepEqual((await store.sites.list()).map((s) => s.slug), ["alpha", "lab"], "by name");
      const replaced = await store.sites.replace("lab", { files: [{ path: "only.yml", content: "x: 1\n" }], author: "bo", message: "re-import" });
      assert.equal(replaced.number, 2);
      assert.deepEqual((await store.sites.files("lab")).files.map((f) => f.path), ["only.yml"]);
      await store.sites.setSettings("lab", { approvalsRequired: 2, parallelRuns: 3 });
      await store.sites.setSettings("lab", { approvalsRequired: 0 });
      await store.sites.setLocalExecution("lab", true);
      const s = await store.sites.get("lab");
      assert.deepEqual([s.approvalsRequired, s.parallelRuns, s.localExecution], [0, 3, true]);
      const id = await run(store);
      await store.sites.delete("lab");
      assert.equal(await store.sites.exists("lab"), false);
      await rejectsWith(store.runs.get(id), "NOT_FOUND");
      await rejectsWith(store.sites.delete("lab"), "NOT_FOUND");
    });

    // --- Runs -------------------------------------------------------------------------------------------

    test("a run is created, read and listed with its frozen plan and the interface's types", async () => {
      await site(store);
      const id = await run(store);
      const r = await store.runs.get(id);
      assert.deepEqual(
        { site: r.site, status: r.status, plan: r.plan, options: r.options, requestedById: r.requestedById, lastSeq: r.lastSeq, worker: r.worker, queuedAt: r.queuedAt },
        { site: "lab", status: "awaiting_approval", plan: PLAN, options: OPTIONS, requestedById: "u-ana", lastSeq: 0, worker: null, queuedAt: null },
      );
      assert.ok(r.createdAt instanceof Date);
      assert.equal(r.startedAt, null);
      const second = await run(store, "lab", "rejected");
      assert.deepEqual((await store.runs.list("lab")).map((x) => x.id), [second, id]);
      assert.deepEqual((await store.runs.list("lab", 1)).map((x) => x.id), [second]);
      assert.deepEqual((await store.runs.list("lab", 50, "rejected")).map((x) => x.id), [second]);
      await rejectsWith(store.runs.get(9999), "NOT_FOUND", /no run 9999/);
      await rejectsWith(run(store, "nope"), "NOT_FOUND", /no site 'nope'/);
    });

    test("reviews: one decision per reviewer, in order; lastApproved finds the newest approved run before", async () => {
      await site(store);
      const first = await run(store);
      const id = await run(store);
      assert.equal(await store.runs.addReview(id, { userId: "u1", username: "bo", decision: "approve", comment: "ok" }), true);
      assert.equal(await store.runs.addReview(id, { userId: "u1", username: "bo", decision: "reject", comment: "no" }), false);
      assert.equal(await store.runs.addReview(id, { userId: "u2", username: "cy", decision: "reject", comment: "" }), true);
      const reviews = await store.runs.reviews(id);
      assert.deepEqual(reviews.map((r) => [r.username, r.decision]), [["bo", "approve"], ["cy", "reject"]]);
      assert.ok(reviews[0]!.createdAt instanceof Date);
      assert.equal(await store.runs.lastApproved("lab", id), undefined);
      const at = new Date(1_700_000_000_000);
      await store.runs.setStatus(first, "succeeded", { approvedAt: at });
      assert.deepEqual(await store.runs.lastApproved("lab", id), { id: first, revision: 1, approvedAt: at });
    });

    test("transition is compare-and-set: of ten racing transitions exactly one wins", async () => {
      await site(store);
      const id = await queuedRun(store, "lab", new Date());
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.runs.transition(id, ["queued"], i % 2 ? "cancelled" : "running", { message: `t${i}` })));
      assert.equal(results.filter(Boolean).length, 1);
      const r = await store.runs.get(id);
      assert.equal(r.message, `t${results.indexOf(true)}`);
      assert.equal(await store.runs.transition(id, [], "failed"), false);
      // undefined leaves a column as it is; null clears it.
      await store.runs.setStatus(id, "running", { worker: "w1", leaseExpiresAt: new Date(5_000) });
      await store.runs.setStatus(id, "running", { worker: undefined, leaseExpiresAt: null });
      const after = await store.runs.get(id);
      assert.deepEqual([after.worker, after.leaseExpiresAt], ["w1", null]);
    });

    test("claim: gone unless queued, FIFO within a site, at most parallel_runs running", async () => {
      await site(store);
      await site(store, "other");
      const t0 = Date.now();
      const a = await queuedRun(store, "lab", new Date(t0));
      const b = await queuedRun(store, "lab", new Date(t0 + 1));
      const elsewhere = await queuedRun(store, "other", new Date(t0 + 2));
      assert.equal(await store.runs.claim(b, "w1", 60_000), "busy", "an older run of the site waits");
      assert.equal(await store.runs.claim(elsewhere, "w2", 60_000), "claimed", "other sites are not held up");
      assert.equal(await store.runs.claim(a, "w1", 60_000), "claimed");
      assert.equal(await store.runs.claim(b, "w1", 60_000), "busy", "one at a time on this site");
      assert.equal(await store.runs.claim(a, "w1", 60_000), "gone", "already running");
      assert.equal(await store.runs.claim(9999, "w1", 60_000), "gone");
      const claimed = await store.runs.get(a);
      assert.equal(claimed.status, "running");
      assert.equal(claimed.worker, "w1");
      assert.ok(claimed.startedAt instanceof Date && claimed.leaseExpiresAt instanceof Date);
      assert.ok(claimed.leaseExpiresAt.getTime() >= claimed.startedAt.getTime() + 60_000);
      assert.ok(claimed.queuedAt instanceof Date, "queued_at is kept");
      assert.equal(await store.runs.transition(a, ["running"], "succeeded", { finishedAt: new Date() }), true);
      assert.equal(await store.runs.claim(b, "w2", 60_000), "claimed");
      assert.deepEqual(await store.runs.queued(), []);
    });

    test("claim: one run claimed by eight workers at once goes to exactly one", async () => {
      await site(store);
      const id = await queuedRun(store, "lab", new Date());
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.runs.claim(id, `w${i}`, 60_000)));
      assert.equal(results.filter((r) => r === "claimed").length, 1, results.join(", "));
      assert.deepEqual(results.filter((r) => r !== "claimed"), Array(7).fill("gone"));
      assert.equal((await store.runs.get(id)).worker, `w${results.indexOf("claimed")}`);
    });

    test("claim under concurrency: the oldest runs, never more than parallel_runs", async () => {
      await site(store);
      await store.sites.setSettings("lab", { parallelRuns: 2 });
      const t0 = Date.now();
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) ids.push(await queuedRun(store, "lab", new Date(t0 + i)));
      assert.deepEqual((await store.runs.queued()).map((q) => q.id), ids, "queue order");
      // Every queued run claimed by a different worker at once, round after round: the limit and the order hold.
      const started: number[] = [];
      for (let round = 0; round < 12 && started.length < ids.length; round++) {
        const waiting = ids.filter((id) => !started.includes(id));
        const results = await Promise.all(waiting.map((id, i) => store.runs.claim(id, `w${i}`, 60_000)));
        const now = waiting.filter((_, i) => results[i] === "claimed");
        started.push(...now);
        const running = (await store.runs.list("lab", 50, "running")).length;
        assert.ok(running <= 2, `round ${round}: ${running} running`);
        assert.deepEqual(started, ids.slice(0, started.length), "claimed in queue order");
        // Finish what runs, so the next round has room.
        for (const id of now) await store.runs.transition(id, ["running"], "succeeded");
      }
      assert.deepEqual(started, ids);
    });

    test("leases: renewed only by their worker, with the cancel request; expired ones are listed", async () => {
      await site(store);
      const id = await queuedRun(store, "lab", new Date());
      assert.equal(await store.runs.claim(id, "w1", 1_000), "claimed");
      const first = (await store.runs.get(id)).leaseExpiresAt!;
      assert.deepEqual(await store.runs.renewLeases("w2", [id], 60_000), [], "not w2's run");
      assert.deepEqual(await store.runs.renewLeases("w1", [], 60_000), []);
      assert.deepEqual(await store.runs.renewLeases("w1", [id, 9999], 60_000), [{ id, cancelRequestedBy: null }]);
      const renewed = (await store.runs.get(id)).leaseExpiresAt!;
      assert.ok(renewed.getTime() > first.getTime());
      assert.deepEqual(await store.runs.expiredLeases(), [], "a live lease");
      // A lease that ran out (set an hour back, as a worker dead for an hour left it): listed.
      await store.runs.setStatus(id, "running", { leaseExpiresAt: new Date(Date.now() - 3_600_000) });
      assert.deepEqual(await store.runs.expiredLeases(), [id]);
      assert.deepEqual(await store.runs.renewLeases("w1", [id], 60_000), [{ id, cancelRequestedBy: null }], "its worker may still renew it until it is ended");
      assert.deepEqual(await store.runs.expiredLeases(), []);
      await store.runs.requestCancel(id, "bo");
      await store.runs.requestCancel(id, "cy");
      assert.deepEqual(await store.runs.renewLeases("w1", [id], 60_000), [{ id, cancelRequestedBy: "bo" }], "the first request is kept");
      await store.runs.transition(id, ["running"], "cancelled", { leaseExpiresAt: new Date(Date.now() - 3_600_000) });
      assert.deepEqual(await store.runs.renewLeases("w1", [id], 60_000), [], "a finished run has no lease");
      assert.deepEqual(await store.runs.expiredLeases(), [], "only running runs' leases expire");
    });

    test("leases are now + leaseMs on the store's clock (the database's on PostgreSQL)", async () => {
      await site(store);
      const id = await queuedRun(store, "lab", new Date());
      const clock = async () => (dialect === "postgres" ? (await (store as PostgresStore).pool.query<{ now: Date }>("select now()")).rows[0]!.now : new Date());
      const before = await clock();
      assert.equal(await store.runs.claim(id, "w1", 60_000), "claimed");
      const claimed = await store.runs.get(id);
      assert.equal(claimed.leaseExpiresAt!.getTime(), claimed.startedAt!.getTime() + 60_000, "the lease starts when the run does");
      await store.runs.renewLeases("w1", [id], 90_000);
      const after = await clock();
      const renewed = (await store.runs.get(id)).leaseExpiresAt!.getTime();
      assert.ok(renewed >= before.getTime() + 90_000 && renewed <= after.getTime() + 90_000, `${renewed - before.getTime()} ms after the claim`);
    });

    test("finishInterrupted: of eight concurrent callers one ends the run, status and closing events together, gap-free", async () => {
      await site(store);
      const id = await queuedRun(store, "lab", new Date());
      assert.equal(await store.runs.claim(id, "w1", 60_000), "claimed");
      await store.runs.append(id, events(3, "before"), []);
      const seen: number[] = [];
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.runs.finishInterrupted(
            id,
            ["running"],
            (stored) => {
              seen.push(stored.length);
              return [...events(2, `closing-${i}`), { type: "run.finished", status: "interrupted", message: `caller ${i}`, t: 1_700_000_001_000 }];
            },
            { finishedAt: new Date(), message: `caller ${i}`, leaseExpiresAt: null },
          ),
        ),
      );
      const winners = results.flatMap((r, i) => (r ? [i] : []));
      assert.equal(winners.length, 1, `winners: ${winners.join(", ")}`);
      const w = winners[0]!;
      assert.deepEqual(seen, [3], "closing is computed once, from the events stored before it");
      assert.deepEqual(results[w]!.map((e) => e.seq), [4, 5, 6]);
      const r = await store.runs.get(id);
      assert.deepEqual([r.status, r.message, r.leaseExpiresAt], ["interrupted", `caller ${w}`, null]);
      assert.ok(r.finishedAt instanceof Date);
      const all = await store.runs.events(id);
      assert.deepEqual(all.map((e) => e.seq), [1, 2, 3, 4, 5, 6], "gap-free");
      assert.deepEqual(all.slice(3), results[w]);
      assert.equal(await store.runs.lastSeq(id), 6);
      assert.equal(await store.runs.finishInterrupted(id, [], () => assert.fail("not called")), null);
      assert.equal(await store.runs.finishInterrupted(id, ["running"], () => assert.fail("not called")), null, "already ended");
      // A run with no events gets its closing ones from seq 1; appends after it continue the numbering.
      const quiet = await queuedRun(store, "lab", new Date());
      const ended = await store.runs.finishInterrupted(quiet, ["queued"], () => events(1, "end"));
      assert.deepEqual(ended?.map((e) => e.seq), [1]);
      assert.deepEqual((await store.runs.append(quiet, events(1, "late"), [])).map((e) => e.seq), [2]);
    });

    test("finishInterrupted: a failing closing writes nothing (status and events together or neither)", async () => {
      await site(store);
      const id = await queuedRun(store, "lab", new Date());
      assert.equal(await store.runs.claim(id, "w1", 60_000), "claimed");
      await store.runs.append(id, events(2), []);
      await assert.rejects(
        store.runs.finishInterrupted(id, ["running"], () => {
          throw new Error("closing failed");
        }),
        /closing failed/,
      );
      const r = await store.runs.get(id);
      assert.deepEqual([r.status, r.worker], ["running", "w1"]);
      assert.equal(await store.runs.lastSeq(id), 2);
    });

    test("queued() lists the queue in order; inFlight() the unfinished runs", async () => {
      await site(store);
      await site(store, "other");
      const t0 = Date.now();
      const late = await queuedRun(store, "lab", new Date(t0 + 10));
      const early = await queuedRun(store, "other", new Date(t0));
      const waiting = await run(store);
      const done = await run(store, "lab", "succeeded");
      const queue = await store.runs.queued();
      assert.deepEqual(queue.map((q) => [q.id, q.site]), [
        [early, "other"],
        [late, "lab"],
      ]);
      assert.ok(queue[0]!.queuedAt instanceof Date);
      assert.equal(queue[0]!.queuedAt.getTime(), t0);
      await store.runs.setStatus(waiting, "running");
      const inFlight = await store.runs.inFlight();
      assert.deepEqual([...inFlight].sort((x, y) => x - y), [late, early, waiting].sort((x, y) => x - y));
      assert.ok(!inFlight.includes(done));
    });

    // --- Events and output ------------------------------------------------------------------------------

    test("append numbers events from 1 in batch order and stores output; reads page by seq and id", async () => {
      await site(store);
      const id = await run(store);
      assert.deepEqual(await store.runs.append(id, [], []), []);
      const stored = await store.runs.append(id, events(3), [
        { host: "web-1", step: "ping", stream: "stdout", data: "one\n", t: 1 },
        { host: "web-1", step: "pong", stream: "stderr", data: "two\n", t: 2 },
        { host: "db-1", step: "ping", stream: "stdout", data: "three\n", t: 3 },
      ]);
      assert.deepEqual(stored.map((e) => e.seq), [1, 2, 3]);
      assert.deepEqual(stored[0], { type: "notice", host: "web-1", message: "e-0", t: 1_700_000_000_000, seq: 1 });
      const more = await store.runs.append(id, events(2, "f"), []);
      assert.deepEqual(more.map((e) => e.seq), [4, 5]);
      assert.equal(await store.runs.lastSeq(id), 5);
      assert.equal((await store.runs.get(id)).lastSeq, 5);
      assert.deepEqual(await store.runs.events(id), [...stored, ...more]);
      assert.deepEqual((await store.runs.events(id, 3)).map((e) => e.seq), [4, 5]);
      const out = await store.runs.output(id, "web-1");
      assert.deepEqual(out.map((o) => [o.step, o.stream, o.data, o.t]), [
        ["ping", "stdout", "one\n", 1],
        ["pong", "stderr", "two\n", 2],
      ]);
      assert.deepEqual((await store.runs.output(id, "web-1", "pong")).map((o) => o.data), ["two\n"]);
      assert.deepEqual((await store.runs.output(id, "web-1", undefined, out[0]!.id)).map((o) => o.data), ["two\n"]);
      // Output alone takes no seq.
      await store.runs.append(id, [], [{ host: "web-1", step: "ping", stream: "stdout", data: "four\n", t: 4 }]);
      assert.equal(await store.runs.lastSeq(id), 5);
      await rejectsWith(store.runs.append(9999, events(1), []), "NOT_FOUND", /no run 9999/);
      assert.equal(await store.runs.lastSeq(9999), 0);
    });

    test("output holding NUL bytes (binary on stdout) is stored, not a failed batch", async () => {
      await site(store);
      const id = await run(store);
      const data = "ELF\u0000\u0001\u0000end\n";
      const [stored] = await store.runs.append(id, [{ type: "notice", host: "web-1", message: "a\u0000b", t: 1 }], [{ host: "web-1", step: "ping", stream: "stdout", data, t: 1 }]);
      assert.equal(stored?.seq, 1);
      assert.deepEqual(await store.runs.events(id), [{ type: "notice", host: "web-1", message: "a\u0000b", t: 1, seq: 1 }], "event JSON keeps it");
      const [row] = await store.runs.output(id, "web-1");
      // SQLite keeps the NUL; PostgreSQL's text cannot hold one and stores U+FFFD in its place.
      assert.equal(row?.data.replace(/\uFFFD/g, "\u0000"), data);
    });

    test("append under 8 concurrent writers: seq numbers are exactly 1..N, each batch contiguous", async () => {
      await site(store);
      const id = await run(store);
      const writers = 8;
      const batches = 25;
      const size = 20;
      const returned = await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          const mine: number[][] = [];
          for (let b = 0; b < batches; b++) mine.push((await store.runs.append(id, events(size, `w${w}b${b}`), [])).map((e) => e.seq));
          return mine;
        }),
      );
      const total = writers * batches * size;
      const stored = await store.runs.events(id);
      assert.deepEqual(
        stored.map((e) => e.seq),
        Array.from({ length: total }, (_, i) => i + 1),
      );
      for (const batch of returned.flat()) assert.deepEqual(batch, Array.from({ length: size }, (_, i) => batch[0]! + i));
      // What each writer was told is what was stored.
      for (const [w, mine] of returned.entries()) {
        for (const [b, seqs] of mine.entries()) {
          assert.equal((stored[seqs[0]! - 1] as { message: string }).message, `w${w}b${b}-0`);
        }
      }
      assert.equal(await store.runs.lastSeq(id), total);
    });

    test("append throughput (one run, batches of 1,000 events)", async (t) => {
      await site(store);
      const id = await run(store);
      const batch = events(1_000);
      await store.runs.append(id, batch, []);
      const rounds = 20;
      const started = performance.now();
      for (let i = 0; i < rounds; i++) await store.runs.append(id, batch, []);
      const perSecond = Math.round((rounds * batch.length) / ((performance.now() - started) / 1000));
      t.diagnostic(`${dialect}: ${perSecond} events/s stored`);
      assert.equal(await store.runs.lastSeq(id), (rounds + 1) * batch.length);
    });

    // --- Accounts -----------------------------------------------------------------------------------------

    async function users() {
      const now = new Date(1_700_000_000_000);
      await store.accounts.createUser({ id: "u-bo", name: "Bo", email: "bo@x.invalid", username: "bo", isAdmin: false, mustChangePassword: true, createdAt: now }, "hash-bo");
      await store.accounts.createUser({ id: "u-al", name: "Al", email: "al@x.invalid", username: "al", isAdmin: true, mustChangePassword: false, createdAt: now }, "hash-al");
    }

    test("users: created with a credential, read, listed by name, changed, re-passworded", async () => {
      await users();
      assert.equal(await store.accounts.countUsers(), 2);
      assert.deepEqual(await store.accounts.user("u-bo"), { id: "u-bo", username: "bo", name: "Bo", isAdmin: false, disabled: false });
      assert.equal((await store.accounts.userByUsername("al"))?.id, "u-al");
      assert.equal(await store.accounts.user("nobody"), undefined);
      const list = await store.accounts.listUsers();
      assert.deepEqual(list.map((u) => [u.username, u.mustChangePassword]), [
        ["al", false],
        ["bo", true],
      ]);
      assert.ok(list[0]!.createdAt instanceof Date);
      assert.equal(await store.accounts.updateUser("u-bo", { disabled: true, name: "Bo B" }), true);
      assert.equal(await store.accounts.updateUser("nobody", { disabled: true }), false);
      assert.deepEqual(await store.accounts.user("u-bo"), { id: "u-bo", username: "bo", name: "Bo B", isAdmin: false, disabled: true });
      assert.equal(await store.accounts.passwordHash("u-bo"), "hash-bo");
      assert.equal(await store.accounts.setPassword("u-bo", "hash-2", false), true);
      assert.equal(await store.accounts.passwordHash("u-bo"), "hash-2");
      assert.equal((await store.accounts.listUsers()).find((u) => u.id === "u-bo")?.mustChangePassword, false);
      assert.equal(await store.accounts.setPassword("nobody", "h", false), false);
      assert.equal(await store.accounts.passwordHash("nobody"), undefined);
    });

    test("sessions through better-auth's adapter, ended by deleteSessions", async () => {
      await users();
      const adapter = store.betterAuthAdapter()({});
      const expiresAt = new Date(Date.now() + 3_600_000);
      for (const token of ["t1", "t2"]) {
        await adapter.create({ model: "session", data: { token, userId: "u-bo", expiresAt, createdAt: new Date(), updatedAt: new Date() } });
      }
      const found = await adapter.findOne<{ userId: string; expiresAt: Date }>({ model: "session", where: [{ field: "token", value: "t1" }] });
      assert.equal(found?.userId, "u-bo");
      assert.ok(found?.expiresAt instanceof Date);
      assert.equal(found.expiresAt.getTime(), expiresAt.getTime());
      const user = await adapter.findOne<{ name: string; createdAt: Date }>({ model: "user", where: [{ field: "id", value: "u-al" }] });
      assert.equal(user?.name, "Al");
      assert.ok(user.createdAt instanceof Date);
      await store.accounts.deleteSessions("u-bo");
      assert.equal(await adapter.count({ model: "session", where: [{ field: "userId", value: "u-bo" }] }), 0);
    });

    test("better-auth over the store: a user signs in by name, the cookie resolves to them, sign-out ends it", async () => {
      const env = readEnv({ FLIGHTDECK_AUTH_SECRET: "x".repeat(32), FLIGHTDECK_URL: "http://flightdeck.test", FLIGHTDECK_DATA: "/nonexistent" });
      const auth = new AuthService(store, env);
      await auth.users.create({ username: "dora", password: "correct horse battery" });
      const signIn = (password: string) =>
        auth.auth.handler(
          new Request("http://flightdeck.test/api/auth/sign-in/username", {
            method: "POST",
            headers: { "content-type": "application/json", origin: "http://flightdeck.test" },
            body: JSON.stringify({ username: "dora", password }),
          }),
        );
      assert.equal((await signIn("wrong password!")).status, 401);
      const ok = await signIn("correct horse battery");
      assert.equal(ok.status, 200, await ok.clone().text());
      const cookie = ok.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
      const headers = new Headers({ cookie, host: "flightdeck.test" });
      const who = await auth.principal(headers);
      assert.equal(who.kind === "user" && who.username, "dora");
      const user = await store.accounts.userByUsername("dora");
      await auth.users.signOutEverywhere(user!.id);
      assert.equal((await auth.principal(headers)).kind, "anonymous");
    });

    test("memberships: set (upsert), read, listed by user name, removed", async () => {
      await users();
      await site(store);
      await site(store, "alpha");
      const lab = (await store.accounts.siteId("lab"))!;
      const alpha = (await store.accounts.siteId("alpha"))!;
      assert.equal(await store.accounts.siteSlug(lab), "lab");
      assert.equal(await store.accounts.siteId("nope"), undefined);
      assert.equal(await store.accounts.siteSlug(9999), undefined);
      assert.deepEqual([...(await store.accounts.allSiteSlugs())].sort(), ["alpha", "lab"]);
      assert.deepEqual([...(await store.accounts.existingSites(["lab", "nope", "alpha"]))].sort(), ["alpha", "lab"]);
      assert.deepEqual(await store.accounts.existingSites([]), []);
      await store.accounts.setMembership(lab, "u-bo", "viewer");
      await store.accounts.setMembership(lab, "u-bo", "operator");
      await store.accounts.setMembership(lab, "u-al", "admin");
      await store.accounts.setMembership(alpha, "u-bo", "viewer");
      assert.equal(await store.accounts.membership(lab, "u-bo"), "operator");
      assert.equal(await store.accounts.membership(lab, "nobody"), null);
      assert.deepEqual([...(await store.accounts.memberSites("u-bo"))].sort(), ["alpha", "lab"]);
      assert.deepEqual(await store.accounts.members(lab), [
        { userId: "u-al", username: "al", name: "Al", role: "admin", isAdmin: true, disabled: false },
        { userId: "u-bo", username: "bo", name: "Bo", role: "operator", isAdmin: false, disabled: false },
      ]);
      await store.accounts.setMembership(lab, "u-bo", null);
      assert.equal(await store.accounts.membership(lab, "u-bo"), null);
      assert.deepEqual(await store.accounts.memberSites("u-bo"), ["alpha"]);
    });

    test("tokens: inserted, found by hash and id, touched, revoked once, listed without hashes", async () => {
      await users();
      await site(store);
      await store.accounts.saveBoard({ slug: "wall", title: "Wall", sites: ["lab"] });
      const lab = (await store.accounts.siteId("lab"))!;
      const board = (await store.accounts.boardBySlug("wall"))!;
      const created = new Date(1_700_000_000_000);
      const api = await store.accounts.insertToken({ kind: "api", name: "ci", prefix: "fda_1", hash: "h1", userId: "u-bo", siteId: lab, projectId: null, role: "operator", boardId: null, createdAt: created, expiresAt: null });
      const kiosk = await store.accounts.insertToken({ kind: "kiosk", name: "tv", prefix: "fdk_1", hash: "h2", userId: "u-al", siteId: null, projectId: null, role: null, boardId: board.id, createdAt: created, expiresAt: new Date(1_800_000_000_000) });
      const row = await store.accounts.tokenByHash("h1");
      assert.deepEqual(row, { id: api, kind: "api", name: "ci", prefix: "fda_1", hash: "h1", userId: "u-bo", siteId: lab, projectId: null, role: "operator", boardId: null, createdAt: created, expiresAt: null, lastUsedAt: null, revokedAt: null });
      assert.equal((await store.accounts.tokenById(kiosk))?.hash, "h2");
      assert.equal(await store.accounts.tokenByHash("nope"), undefined);
      const used = new Date(1_750_000_000_000);
      await store.accounts.touchToken(api, used);
      assert.deepEqual((await store.accounts.tokenById(api))?.lastUsedAt, used);
      assert.equal(await store.accounts.revokeToken(api, used), true);
      assert.equal(await store.accounts.revokeToken(api, new Date()), false);
      assert.equal(await store.accounts.revokeToken(9999, new Date()), false);
      assert.deepEqual((await store.accounts.tokenById(api))?.revokedAt, used);
      const all = await store.accounts.listTokens();
      assert.deepEqual(all.map((t) => [t.id, t.owner, t.site, t.board]), [
        [kiosk, "al", null, "wall"],
        [api, "bo", "lab", null],
      ]);
      assert.ok(!("hash" in all[0]!));
      assert.deepEqual((await store.accounts.listTokens("u-bo")).map((t) => t.id), [api]);
    });

    test("kiosk boards: saved (upsert by slug), listed by slug, found, deleted", async () => {
      await site(store);
      await store.accounts.saveBoard({ slug: "wall", title: "Wall", sites: ["lab"] });
      await store.accounts.saveBoard({ slug: "lobby", title: "Lobby", sites: [] });
      await store.accounts.saveBoard({ slug: "wall", title: "Wall 2", sites: ["lab", "lab"] });
      const boards = await store.accounts.boards();
      assert.deepEqual(boards.map((b) => [b.slug, b.title, b.sites]), [
        ["lobby", "Lobby", []],
        ["wall", "Wall 2", ["lab", "lab"]],
      ]);
      assert.ok(boards[0]!.createdAt instanceof Date);
      const wall = (await store.accounts.boardBySlug("wall"))!;
      assert.deepEqual(await store.accounts.boardById(wall.id), wall);
      await store.accounts.deleteBoard(wall.id);
      assert.equal(await store.accounts.boardBySlug("wall"), undefined);
      assert.equal(await store.accounts.boardById(wall.id), undefined);
    });

    // --- Audit --------------------------------------------------------------------------------------------

    test("audit: entries are queried newest first with every filter", async () => {
      const at = (s: number) => new Date(1_700_000_000_000 + s * 1000);
      const entry = (s: number, action: string, site: string | null, actor: string, target = "", detail = "{}") => ({ at: at(s), actor, actorId: null, action, site, target, detail, ip: null });
      await store.audit.insert(entry(1, "site.created", "lab", "Ana", "lab"));
      await store.audit.insert(entry(2, "run.requested", "lab", "bo", "run 1", '{"hosts":3}'));
      await store.audit.insert(entry(3, "run.approved", "lab", "token ci (bo)", "run 1"));
      await store.audit.insert(entry(4, "run.requested", "other", "ana", "run 2"));
      await store.audit.insert({ ...entry(5, "login.failed", null, "anonymous"), ip: "10.0.0.1" });
      const q = async (f: Partial<Parameters<Store["audit"]["query"]>[0]>) => (await store.audit.query({ limit: 100, ...f })).map((r) => r.at.getTime() / 1000 - 1_700_000_000);
      assert.deepEqual(await q({}), [5, 4, 3, 2, 1]);
      assert.deepEqual(await q({ limit: 2 }), [5, 4]);
      assert.deepEqual(await q({ sites: ["lab"] }), [3, 2, 1]);
      assert.deepEqual(await q({ sites: [] }), []);
      assert.deepEqual(await q({ site: "other" }), [4]);
      assert.deepEqual(await q({ action: "run.requested" }), [4, 2]);
      assert.deepEqual(await q({ action: "run.", actionPrefix: true }), [4, 3, 2]);
      assert.deepEqual(await q({ actor: "ANA" }), [4, 1], "case-insensitive");
      assert.deepEqual(await q({ text: "HOSTS" }), [2], "in the detail");
      assert.deepEqual(await q({ text: "run 1" }), [3, 2], "in the target");
      assert.deepEqual(await q({ from: at(2), to: at(4) }), [4, 3, 2]);
      const all = await store.audit.query({ limit: 100 });
      assert.deepEqual(await q({ before: all[1]!.id }), [3, 2, 1]);
      assert.deepEqual(all[0], { id: all[0]!.id, at: at(5), actor: "anonymous", actorId: null, action: "login.failed", site: null, target: "", detail: "{}", ip: "10.0.0.1" });
      assert.equal(typeof all[0].id, "number");
    });

    test("audit: the log is append-only in the database itself (UPDATE and DELETE refused)", async () => {
      await store.audit.insert({ at: new Date(), actor: "ana", actorId: null, action: "logout", site: null, target: "", detail: "{}", ip: null });
      await assert.rejects(db.raw("update audit_log set actor = 'mallory'"), /the audit log is append-only/);
      await assert.rejects(db.raw("delete from audit_log"), /the audit log is append-only/);
      const [row] = await store.audit.query({ limit: 10 });
      assert.equal(row?.actor, "ana");
    });

    // --- Introspection tokens and live processes ---------------------------------------------------------

    test("introspection grants: issued by hash, looked up while their run runs, ended with their run (and by its deletion)", async () => {
      await site(store);
      const id = await run(store, "lab", "running");
      const other = await run(store, "lab", "running");
      await store.introspection.issue("hash-1", { run: id, site: "lab", revision: 1, host: "web-1" });
      await store.introspection.issue("hash-2", { run: other, site: "lab", revision: 1, host: "web-2" });
      assert.deepEqual(await store.introspection.lookup("hash-1"), { run: id, site: "lab", revision: 1, host: "web-1" });
      assert.equal(await store.introspection.lookup("nope"), undefined);
      await store.introspection.endRun(id);
      assert.equal(await store.introspection.lookup("hash-1"), undefined);
      assert.equal((await store.introspection.lookup("hash-2"))?.host, "web-2");
      // A run another process ended before its tokens were deleted (a sweeper that died in between) grants nothing.
      await store.runs.setStatus(other, "interrupted");
      assert.equal(await store.introspection.lookup("hash-2"), undefined);
      await store.runs.setStatus(other, "running");
      await store.sites.delete("lab");
      assert.equal(await store.introspection.lookup("hash-2"), undefined);
    });

    test("workers registry: registered, heartbeats, live since, removed", async () => {
      const before = new Date(Date.now() - 1);
      await store.workers.register({ id: "b:2:y", host: "b", pid: 2, version: "0.1.0" });
      await store.workers.register({ id: "a:1:x", host: "a", pid: 1, version: "0.1.0" });
      await store.workers.register({ id: "a:1:x", host: "a", pid: 1, version: "0.2.0" });
      const live = await store.workers.live(before);
      assert.deepEqual(live.map((w) => [w.id, w.version]), [
        ["a:1:x", "0.2.0"],
        ["b:2:y", "0.1.0"],
      ]);
      assert.ok(live[0]!.startedAt instanceof Date && live[0]!.seenAt instanceof Date);
      assert.deepEqual(await store.workers.live(new Date(Date.now() + 60_000)), []);
      assert.equal(await store.workers.heartbeat("a:1:x"), true);
      await store.workers.remove("a:1:x");
      assert.equal(await store.workers.heartbeat("a:1:x"), false);
      assert.deepEqual((await store.workers.live(before)).map((w) => w.id), ["b:2:y"]);
    });
  });
}
