/** REST tour: sites (part D). */
import assert from "node:assert/strict";
import { tourCase, type TourCase } from "./types";

interface Site {
  slug: string;
  revision: number;
  role: string | null;
  createdAt: string;
}

export const cases: TourCase[] = [
  tourCase({
    operation: "sites.list",
    name: "a viewer lists the sites they can read, each with their role",
    as: "viewer",
    request: () => ({ method: "GET", path: "/api/v1/sites" }),
    status: 200,
    check: (res, ctx) => {
      const site = (res.body as Site[]).find((s) => s.slug === ctx.site);
      assert.ok(site, "the case's site is listed");
      assert.equal(site.role, "viewer");
      assert.ok(!Number.isNaN(Date.parse(site.createdAt)), "timestamps are ISO 8601");
    },
  }),
  tourCase({
    operation: "sites.list",
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
