/** REST tour: API tokens (part C): list, create (site or project scope), revoke, each one's own. */
import assert from "node:assert/strict";
import { Client } from "../../api/client";
import { tourCase, type TourCase, type TourContext } from "./types";

interface Token {
  id: number;
  name: string;
  site: string | null;
  project: string | null;
  role: string;
  revokedAt: string | null;
}

async function siteToken(ctx: TourContext): Promise<{ id: number; token: string }> {
  const created = await ctx.clients.operator.rest("POST", "/api/v1/tokens", { name: `ci-${ctx.site}`, site: ctx.site, role: "viewer" });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body as { id: number; token: string };
}

export const cases: TourCase[] = [
  tourCase({
    operation: "tokens.create",
    name: "an operator makes a site token, which reads the site as its owner with at most its role",
    as: "operator",
    request: (ctx) => ({ method: "POST", path: "/api/v1/tokens", body: { name: "ci", site: ctx.site, role: "viewer", expiresInDays: 30 } }),
    status: 201,
    check: async (res, ctx) => {
      const { token } = res.body as { token: string };
      assert.match(token, /^fdt_/);
      const bearer = new Client(ctx.url, "token", token);
      assert.equal(((await bearer.rest("GET", `/api/v1/sites/${ctx.site}`)).body as { role: string }).role, "viewer");
    },
  }),
  tourCase({
    operation: "tokens.create",
    name: "a token cannot hold more than its owner",
    as: "viewer",
    request: (ctx) => ({ method: "POST", path: "/api/v1/tokens", body: { name: "too-much", site: ctx.site, role: "operator" } }),
    status: 403,
  }),
  tourCase({
    operation: "tokens.create",
    name: "a token has a site or a project, not both",
    as: "operator",
    request: (ctx) => ({ method: "POST", path: "/api/v1/tokens", body: { name: "both", site: ctx.site, project: "default", role: "viewer" } }),
    status: 400,
  }),
  tourCase({
    operation: "tokens.page",
    name: "a user lists their own tokens, with their scope, never the value",
    as: "operator",
    setup: siteToken,
    request: () => ({ method: "GET", path: "/api/v1/tokens", query: { limit: 500 } }),
    status: 200,
    check: (res, ctx, created) => {
      const mine = (res.body as { items: Token[] }).items.find((t) => t.id === created.id);
      assert.deepEqual(mine && [mine.site, mine.project, mine.role, mine.revokedAt], [ctx.site, null, "viewer", null]);
      assert.doesNotMatch(JSON.stringify(res.body), new RegExp(created.token), "never the token itself");
    },
  }),
  tourCase({
    operation: "tokens.page",
    name: "a token cannot manage tokens",
    as: "operator",
    setup: siteToken,
    request: (ctx, created) => ({ method: "GET", path: "/api/v1/tokens", headers: { authorization: `Bearer ${created.token}` } }),
    status: 403,
  }),
  tourCase({
    operation: "tokens.revoke",
    name: "its owner revokes a token; it is refused from then on",
    as: "operator",
    setup: siteToken,
    request: (ctx, created) => ({ method: "DELETE", path: `/api/v1/tokens/${created.id}` }),
    status: 204,
    check: async (res, ctx, created) => {
      const revoked = await new Client(ctx.url, "revoked", created.token).rest("GET", `/api/v1/sites/${ctx.site}`);
      assert.equal(revoked.status, 401);
    },
  }),
  tourCase({
    operation: "tokens.revoke",
    name: "someone else's token is not found",
    as: "viewer",
    setup: siteToken,
    request: (ctx, created) => ({ method: "DELETE", path: `/api/v1/tokens/${created.id}` }),
    status: 404,
  }),
];
