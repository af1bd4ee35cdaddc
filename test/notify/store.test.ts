/**
 * The notification outbox on SQLite and PostgreSQL: rules kept beside the other event settings, deliveries
 * enqueued and claimed once however many stores (processes) claim at once, each attempt's end fenced by its
 * attempt number, retries due at their time, a dead process's claim taken over, and the site's list newest first.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { errorCode } from "../../server/errors";
import type { NewNotification, NotificationPayload } from "../../server/notify/types";
import type { Store } from "../../server/store/types";
import { INVENTORY, twoStores } from "./support";

const T0 = new Date(1_700_000_000_000);
const at = (ms: number) => new Date(T0.getTime() + ms);
const LEASE = 60_000;

function payload(summary: string): NotificationPayload {
  return { kind: "run_failed", site: "lab", summary, link: "/sites/lab/runs/1", linkWarning: "no FLIGHTDECK_URL", at: T0.toISOString() };
}

function items(n: number, tag = "n"): NewNotification[] {
  return Array.from({ length: n }, (_, i) => ({ kind: "run_failed", channel: "webhook", target: `http://127.0.0.1:9/${tag}${i}`, payload: payload(`${tag}${i}`) }));
}

async function rejectsWith(promise: Promise<unknown>, code: string) {
  await assert.rejects(promise, (e: Error) => (assert.equal(errorCode(e), code, e.message), true));
}

for (const dialect of ["sqlite", "postgres"] as const) {
  describe(`notification store on ${dialect}`, () => {
    let stores: Awaited<ReturnType<typeof twoStores>>;
    let a: Store;
    let b: Store;
    beforeEach(async () => {
      stores = await twoStores(dialect);
      ({ a, b } = stores);
      for (const slug of ["lab", "prod"]) await a.sites.create({ slug, name: slug, files: [{ path: "inventory.yml", content: INVENTORY }], author: "ana", message: "first" });
    });
    afterEach(async () => {
      await stores.dispose();
    });

    test("rules: none at first, replaced whole, kept beside the site's other event settings", async () => {
      assert.deepEqual(await a.notifications.rules("lab"), []);
      await a.events.setSettings("lab", { allowAutoApproval: true });
      const rules = [
        { kinds: ["run_failed" as const, "approval_requested" as const], channel: "email" as const, target: "ops@example.net" },
        { kinds: ["run_started" as const], channel: "webhook" as const, target: "https://hooks.example.net/fd", secret: "sealed" },
      ];
      await a.notifications.setRules("lab", rules);
      assert.deepEqual(await b.notifications.rules("lab"), rules);
      assert.equal((await a.events.settings("lab")).allowAutoApproval, true, "the other settings are kept");
      await a.notifications.setRules("lab", [rules[0]!]);
      assert.deepEqual(await a.notifications.rules("lab"), [rules[0]]);
      assert.deepEqual(await a.notifications.rules("prod"), [], "per site");
      await rejectsWith(a.notifications.rules("nope"), "NOT_FOUND");
      await rejectsWith(a.notifications.setRules("nope", []), "NOT_FOUND");
    });

    test("enqueued deliveries are claimed when due, with the interface's types, and not again while claimed", async () => {
      await a.notifications.enqueue("lab", items(2), at(0));
      assert.deepEqual(await a.notifications.claim(at(-1), LEASE, 10), [], "not due before their time");
      const claimed = await a.notifications.claim(at(0), LEASE, 10);
      assert.equal(claimed.length, 2);
      const [first] = claimed;
      assert.deepEqual(
        { ...first, id: 0 },
        {
          id: 0,
          site: "lab",
          kind: "run_failed",
          channel: "webhook",
          target: "http://127.0.0.1:9/n0",
          payload: payload("n0"),
          status: "sending",
          attempts: 1,
          nextAttemptAt: at(LEASE),
          lastError: null,
          createdAt: at(0),
          sentAt: null,
        },
      );
      assert.deepEqual(await b.notifications.claim(at(1000), LEASE, 10), [], "claimed ones are not claimed again while the claim holds");
      await rejectsWith(a.notifications.enqueue("nope", items(1), at(0)), "NOT_FOUND");
    });

    test("two stores claiming at once never claim the same delivery", async () => {
      await a.notifications.enqueue("lab", items(40), at(0));
      await a.notifications.enqueue("prod", items(20, "p"), at(0));
      const seen: number[] = [];
      for (let round = 0; round < 10; round++) {
        const [x, y] = await Promise.all([a.notifications.claim(at(round), LEASE, 4), b.notifications.claim(at(round), LEASE, 4)]);
        seen.push(...x.map((d) => d.id), ...y.map((d) => d.id));
      }
      const rest = await Promise.all([a.notifications.claim(at(20), LEASE, 100), b.notifications.claim(at(20), LEASE, 100)]);
      seen.push(...rest.flat().map((d) => d.id));
      assert.equal(seen.length, 60, "every delivery claimed");
      assert.equal(new Set(seen).size, 60, "none twice");
    });

    test("an attempt's end is stored only by its claim; a retry is due at its time; an expired claim is taken over", async () => {
      await a.notifications.enqueue("lab", items(1), at(0));
      const [d] = await a.notifications.claim(at(0), LEASE, 10);
      assert.equal(await a.notifications.finish(d!.id, 2, { status: "sent", at: at(1) }), false, "not this claim's attempt");
      assert.equal(await a.notifications.finish(d!.id, 1, { status: "pending", retryAt: at(30_000), error: "the receiver answered 503" }), true);
      assert.deepEqual(await b.notifications.claim(at(29_999), LEASE, 10), [], "not before the retry's time");
      const [again] = await b.notifications.claim(at(30_000), LEASE, 10);
      assert.deepEqual([again!.id, again!.attempts, again!.lastError], [d!.id, 2, "the receiver answered 503"]);
      // Its process dies: once the claim expires, another process takes it; the old claim can no longer write.
      const [taken] = await a.notifications.claim(at(30_000 + LEASE), LEASE, 10);
      assert.equal(taken!.attempts, 3);
      assert.equal(await b.notifications.finish(d!.id, 2, { status: "failed", error: "late" }), false);
      assert.equal(await a.notifications.finish(d!.id, 3, { status: "sent", at: at(30_000 + LEASE + 5) }), true);
      const [stored] = await a.notifications.page("lab", { limit: 10 });
      assert.deepEqual([stored!.status, stored!.attempts, stored!.sentAt, stored!.lastError], ["sent", 3, at(30_000 + LEASE + 5), null]);
      assert.deepEqual(await a.notifications.claim(at(10 * LEASE), LEASE, 10), [], "a sent delivery is never claimed again");
      await a.notifications.enqueue("lab", items(1, "f"), at(0));
      const [f] = await a.notifications.claim(at(0), LEASE, 10);
      assert.equal(await a.notifications.finish(f!.id, 1, { status: "failed", error: "the receiver answered 404 Not Found" }), true);
      assert.deepEqual(await a.notifications.claim(at(10 * LEASE), LEASE, 10), [], "nor a failed one");
    });

    test("a site's deliveries, newest first, a page at a time", async () => {
      await a.notifications.enqueue("lab", items(5), at(0));
      await a.notifications.enqueue("prod", items(2, "p"), at(0));
      const all = await a.notifications.page("lab", { limit: 10 });
      assert.deepEqual(all.map((d) => d.payload.summary), ["n4", "n3", "n2", "n1", "n0"]);
      const next = await a.notifications.page("lab", { before: all[1]!.id, limit: 2 });
      assert.deepEqual(next.map((d) => d.payload.summary), ["n2", "n1"]);
      assert.equal((await a.notifications.page("prod", { limit: 10 })).length, 2);
      await rejectsWith(a.notifications.page("nope", { limit: 1 }), "NOT_FOUND");
    });
  });
}
