/**
 * Delivering notifications for real: webhooks to an HTTP receiver on loopback that checks the signature, mails
 * to a real SMTP server on loopback (smtp-server) with their deep link; two dispatchers on one database send each
 * notification once; retries wait their backoff (an injected clock, no sleeps); a failure is stored in words.
 */
import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import type { Plan } from "../../server/engine";
import { NotificationDispatcher, type Senders } from "../../server/notify/dispatcher";
import { notify } from "../../server/notify";
import { sealSigningSecret } from "../../server/notify/secret";
import { channelSenders } from "../../server/notify/senders";
import { applyRules } from "../../server/notify/settings";
import { notificationPayload, type NotificationPayload } from "../../server/notify/types";
import { loadServerIdentity, type ServerIdentity } from "../../server/secrets/keys";
import type { Store } from "../../server/store/types";
import { INVENTORY, mailHeader, mailText, smtpServer, twoStores, webhookReceiver, type Received } from "./support";

const T0 = 1_700_000_000_000;
const PLAN: Plan = { deployment: "rollout", title: "Roll out", stages: [], hosts: ["web-1"], steps: ["ping"] };
const URL_BASE = "https://flightdeck.example.net";

let keyDir: string;
let identity: ServerIdentity;
before(async () => {
  keyDir = mkdtempSync(join(tmpdir(), "fd-notify-key-"));
  identity = await loadServerIdentity(keyDir);
});
after(() => rmSync(keyDir, { recursive: true, force: true }));

