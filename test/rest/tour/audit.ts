/** REST tour: the audit log (part D). */
import assert from "node:assert/strict";
import { tourCase, type TourCase } from "./types";

interface Page {
  items: { id: number; action: string; site: string | null }[];
  nextCursor: string | null;
  next: string | null;
}

export const cases: TourCase[] = [
  tourCase({
    operation: "audit.list",
    name: "a site admin pages through their site's entries, filtered by action kind",
    as: "siteadmin",
    setup: async (ctx) => {
      for (const parallelRuns of [2, 3, 4]) await ctx.clients.siteadmin.ok("sites.settings", { slug: ctx.site, parallelRuns });
    },
    request: (ctx) => ({ method: "GET", path: "/api/v1/audit", query: { site: ctx.site, action: "site.", limit: 2 } }),
    status: 200,
    check: async (res, ctx) => {
      const seen: number[] = [];
      let page = res.body as Page;
      for (let n = 0; n < 10; n++) {
        seen.push(...page.items.map((e) => e.id));
        assert.ok(page.items.every((e) => e.site === ctx.site && e.action === "site.settings"));
        if (!page.next) break;
        page = (await ctx.clients.siteadmin.rest("GET", page.next)).body as Page;
      }
      assert.equal(seen.length, 3);
      assert.deepEqual(seen, [...seen].sort((a, b) => b - a), "newest first, each once");
    },
  }),
  tourCase({
    operation: "audit.list",
    name: "a viewer administers nothing: an empty list",
    as: "viewer",
    request: () => ({ method: "GET", path: "/api/v1/audit" }),
    status: 200,
    check: (res) => assert.deepEqual((res.body as Page).items, []),
  }),
];
