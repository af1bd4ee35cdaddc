/**
 * The run service's and the worker's hooks, end to end on a real server's services: a run requested on a site
 * that needs approval mails the approvers with a link to the approvals page; once approved it is told started
 * and finished (a signed webhook and mails, each with the run's link); a failing run is told failed. The
 * dispatcher of the services sends them (woken by notify(): no polling to wait for, no sleeps).
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { readEnv } from "../../server/env";
import type { NotificationPayload } from "../../server/notify/types";
import { createServices } from "../../server/services";
import { allowLocal, asUser } from "../api/callers";
import { localInventory, workflow } from "../engine/fleet-site";
import { mailHeader, mailText, smtpServer, webhookReceiver } from "./support";

const PUBLIC = "https://flightdeck.example.net";
const dir = mkdtempSync(join(tmpdir(), "fd-notify-hooks-"));
const smtp = await smtpServer();
const hook = await webhookReceiver();
const services = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "", FLIGHTDECK_URL: PUBLIC, FLIGHTDECK_SMTP_URL: smtp.url, FLIGHTDECK_SMTP_FROM: "flightdeck@example.net" }));
after(async () => {
  await services.close();
  await Promise.all([smtp.close(), hook.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const SITE = (cmd: string) => `${localInventory(["a", "b"])}---\n${workflow(`  - {name: one, action: cmd.run, params: {cmd: "${cmd}"}}`, "", "[all]", "dep")}`;

test("approval requested, run started and finished or failed reach the site's targets with their deep links", async () => {
  const ana = await asUser(services, "ana", { isAdmin: true });
  await services.sites.create({ slug: "svc", name: "svc", files: [{ path: "site.yml", content: SITE("true") }], author: "t", message: "m" });
  await allowLocal(services, "svc");
  const bob = await asUser(services, "bob", { roles: { svc: "approver" } });
  const { secrets } = await ana.api.notifications.setSettings({
    slug: "svc",
    rules: [
      { kinds: ["approval_requested", "run_failed"], channel: "email", target: "ops@example.net" },
      { kinds: ["run_started", "run_finished", "run_failed"], channel: "webhook", target: `${hook.url}/fd` },
    ],
  });
  const secret = secrets[0]!.secret;

  const { id } = await ana.api.runs.launch({ slug: "svc", deployment: "dep", reason: "nightly" });
  await smtp.until(1);
  const asked = smtp.mails[0]!;
  assert.deepEqual(asked.to, ["ops@example.net"]);
  assert.match(mailHeader(asked.raw, "Subject")!, new RegExp(`^\\[Flightdeck svc\\] Run ${id} \\(dep\\) of svc waits for approval: requested by ana: nightly$`));
  assert.ok(mailText(asked.raw).includes(`Open it: ${PUBLIC}/sites/svc/approvals\n`), asked.raw);

  await bob.api.runs.approve({ id, comment: "" });
  assert.equal(await services.runner.done(id), "succeeded");
  // The end is enqueued before the run is said finished; its sending may still be under way.
  await hook.until(2);
  // In the order they were enqueued (two could be sent by one tick, in either order).
  const byDelivery = () => [...hook.received].sort((x, y) => Number(x.headers["x-flightdeck-delivery"]) - Number(y.headers["x-flightdeck-delivery"]));
  const bodies = byDelivery().map((r) => JSON.parse(r.body) as NotificationPayload);
  assert.deepEqual(bodies.map((b) => [b.kind, b.run!.id, b.link]), [
    ["run_started", id, `${PUBLIC}/sites/svc/runs/${id}`],
    ["run_finished", id, `${PUBLIC}/sites/svc/runs/${id}`],
  ]);
  assert.equal(bodies[1]!.run!.status, "succeeded");
  for (const r of hook.received) assert.equal(r.headers["x-flightdeck-signature"], `sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`);
  assert.equal(smtp.mails.length, 1, "ops@ is not told of starts and successes");

  // A failing run on a site that runs without approval: no approval mail, a failure to both.
  await services.sites.save("svc", { baseRevision: 1, changes: [{ path: "site.yml", content: SITE("false") }], author: "t", message: "break" });
  await services.sites.setSettings("svc", { approvalsRequired: 0 });
  const failed = (await ana.api.runs.launch({ slug: "svc", deployment: "dep" })).id;
  assert.equal(await services.runner.done(failed), "failed");
  await hook.until(4);
  await smtp.until(2);
  assert.deepEqual(byDelivery().slice(2).map((r) => (JSON.parse(r.body) as NotificationPayload).kind), ["run_started", "run_failed"]);
  assert.match(mailHeader(smtp.mails[1]!.raw, "Subject")!, new RegExp(`^\\[Flightdeck svc\\] Run ${failed} \\(dep\\) of svc failed`));
  assert.ok(mailText(smtp.mails[1]!.raw).includes(`Open it: ${PUBLIC}/sites/svc/runs/${failed}\n`));

  // Each arrived; the dispatcher's tick that sent it stores how it went (a tick called now waits for the one under way).
  await services.notifications.dispatcher.tick();
  const { items } = await ana.api.notifications.deliveries({ slug: "svc", limit: 50 });
  assert.equal(items.length, 6);
  assert.ok(items.every((d) => d.status === "sent" && d.attempts === 1), JSON.stringify(items.map((d) => [d.status, d.lastError])));
});
