/** REST tour (part B): a variable read, set and removed at a level (host, group, profile) over /api/v1. */
import assert from "node:assert/strict";
import { tourCase, type TourCase, type TourContext } from "./types";

const files = async (ctx: TourContext) => (await ctx.services.sites.files(ctx.site)).files.find((f) => f.path === "site.yml")!.content;
const rackOnA = (ctx: TourContext) => ctx.clients.operator.ok("vars.set", { slug: ctx.site, level: "host", name: "a", key: "rack", value: "r1" });

export const cases: TourCase[] = [
  tourCase({
    operation: "vars.get",
    as: "viewer",
    setup: rackOnA,
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/vars/host/a/rack` }),
    status: 200,
    check: (res) => assert.deepEqual(res.body, { revision: 2, value: "r1", declared: "site.yml:4:28" }),
  }),
  tourCase({
    operation: "vars.get",
    name: "a variable the level does not set is not found",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/vars/group/all/rack` }),
    status: 404,
  }),
  tourCase({
    operation: "vars.set",
    name: "an operator sets a nested variable on the all group",
    as: "operator",
    request: (ctx) => ({ method: "PUT", path: `/api/v1/sites/${ctx.site}/vars/group/all/ntp.servers`, headers: { "If-Match": '"1"' }, body: { value: ["10.0.0.1"] } }),
    status: 200,
    check: async (res, ctx) => {
      assert.equal(res.headers.get("etag"), '"2"');
      assert.match(await files(ctx), /\{name: all, connection: \{transport: local\}, data: \{ntp: \{servers: \[10\.0\.0\.1\]\}\}\}/);
      const host = await ctx.clients.viewer.ok<{ host: { vars: Record<string, unknown> } }>("hosts.get", { slug: ctx.site, name: "c" }, "query");
      assert.deepEqual(host.host.vars, { ntp: { servers: ["10.0.0.1"] } });
    },
  }),
  tourCase({
    operation: "vars.set",
    name: "a viewer may not set a variable",
    as: "viewer",
    request: (ctx) => ({ method: "PUT", path: `/api/v1/sites/${ctx.site}/vars/host/a/rack`, body: { value: "r1" } }),
    status: 403,
  }),
  tourCase({
    operation: "vars.delete",
    as: "operator",
    setup: rackOnA,
    request: (ctx) => ({ method: "DELETE", path: `/api/v1/sites/${ctx.site}/vars/host/a/rack` }),
    status: 200,
    check: async (res, ctx) => assert.match(await files(ctx), /hosts: \[\{name: a, data: \{\}\}, \{name: b\}, \{name: c\}\]/),
  }),
];
