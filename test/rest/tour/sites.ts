/** REST tour: sites (part D). */
import assert from "node:assert/strict";
import { tourCase, type TourCase } from "./types";

interface Site {
  slug: string;
  revision: number;
  role: string | null;
  createdAt: string;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
  next: string | null;
}

export const cases: TourCase[] = [
  tourCase({
    operation: "sites.page",
    name: "a viewer lists the sites they can read, each with their role",
    as: "viewer",
    request: () => ({ method: "GET", path: "/api/v1/sites", query: { limit: 500 } }),
    status: 200,
    check: (res, ctx) => {
      const site = (res.body as Page<Site>).items.find((s) => s.slug === ctx.site);
      assert.ok(site, "the case's site is listed");
      assert.equal(site.role, "viewer");
      assert.ok(!Number.isNaN(Date.parse(site.createdAt)), "timestamps are ISO 8601");
    },
  }),
  tourCase({
    operation: "sites.page",
    name: "a server admin follows `next` from one page of sites to the next",
    as: "admin",
    setup: async (ctx) => {
      for (const suffix of ["p1", "p2"]) assert.equal((await ctx.clients.admin.rest("POST", "/api/v1/sites", { slug: `${ctx.site}-${suffix}`, name: suffix })).status, 201);
    },
    request: () => ({ method: "GET", path: "/api/v1/sites", query: { limit: 2 } }),
    status: 200,
    check: async (res, ctx) => {
      const first = res.body as Page<Site>;
      assert.equal(first.items.length, 2);
      assert.ok(first.nextCursor && first.next, "more sites than the page holds");
      assert.equal(res.headers.get("link"), `<${first.next}>; rel="next"`);
      const again = await ctx.clients.admin.rest("GET", first.next);
      assert.equal(again.status, 200);
      const second = again.body as Page<Site>;
      assert.ok(second.items.length > 0);
      assert.ok(second.items[0]!.slug > first.items[1]!.slug, "the next page goes on after the last slug, in order");
    },
  }),
  tourCase({
    operation: "sites.page",
    name: "a cursor not of this list is bad input",
    as: "viewer",
    request: () => ({ method: "GET", path: "/api/v1/sites", query: { cursor: "bm9wZQ" } }),
    status: 400,
  }),
  tourCase({
    operation: "sites.page",
    name: "anonymous callers are asked to sign in",
    as: "anonymous",
    request: () => ({ method: "GET", path: "/api/v1/sites" }),
    status: 401,
  }),
  tourCase({
    operation: "sites.get",
    name: "a viewer reads a site; its ETag is the newest revision",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}` }),
    status: 200,
    check: (res, ctx) => {
      assert.equal((res.body as Site).slug, ctx.site);
      assert.equal(res.headers.get("etag"), `"${(res.body as Site).revision}"`);
    },
  }),
  tourCase({
    operation: "sites.create",
    name: "a server admin creates a site",
    as: "admin",
    request: (ctx) => ({ method: "POST", path: "/api/v1/sites", body: { slug: `${ctx.site}-new`, name: "New" } }),
    status: 201,
    check: async (res, ctx) => {
      assert.equal((res.body as { number: number }).number, 1);
      const got = await ctx.clients.admin.rest("GET", `/api/v1/sites/${ctx.site}-new`);
      assert.equal(got.status, 200);
    },
  }),
  tourCase({
    operation: "sites.create",
    name: "a site admin cannot create sites",
    as: "siteadmin",
    request: (ctx) => ({ method: "POST", path: "/api/v1/sites", body: { slug: `${ctx.site}-no`, name: "No" } }),
    status: 403,
  }),
  tourCase({
    operation: "sites.settings",
    name: "a site admin changes how many runs execute at once",
    as: "siteadmin",
    request: (ctx) => ({ method: "PATCH", path: `/api/v1/sites/${ctx.site}/settings`, body: { parallelRuns: 3 } }),
    status: 200,
    check: async (res, ctx) => {
      assert.deepEqual(res.body, { approvalsRequired: 0, parallelRuns: 3 });
      assert.equal((await ctx.services.sites.get(ctx.site)).parallelRuns, 3);
    },
  }),
  tourCase({
    operation: "sites.settings",
    name: "an operator cannot change settings",
    as: "operator",
    request: (ctx) => ({ method: "PATCH", path: `/api/v1/sites/${ctx.site}/settings`, body: { approvalsRequired: 0 } }),
    status: 403,
  }),
  // The hand-written binary routes documented beside the procedures (part A's table).
  tourCase({
    operation: "sites.export",
    name: "a viewer exports the site as a gzipped tar",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/export` }),
    status: 200,
    check: (res) => assert.match(res.headers.get("content-type") ?? "", /gzip/),
  }),
  tourCase({
    operation: "sites.inventoryJson",
    name: "a viewer reads the resolved inventory as JSON",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/inventory.json` }),
    status: 200,
    check: (res) => assert.match(JSON.stringify(res.body), /"a"/),
  }),
  tourCase({
    operation: "sites.inventoryTgz",
    name: "a viewer downloads the Ansible inventory as .tgz",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/inventory.tgz` }),
    status: 200,
  }),
  tourCase({
    operation: "sites.inventoryZip",
    name: "a viewer downloads the Ansible inventory as .zip",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/inventory.zip` }),
    status: 200,
  }),
  tourCase({
    operation: "sites.import",
    name: "a viewer cannot import into the site (refused before the body is read)",
    as: "viewer",
    request: (ctx) => ({ method: "POST", path: "/api/v1/sites/import", query: { slug: ctx.site }, body: {} }),
    status: 403,
  }),
];