/** Whether a request carries a valid X-Flightdeck-Signature for `secret`, checked as a receiver would. */
function signed(r: Received, secret: string): boolean {
  const given = String(r.headers["x-flightdeck-signature"] ?? "");
  const expected = `sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`;
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/** A clock the test moves. */
function clock(start = T0) {
  let now = start;
  return { now: () => now, set: (t: number) => void (now = t) };
}

async function run(store: Store, status: "awaiting_approval" | "failed" = "failed") {
  return store.runs.create({ site: "lab", revision: 1, plan: PLAN, requestedBy: "ana", requestedById: null, reason: "disk cleanup", options: { forks: 5 }, status });
}

for (const dialect of ["sqlite", "postgres"] as const) {
  describe(`notifications delivered on ${dialect}`, () => {
    let stores: Awaited<ReturnType<typeof twoStores>>;
    let a: Store;
    let b: Store;
    beforeEach(async () => {
      stores = await twoStores(dialect);
      ({ a, b } = stores);
      await a.sites.create({ slug: "lab", name: "lab", files: [{ path: "inventory.yml", content: INVENTORY }], author: "ana", message: "first" });
    });
    afterEach(async () => {
      await stores.dispose();
    });

    /** Rules as the settings router stores them; returns the generated signing secrets by URL. */
    async function setRules(store: Store, rules: Parameters<typeof applyRules>[1]): Promise<Map<string, string>> {
      const applied = await applyRules(await store.notifications.rules("lab"), rules, (s) => sealSigningSecret(s, identity));
      await store.notifications.setRules("lab", applied.rules);
      return new Map(applied.revealed.map((r) => [r.target, r.secret]));
    }

    test("two dispatchers on one database send each notification once, signed, with its deep link", async () => {
      const receiver = await webhookReceiver();
      try {
        const secrets = await setRules(a, [{ kinds: ["run_failed", "run_started"], channel: "webhook", target: `${receiver.url}/hook` }]);
        const secret = secrets.get(`${receiver.url}/hook`)!;
        assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
        const ids: number[] = [];
        for (let i = 0; i < 12; i++) {
          const id = await run(a);
          ids.push(id);
          await notify({ store: i % 2 ? a : b, publicUrl: URL_BASE, now: () => T0 }, { site: "lab", kind: "run_failed", run: id });
        }
        // Not a kind of the rule: nothing enqueued.
        await notify({ store: a, publicUrl: URL_BASE }, { site: "lab", kind: "approval_requested", run: ids[0] });
        const c = clock(T0);
        const make = (store: Store) =>
          new NotificationDispatcher({ store, clock: c, batch: 5, senders: channelSenders({ store, serverIdentity: Promise.resolve(identity), smtp: null }) });
        const [d1, d2] = [make(a), make(b)];
        const handled = [];
        for (let round = 0; round < 4; round++) handled.push(...(await Promise.all([d1.tick(), d2.tick()])).flat());
        assert.equal(handled.length, 12, "each delivery handled by one of the two");
        assert.ok(handled.every((h) => h.result.status === "sent" && h.stored));
        assert.equal(receiver.received.length, 12, "the receiver got each once");
        assert.equal(new Set(receiver.received.map((r) => r.headers["x-flightdeck-delivery"])).size, 12);
        for (const r of receiver.received) {
          assert.equal(r.path, "/hook");
          assert.ok(signed(r, secret), "signed with the rule's secret");
          assert.ok(!signed(r, `${secret}x`));
          assert.equal(r.headers["x-flightdeck-event"], "run_failed");
          assert.equal(r.headers["content-type"], "application/json");
          const body = notificationPayload.parse(JSON.parse(r.body));
          assert.equal(body.link, `${URL_BASE}/sites/lab/runs/${body.run!.id}`);
          assert.equal(body.linkWarning, undefined);
          assert.match(body.summary, new RegExp(`^Run ${body.run!.id} \\(rollout\\) of lab failed$`));
          assert.equal(body.run!.reason, "disk cleanup");
        }
        assert.deepEqual(new Set(receiver.received.map((r) => (JSON.parse(r.body) as NotificationPayload).run!.id)), new Set(ids));
        const page = await b.notifications.page("lab", { limit: 50 });
        assert.deepEqual(new Set(page.map((d) => d.status)), new Set(["sent"]));
        assert.deepEqual(new Set(page.map((d) => d.sentAt?.getTime())), new Set([T0]));
        assert.deepEqual(await Promise.all([d1.tick(), d2.tick()]), [[], []], "nothing is sent twice");
      } finally {
        await receiver.close();
      }
    });

    test("a real SMTP server on loopback receives the mail with its deep link", async () => {
      const smtp = await smtpServer();
      try {
        await setRules(a, [
          { kinds: ["approval_requested"], channel: "email", target: "ops@example.net" },
          { kinds: ["approval_requested", "run_failed"], channel: "email", target: "lead@example.net" },
        ]);
        const id = await run(a, "awaiting_approval");
        await notify({ store: a, publicUrl: URL_BASE, now: () => T0 }, { site: "lab", kind: "approval_requested", run: id });
        const senders = channelSenders({ store: a, serverIdentity: Promise.resolve(identity), smtp: { url: smtp.url, from: "flightdeck@example.net" } });
        try {
          const done = await new NotificationDispatcher({ store: a, senders, clock: clock() }).tick();
          assert.deepEqual(done.map((d) => [d.delivery.target, d.result.status]), [["ops@example.net", "sent"], ["lead@example.net", "sent"]]);
        } finally {
          senders.close();
        }
        await smtp.until(2);
        assert.deepEqual(smtp.mails.map((m) => [m.from, m.to]).sort(), [["flightdeck@example.net", ["lead@example.net"]], ["flightdeck@example.net", ["ops@example.net"]]]);
        const mail = smtp.mails[0]!;
        const text = mailText(mail.raw);
        assert.ok(text.includes(`Open it: ${URL_BASE}/sites/lab/approvals\n`), text);
        assert.match(text, new RegExp(`Run ${id}: rollout, awaiting approval`));
        assert.match(mailHeader(mail.raw, "Subject")!, new RegExp(`^\\[Flightdeck lab\\] Run ${id} \\(rollout\\) of lab waits for approval: requested by ana: disk cleanup$`));
        assert.equal(mailHeader(mail.raw, "X-Flightdeck-Event"), "approval_requested");
      } finally {
        await smtp.close();
      }
    });

    test("a failed attempt is retried after its backoff, a refused one is given up, each with its reason", async () => {
      // 503 first, then 204: retried; the other URL answers 404: given up at once.
      const flaky = await webhookReceiver((n) => (n === 1 ? 503 : 204));
      const gone = await webhookReceiver(() => 404);
      const smtp = await smtpServer({ refuse: (to) => to.startsWith("nobody@") });
      try {
        await setRules(a, [
          { kinds: ["run_failed"], channel: "webhook", target: `${flaky.url}/x` },
          { kinds: ["run_failed"], channel: "webhook", target: `${gone.url}/y` },
          { kinds: ["run_failed"], channel: "email", target: "nobody@example.net" },
        ]);
        await notify({ store: a, publicUrl: null, now: () => T0 }, { site: "lab", kind: "run_failed", run: await run(a) });
        const c = clock();
        const senders = channelSenders({ store: a, serverIdentity: Promise.resolve(identity), smtp: { url: smtp.url, from: "fd@example.net" } });
        const d = new NotificationDispatcher({ store: a, senders, clock: c, backoffMs: (n) => n * 30_000 });
        try {
          const first = await d.tick();
          const by = (target: string) => first.find((x) => x.delivery.target.startsWith(target))!.result;
          assert.deepEqual(by(flaky.url), { status: "pending", retryAt: new Date(T0 + 30_000), error: "the receiver answered 503 Service Unavailable" });
          assert.deepEqual(by(gone.url), { status: "failed", error: "the receiver answered 404 Not Found" });
          const refused = by("nobody@");
          assert.equal(refused.status, "failed");
          assert.match((refused as { error: string }).error, /^the SMTP relay refused it: .*550/);
          c.set(T0 + 29_999);
          assert.deepEqual(await d.tick(), [], "not before its backoff");
          c.set(T0 + 30_000);
          const [retried] = await d.tick();
          assert.deepEqual([retried!.delivery.attempts, retried!.result.status], [2, "sent"]);
          assert.equal(flaky.received.length, 2);
          assert.equal(gone.received.length, 1, "a 404 is not retried");
          // Without FLIGHTDECK_URL the link is a path, and the payload says so.
          const body = JSON.parse(flaky.received[1]!.body) as NotificationPayload;
          assert.equal(body.link, `/sites/lab/runs/${body.run!.id}`);
          assert.match(body.linkWarning!, /FLIGHTDECK_URL/);
          const stored = await a.notifications.page("lab", { limit: 10 });
          assert.deepEqual(stored.map((s) => [s.channel, s.status, s.attempts]).sort(), [["email", "failed", 1], ["webhook", "failed", 1], ["webhook", "sent", 2]].sort());
        } finally {
          senders.close();
        }
      } finally {
        await Promise.all([flaky.close(), gone.close(), smtp.close()]);
      }
    });

    test("gives up after the last attempt; without SMTP, or once its rule is gone, a delivery fails saying why", async () => {
      const down = await webhookReceiver(() => 500);
      try {
        await setRules(a, [
          { kinds: ["run_failed"], channel: "webhook", target: `${down.url}/z` },
          { kinds: ["run_failed"], channel: "email", target: "ops@example.net" },
        ]);
        await notify({ store: a, now: () => T0, publicUrl: URL_BASE }, { site: "lab", kind: "run_failed", run: await run(a) });
        const c = clock();
        const senders: Senders = channelSenders({ store: a, serverIdentity: Promise.resolve(identity), smtp: null });
        const d = new NotificationDispatcher({ store: a, senders, clock: c, maxAttempts: 2, backoffMs: () => 1000 });
        const first = await d.tick();
        assert.deepEqual(first.find((x) => x.delivery.channel === "email")!.result, { status: "failed", error: "the server sends no e-mail: FLIGHTDECK_SMTP_URL is not set" });
        c.set(T0 + 1000);
        const [last] = await d.tick();
        assert.deepEqual(last!.result, { status: "failed", error: "the receiver answered 500 Internal Server Error (gave up after 2 attempts)" });

        // The rule is removed before its notification is sent: it is never sent unsigned.
        await notify({ store: a, now: () => T0, publicUrl: URL_BASE }, { site: "lab", kind: "run_failed", run: await run(a) });
        await setRules(a, []);
        const [orphan] = (await d.tick()).filter((x) => x.delivery.channel === "webhook");
        assert.deepEqual(orphan!.result, { status: "failed", error: "the site's settings no longer send to this URL" });
        assert.equal(down.received.length, 2);
      } finally {
        await down.close();
      }
    });
  });
}

test("a webhook that does not answer in time is retried, saying so", async () => {
  const stores = await twoStores("sqlite");
  const { createServer } = await import("node:http");
  const hanging = createServer(() => undefined);
  await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
  try {
    const { a } = stores;
    await a.sites.create({ slug: "lab", name: "lab", files: [{ path: "inventory.yml", content: INVENTORY }], author: "ana", message: "first" });
    const target = `http://127.0.0.1:${(hanging.address() as { port: number }).port}/slow`;
    const applied = await applyRules([], [{ kinds: ["run_started"], channel: "webhook", target }], (s) => sealSigningSecret(s, identity));
    await a.notifications.setRules("lab", applied.rules);
    await notify({ store: a, now: () => T0 }, { site: "lab", kind: "run_started", run: await run(a) });
    const c = clock();
    const d = new NotificationDispatcher({ store: a, clock: c, senders: channelSenders({ store: a, serverIdentity: Promise.resolve(identity), smtp: null, timeoutMs: 300 }) });
    const [attempt] = await d.tick();
    assert.equal(attempt!.result.status, "pending");
    assert.equal((attempt!.result as { error: string }).error, "no answer within 0.3 s");
  } finally {
    hanging.closeAllConnections();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
    await stores.dispose();
  }
});
