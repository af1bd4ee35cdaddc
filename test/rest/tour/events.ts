/**
 * REST tour: events (issue 15, part E1). The intake routes (generic, Alertmanager, GitHub) with an operator's
 * session or the site's webhook signature, and the events list and one event; test/events/intake.test.ts covers
 * signatures, limits and formats in depth.
 */
import assert from "node:assert/strict";
import { sign } from "../../../server/events/secret";
import type { StoredEvent } from "../../../server/events/types";
import { tourCase, type TourCase } from "./types";

const EVENT = { name: "deploy/requested", labels: { env: "prod" }, data: { by: "tour" } };
const ALERTS = { version: "4", status: "firing", receiver: "fd", groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "http://am", alerts: [{ status: "firing", labels: { alertname: "DiskFull", instance: "a:9100" }, annotations: { summary: "disk" }, startsAt: "2026-12-02T10:00:00Z" }] };

export const cases: TourCase[] = [
  tourCase({
    operation: "events.intake",
    name: "an operator sends an event",
    as: "operator",
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/events`, body: EVENT }),
    status: 200,
    check: (res) => assert.equal((res.body as { events: StoredEvent[] }).events[0]?.name, "deploy/requested"),
  }),
  tourCase({
    operation: "events.intake",
    name: "a sender signs with the webhook secret",
    as: "anonymous",
    setup: async (ctx) => (await ctx.clients.siteadmin.ok<{ secret: string }>("events.rotateSecret", { slug: ctx.site })).secret,
    request: (ctx, secret) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/events`, body: EVENT, headers: { "x-flightdeck-signature": sign(secret, Buffer.from(JSON.stringify(EVENT))) } }),
    status: 200,
    check: (res) => assert.equal((res.body as { events: StoredEvent[] }).events[0]?.sender, "webhook"),
  }),
  tourCase({
    operation: "events.intake",
    name: "a viewer may not send events",
    as: "viewer",
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/events`, body: EVENT }),
    status: 403,
  }),
  tourCase({
    operation: "events.alertmanager",
    as: "operator",
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/events/alertmanager`, body: ALERTS }),
    status: 200,
    check: (res) => assert.deepEqual((res.body as { events: StoredEvent[] }).events[0]?.labels, { alertname: "DiskFull", instance: "a:9100", status: "firing" }),
  }),
  tourCase({
    operation: "events.github",
    name: "a GitHub ping is answered",
    as: "operator",
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/events/github`, body: { zen: "hi" }, headers: { "x-github-event": "ping" } }),
    status: 200,
    check: (res) => assert.deepEqual(res.body, { received: 0, events: [] }),
  }),
  tourCase({
    operation: "events.list",
    as: "viewer",
    setup: async (ctx) => {
      for (const name of ["a/one", "b/two"]) await ctx.services.store.events.insert(ctx.site, { name, labels: {}, data: {}, source: "api", sender: "tour", receivedAt: Date.now() });
    },
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/events`, query: { limit: 1 } }),
    status: 200,
    check: (res) => {
      const page = res.body as { items: StoredEvent[]; next: string | null };
      assert.equal(page.items[0]?.name, "b/two");
      assert.ok(page.next);
    },
  }),
  tourCase({
    operation: "events.get",
    as: "viewer",
    setup: async (ctx) => (await ctx.services.store.events.insert(ctx.site, { name: "a/one", labels: { k: "v" }, data: { n: 1 }, source: "api", sender: "tour", receivedAt: Date.now() })).id,
    request: (ctx, id) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/events/${id}` }),
    status: 200,
    check: (res, ctx, id) => assert.equal((res.body as StoredEvent).id, id),
  }),
];
