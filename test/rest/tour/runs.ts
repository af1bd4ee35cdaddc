/** REST tour: runs (part D). Sites of the tour need no approval unless a case sets one. */
import assert from "node:assert/strict";
import type { TourContext } from "./types";
import { tourCase, type TourCase } from "./types";

interface RunStatus {
  id: number;
  status: string;
  lastSeq: number;
  hosts: Record<string, { status: string }>;
}

/** A run requested by the operator; with `approvals` the site first needs that many. */
async function requested(ctx: TourContext, approvals = 0): Promise<number> {
  if (approvals) await ctx.services.sites.setSettings(ctx.site, { approvalsRequired: approvals });
  return (await ctx.clients.operator.ok<{ id: number }>("runs.launch", { slug: ctx.site, deployment: "dep" })).id;
}

/** A run that has ended (the tour's deployment runs `true` on local hosts). */
async function finished(ctx: TourContext): Promise<number> {
  const id = await requested(ctx);
  await ctx.services.runner.done(id);
  return id;
}

export const cases: TourCase[] = [
  tourCase({
    operation: "runs.launch",
    name: "an operator requests a run: what `flightdeck launch` reads",
    as: "operator",
    setup: (ctx) => ctx.services.sites.setSettings(ctx.site, { approvalsRequired: 1 }),
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/runs`, body: { deployment: "dep", reason: "from CI", limit: ["a", "b"] } }),
    status: 201,
    check: (res, ctx) => {
      const body = res.body as { id: number; status: string; revision: number; deployment: string; url: string };
      assert.deepEqual(body, { id: body.id, status: "awaiting_approval", revision: 1, deployment: "dep", url: `/sites/${ctx.site}/runs/${body.id}` });
    },
  }),
  tourCase({
    operation: "runs.launch",
    name: "a viewer cannot request a run",
    as: "viewer",
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/runs`, body: { deployment: "dep" } }),
    status: 403,
  }),
  tourCase({
    operation: "runs.status",
    name: "a viewer reads a finished run's outcome per host",
    as: "viewer",
    setup: finished,
    request: (ctx, id) => ({ method: "GET", path: `/api/v1/runs/${id}` }),
    status: 200,
    check: (res, ctx, id) => {
      const run = res.body as RunStatus;
      assert.equal(run.id, id);
      assert.equal(run.status, "succeeded");
      assert.deepEqual(Object.keys(run.hosts).sort(), ["a", "b", "c"]);
      assert.ok(run.lastSeq > 0);
    },
  }),
  tourCase({
    operation: "runs.page",
    name: "a viewer pages through a site's runs by following `next`: each run once",
    as: "viewer",
    setup: async (ctx) => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push(await requested(ctx, 1));
      return ids;
    },
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/runs`, query: { limit: 2, requestedBy: "operator", status: "awaiting_approval" } }),
    status: 200,
    check: async (res, ctx, ids) => {
      type Page = { items: { id: number }[]; nextCursor: string | null; next: string | null };
      assert.equal(res.headers.get("link"), `<${(res.body as Page).next}>; rel="next"`);
      const seen: number[] = [];
      let page = res.body as Page;
      for (let n = 0; n < 10; n++) {
        seen.push(...page.items.map((r) => r.id));
        if (!page.next) break;
        assert.ok(page.nextCursor);
        const r = await ctx.clients.viewer.rest("GET", page.next);
        assert.equal(r.status, 200);
        page = r.body as Page;
      }
      assert.equal(page.nextCursor, null, "the last page says so");
      assert.deepEqual(seen, [...ids].reverse());
    },
  }),
  tourCase({
    operation: "runs.eventsPage",
    name: "a viewer reads the events after a sequence number",
    as: "viewer",
    setup: finished,
    request: (ctx, id) => ({ method: "GET", path: `/api/v1/runs/${id}/events`, query: { after: 2 } }),
    status: 200,
    check: (res) => {
      const page = res.body as { items: { seq: number; type: string }[]; nextCursor: string | null };
      assert.equal(page.nextCursor, null, "one page holds a small run's events");
      const events = page.items;
      assert.ok(events.length > 0);
      assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 3), "gap-free from after + 1");
      assert.ok(events.every((e) => typeof e.type === "string"));
    },
  }),
  tourCase({
    operation: "runs.eventsPage",
    name: "a viewer follows `next` through a run's events, two at a time, from `after`",
    as: "viewer",
    setup: finished,
    request: (ctx, id) => ({ method: "GET", path: `/api/v1/runs/${id}/events`, query: { after: 1, limit: 2 } }),
    status: 200,
    check: async (res, ctx, id) => {
      type EventPage = { items: { seq: number }[]; nextCursor: string | null; next: string | null };
      let page = res.body as EventPage;
      const seen = page.items.map((e) => e.seq);
      assert.deepEqual(seen, [2, 3]);
      assert.ok(page.next, "a finished run has more than three events");
      assert.equal(res.headers.get("link"), `<${page.next}>; rel="next"`);
      while (page.next) {
        const r = await ctx.clients.viewer.rest("GET", page.next);
        assert.equal(r.status, 200);
        page = r.body as EventPage;
        assert.ok(page.items.length <= 2);
        seen.push(...page.items.map((e) => e.seq));
      }
      const all = (await ctx.clients.viewer.rest("GET", `/api/v1/runs/${id}/events`)).body as EventPage;
      assert.deepEqual(seen, all.items.map((e) => e.seq).filter((s) => s > 1), "the pages, in turn, are every event after `after`, once");
    },
  }),
  tourCase({
    operation: "runs.eventsPage",
    name: "a page holds at most 5000 events",
    as: "viewer",
    setup: finished,
    request: (ctx, id) => ({ method: "GET", path: `/api/v1/runs/${id}/events`, query: { limit: 5001 } }),
    status: 400,
  }),
  tourCase({
    operation: "runs.output",
    name: "a viewer reads a host's output",
    as: "viewer",
    setup: async (ctx) => {
      await ctx.services.sites.save(ctx.site, { baseRevision: 1, changes: [{ path: "site.yml", content: (await ctx.services.sites.files(ctx.site)).files[0]!.content.replace('cmd: "true"', 'cmd: "echo hello-$HOSTNAME-tour"') }], author: "t", message: "echo" });
      return finished(ctx);
    },
    request: (ctx, id) => ({ method: "GET", path: `/api/v1/runs/${id}/hosts/a/output` }),
    status: 200,
    check: (res) => {
      const chunks = res.body as { step: string; stream: string; data: string }[];
      assert.match(chunks.map((c) => c.data).join(""), /hello-.*-tour/);
    },
  }),
  tourCase({
    operation: "runs.approve",
    name: "an approver approves a run waiting for one approval",
    as: "approver",
    setup: (ctx) => requested(ctx, 1),
    request: (ctx, id) => ({ method: "POST", path: `/api/v1/runs/${id}/approve`, body: { comment: "looks right" } }),
    status: 200,
    check: (res) => {
      const body = res.body as { approvals: number; required: number };
      assert.deepEqual([body.approvals, body.required], [1, 1]);
    },
  }),
  tourCase({
    operation: "runs.approve",
    name: "an operator cannot approve",
    as: "operator",
    setup: (ctx) => requested(ctx, 1),
    request: (ctx, id) => ({ method: "POST", path: `/api/v1/runs/${id}/approve`, body: {} }),
    status: 403,
  }),
  tourCase({
    operation: "runs.reject",
    name: "an approver rejects a run",
    as: "approver",
    setup: (ctx) => requested(ctx, 1),
    request: (ctx, id) => ({ method: "POST", path: `/api/v1/runs/${id}/reject`, body: { comment: "not today" } }),
    status: 204,
    check: async (res, ctx, id) => assert.equal((await ctx.services.runs.get(id)).status, "rejected"),
  }),
  tourCase({
    operation: "runs.cancel",
    name: "an operator cancels their own run",
    as: "operator",
    setup: (ctx) => requested(ctx, 1),
    request: (ctx, id) => ({ method: "POST", path: `/api/v1/runs/${id}/cancel`, body: {} }),
    status: 204,
    check: async (res, ctx, id) => assert.equal((await ctx.services.runs.get(id)).status, "cancelled"),
  }),
  tourCase({
    operation: "runs.rerequest",
    name: "an operator asks again for a request the site has moved past",
    as: "operator",
    setup: async (ctx) => {
      const id = await requested(ctx, 1);
      await ctx.services.sites.save(ctx.site, { baseRevision: 1, changes: [{ path: "notes.yml", content: "# moved on\n" }], author: "t", message: "m" });
      return id;
    },
    request: (ctx, id) => ({ method: "POST", path: `/api/v1/runs/${id}/rerequest`, body: {} }),
    status: 201,
    check: async (res, ctx, id) => {
      const again = await ctx.services.runs.get((res.body as { id: number }).id);
      assert.deepEqual([again.revision, again.status], [2, "awaiting_approval"]);
      assert.equal((await ctx.services.runs.get(id)).status, "cancelled");
    },
  }),
  tourCase({
    operation: "runs.rerunFailed",
    name: "an operator re-runs the hosts that failed",
    as: "operator",
    setup: async (ctx) => {
      const failing = (await ctx.services.sites.files(ctx.site)).files[0]!.content.replace('cmd: "true"', 'cmd: "test $(hostname) = never"');
      await ctx.services.sites.save(ctx.site, { baseRevision: 1, changes: [{ path: "site.yml", content: failing }], author: "t", message: "fails" });
      return finished(ctx);
    },
    request: (ctx, id) => ({ method: "POST", path: `/api/v1/runs/${id}/rerun-failed`, body: {} }),
    status: 201,
    check: async (res, ctx, id) => {
      const again = (res.body as { id: number }).id;
      assert.ok(again > id);
      assert.deepEqual((await ctx.services.runs.get(again)).options.rerunOf, id);
    },
  }),
];
