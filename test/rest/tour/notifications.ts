/** REST tour: a site's notification settings and its deliveries (part E3). */
import assert from "node:assert/strict";
import { notify } from "../../../server/notify";
import { tourCase, type TourCase } from "./types";

type Settings = { rules: { kinds: string[]; channel: string; target: string; hasSecret: boolean }[]; email: { configured: boolean }; warnings: string[]; secrets?: { target: string; secret: string }[] };
type Page = { items: { id: number; kind: string; channel: string; target: string; status: string; payload: { link: string; run?: { id: number } } }[]; nextCursor: string | null; next: string | null };

const HOOK = "http://127.0.0.1:9/flightdeck";

export const cases: TourCase[] = [
  tourCase({
    operation: "notifications.setSettings",
    name: "a site admin sends failures to a webhook and approvals to an address; the new signing secret is shown once",
    as: "siteadmin",
    request: (ctx) => ({
      method: "PUT",
      path: `/api/v1/sites/${ctx.site}/notifications/settings`,
      body: { rules: [{ kinds: ["run_failed", "reaction_fired"], channel: "webhook", target: HOOK }, { kinds: ["approval_requested"], channel: "email", target: "ops@example.net" }] },
    }),
    status: 200,
    check: async (res, ctx) => {
      const body = res.body as Settings;
      assert.deepEqual(body.secrets!.map((s) => s.target), [HOOK]);
      assert.match(body.secrets![0]!.secret, /^whsec_/);
      assert.deepEqual(body.rules.map((r) => [r.channel, r.hasSecret]), [["webhook", true], ["email", false]]);
      assert.ok(body.warnings.some((w) => w.includes("FLIGHTDECK_SMTP_URL")), "says that the server sends no e-mail");
      // Read back: the secret is never shown again.
      const again = await ctx.clients.siteadmin.rest("GET", `/api/v1/sites/${ctx.site}/notifications/settings`);
      assert.ok(!JSON.stringify(again.body).includes(body.secrets![0]!.secret));
    },
  }),
  tourCase({
    operation: "notifications.setSettings",
    name: "a bad target is refused, located, and nothing is stored",
    as: "siteadmin",
    request: (ctx) => ({ method: "PUT", path: `/api/v1/sites/${ctx.site}/notifications/settings`, body: { rules: [{ kinds: ["run_started"], channel: "webhook", target: "ftp://example.net/x" }] } }),
    status: 400,
    check: async (res, ctx) => {
      assert.match((res.body as { detail: string }).detail, /^rules\[0\]\.target: 'ftp:\/\/example\.net\/x' must be http:\/\/ or https:\/\//);
      assert.deepEqual(await ctx.services.store.notifications.rules(ctx.site), []);
    },
  }),
  tourCase({
    operation: "notifications.setSettings",
    name: "an operator may not change who is notified",
    as: "operator",
    request: (ctx) => ({ method: "PUT", path: `/api/v1/sites/${ctx.site}/notifications/settings`, body: { rules: [] } }),
    status: 403,
  }),
  tourCase({
    operation: "notifications.settings",
    name: "a site admin reads the rules, without secrets",
    as: "siteadmin",
    setup: (ctx) => ctx.clients.siteadmin.rest("PUT", `/api/v1/sites/${ctx.site}/notifications/settings`, { rules: [{ kinds: ["run_started"], channel: "webhook", target: HOOK, secret: "a-secret-of-sixteen+" }] }),
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/notifications/settings` }),
    status: 200,
    check: (res) => {
      const body = res.body as Settings;
      assert.deepEqual(body.rules, [{ kinds: ["run_started"], channel: "webhook", target: HOOK, hasSecret: true }]);
      assert.ok(!JSON.stringify(body).includes("a-secret-of-sixteen+"));
    },
  }),
  tourCase({
    operation: "notifications.deliveries",
    name: "a site admin follows the deliveries, newest first, one at a time",
    as: "siteadmin",
    setup: async (ctx) => {
      await ctx.clients.siteadmin.rest("PUT", `/api/v1/sites/${ctx.site}/notifications/settings`, { rules: [{ kinds: ["run_failed"], channel: "email", target: "ops@example.net" }, { kinds: ["run_failed"], channel: "webhook", target: HOOK }] });
      const run = await ctx.services.store.runs.create({ site: ctx.site, revision: 1, plan: { deployment: "dep", title: "dep", stages: [], hosts: ["a"], steps: [] }, requestedBy: "ana", requestedById: null, reason: "tour", options: { forks: 1 }, status: "failed" });
      await notify({ store: ctx.services.store, publicUrl: "https://fd.example.net" }, { site: ctx.site, kind: "run_failed", run });
      return run;
    },
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/notifications`, query: { limit: 1 } }),
    status: 200,
    check: async (res, ctx, run) => {
      const first = res.body as Page;
      assert.deepEqual(first.items.map((d) => [d.kind, d.channel, d.target]), [["run_failed", "webhook", HOOK]]);
      assert.equal(first.items[0]!.payload.link, `https://fd.example.net/sites/${ctx.site}/runs/${run}`);
      assert.ok(first.next);
      const second = (await ctx.clients.siteadmin.rest("GET", first.next)).body as Page;
      assert.deepEqual([second.items.map((d) => d.channel), second.nextCursor], [["email"], null]);
    },
  }),
  tourCase({
    operation: "notifications.deliveries",
    name: "a viewer may not read where notifications go",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/notifications` }),
    status: 403,
  }),
];
