/**
 * The scenario over real HTTP: Alertmanager posts (signed with the site's webhook secret) to the intake
 * endpoint; the alert twice within the window starts exactly one run on the host its `instance` names, approved
 * automatically, and the third is held by re_react_delay until ten minutes after the reaction, as its outcome
 * says in the endpoint's answer and on the Events page's list. A resolved alert is not counted.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, test } from "node:test";
import { setReactor } from "../../server/events/hub";
import { ownEventsOf } from "../../server/events/own";
import { sign } from "../../server/events/secret";
import type { StoredEvent } from "../../server/events/types";
import { Client } from "../api/client";
import { startHttpServer } from "../api/http-server";
import { localInventory } from "../engine/fleet-site";

let server: Awaited<ReturnType<typeof startHttpServer>>;
let admin: Client;
let secret = "";

const SITE = `${localInventory(["db-1", "web-1"])}---
kind: blueprint
api_version: v1beta1
spec:
  name: clean
  steps:
  - {name: say, action: cmd.run, params: {cmd: "echo {{ event.data.annotations.summary }} on {{ host.name }}"}}
---
kind: deployment
api_version: v1beta1
spec:
  name: cleanup
  stages: [{name: s, operations: [{blueprints: [clean], targets: [all]}]}]
---
kind: reaction
api_version: v1beta1
spec:
  name: disk-full-cleanup
  on: {event: "alertmanager/DiskFull", labels: {severity: critical, status: firing}}
  when: "event.occurrences >= 1"
  limit: {min_occurrences: 2, within: 5m, re_react_delay: 10m}
  run: {deployment: cleanup, targets_from_label: instance}
  approval: auto
`;

function post(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as unknown }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const alertmanager = (status: "firing" | "resolved") =>
  JSON.stringify({
    version: "4",
    groupKey: "{}:{alertname}",
    status,
    receiver: "flightdeck",
    externalURL: "http://alertmanager:9093",
    alerts: [{ status, labels: { alertname: "DiskFull", severity: "critical", instance: "db-1:9100" }, annotations: { summary: "disk 97% full" }, startsAt: "2026-12-03T00:00:00Z", fingerprint: "abc" }],
  });

async function alert(status: "firing" | "resolved" = "firing"): Promise<StoredEvent> {
  const body = alertmanager(status);
  const res = await post("/api/v1/sites/ops/events/alertmanager", body, { "x-flightdeck-signature": sign(secret, Buffer.from(body)) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { events } = res.body as { events: StoredEvent[] };
  assert.equal(events.length, 1);
  return events[0]!;
}

before(async () => {
  server = await startHttpServer();
  await server.services.sites.create({ slug: "ops", name: "ops", files: [{ path: "site.yml", content: SITE }], author: "t", message: "m" });
  await server.services.sites.setLocalExecution("ops", true);
  await server.services.sites.setSettings("ops", { approvalsRequired: 1 });
  admin = new Client(server.url, "admin");
  await admin.signIn("admin", "admin-password-1");
  secret = (await admin.ok<{ secret: string }>("events.rotateSecret", { slug: "ops" })).secret;
  await server.services.store.events.setSettings("ops", { allowAutoApproval: true });
});
after(async () => {
  setReactor(null);
  await server.close();
});

test("Alertmanager's alert twice within the window starts exactly one run; the third is held by re_react_delay with its until", async () => {
  const first = await alert();
  assert.deepEqual(first.outcome.map((o) => [o.reaction, o.result, o.detail]), [["disk-full-cleanup", "matched", "held by min_occurrences: 1 of 2 within 5m"]]);
  assert.deepEqual((await alert("resolved")).outcome, [], "a resolved alert is not for it");

  const before = Date.now();
  const second = await alert();
  const after = Date.now();
  const [fired] = second.outcome;
  assert.equal(fired?.result, "fired", JSON.stringify(second.outcome));
  const run = await server.services.runs.get(fired.runId!);
  assert.deepEqual([run.requestedBy, run.plan.hosts, run.options.event?.labels.instance], ["reaction:disk-full-cleanup", ["db-1"], "db-1:9100"]);
  assert.equal(await server.services.runner.done(run.id), "succeeded");
  await ownEventsOf(server.services).flush();
  assert.equal((await server.services.runs.output(run.id, "db-1")).map((o) => o.data).join(""), "disk 97% full on db-1\n");

  const third = await alert();
  const [held] = third.outcome;
  assert.equal(held?.result, "held");
  assert.ok(held.until! >= before + 600_000 && held.until! <= after + 600_000, `until ${held.until} is ten minutes after the reaction`);
  assert.equal(held.detail, "held by re_react_delay (10m after the last reaction)");
  assert.equal((await server.services.runs.list("ops")).length, 1, "exactly one run");

  // The Events page's list says the same, newest first (with the run's own end among them).
  const page = await admin.ok<{ items: StoredEvent[] }>("events.list", { slug: "ops", limit: 10 });
  assert.deepEqual(
    page.items.map((e) => [e.name, e.labels.status, e.outcome.map((o) => o.result).join()]),
    [
      ["alertmanager/DiskFull", "firing", "held"],
      ["flightdeck/run/finished", "succeeded", ""],
      ["alertmanager/DiskFull", "firing", "fired"],
      ["alertmanager/DiskFull", "resolved", ""],
      ["alertmanager/DiskFull", "firing", "matched"],
    ],
  );
});
