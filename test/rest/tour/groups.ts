/** REST tour (part B): the group tree read and groups edited in the site's YAML over /api/v1. */
import assert from "node:assert/strict";
import { tourCase, type TourCase, type TourContext } from "./types";

const files = async (ctx: TourContext) => (await ctx.services.sites.files(ctx.site)).files.find((f) => f.path === "site.yml")!.content;
const webGroup = (ctx: TourContext) => ctx.clients.operator.ok("groups.create", { slug: ctx.site, name: "web", members: ["a", "b"] });

export const cases: TourCase[] = [
  tourCase({
    operation: "groups.list",
    as: "viewer",
    setup: webGroup,
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/groups` }),
    status: 200,
    check: (res) => {
      const { groups } = res.body as { groups: { name: string; parent: string | null; hosts: number }[] };
      assert.deepEqual(groups.map((g) => [g.name, g.parent, g.hosts]), [["all", null, 3], ["web", "all", 2]]);
    },
  }),
  tourCase({
    operation: "groups.get",
    as: "viewer",
    setup: webGroup,
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/groups/web` }),
    status: 200,
    check: (res) => assert.deepEqual((res.body as { hostNames: string[] }).hostNames, ["a", "b"]),
  }),
  tourCase({
    operation: "groups.create",
    name: "an operator adds a group under a parent, in the flow style of its siblings",
    as: "operator",
    setup: webGroup,
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/groups`, headers: { "If-Match": '"2"' }, body: { name: "edge", parent: "web", members: ["a"] } }),
    status: 201,
    check: async (res, ctx) => {
      assert.equal(res.headers.get("etag"), '"3"');
      assert.match(await files(ctx), /groups: \[\{name: all, connection: \{transport: local\}, data: \{\}\}, \{name: web, members: \[a, b\], children: \[edge\]\}, \{name: edge, members: \[a\]\}\]/);
    },
  }),
  tourCase({
    operation: "groups.create",
    name: "a viewer may not add a group",
    as: "viewer",
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/groups`, body: { name: "web" } }),
    status: 403,
  }),
  tourCase({
    operation: "groups.update",
    as: "operator",
    setup: webGroup,
    request: (ctx) => ({ method: "PATCH", path: `/api/v1/sites/${ctx.site}/groups/web`, body: { members: ["c"], data: { port: 80 } } }),
    status: 200,
    check: async (res, ctx) => assert.match(await files(ctx), /\{name: web, members: \[c\], data: \{port: 80\}\}/),
  }),
  tourCase({
    operation: "groups.update",
    name: "an unknown member is named",
    as: "operator",
    setup: webGroup,
    request: (ctx) => ({ method: "PATCH", path: `/api/v1/sites/${ctx.site}/groups/web`, body: { members: ["ghost"] } }),
    status: 400,
    check: (res) => assert.match((res.body as { detail: string }).detail, /^members\[0\]: no host 'ghost'/),
  }),
  tourCase({
    operation: "groups.delete",
    as: "operator",
    setup: webGroup,
    request: (ctx) => ({ method: "DELETE", path: `/api/v1/sites/${ctx.site}/groups/web`, headers: { "If-Match": '"2"' } }),
    status: 200,
    check: async (res, ctx) => assert.doesNotMatch(await files(ctx), /web/),
  }),
];
