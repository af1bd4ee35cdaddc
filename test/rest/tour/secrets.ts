/** REST tour: secrets (part D). Values never come back but from reveal, which is audited. */
import assert from "node:assert/strict";
import type { TourContext } from "./types";
import { tourCase, type TourCase } from "./types";

/** Sets db.password through REST as the operator; returns the new revision. */
async function withSecret(ctx: TourContext): Promise<number> {
  const res = await fetch(`${ctx.url}/api/v1/sites/${ctx.site}/secrets/db.password`, {
    method: "PUT",
    headers: ctx.clients.operator.headers({ "content-type": "application/json", "if-match": '"1"' }),
    body: JSON.stringify({ value: "s3cret-tour" }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { revision: number }).revision;
}

export const cases: TourCase[] = [
  tourCase({
    operation: "secrets.set",
    name: "an operator sets a secret on the newest revision; the value is not returned nor logged",
    as: "operator",
    request: (ctx) => ({ method: "PUT", path: `/api/v1/sites/${ctx.site}/secrets/db.password`, headers: { "if-match": '"1"' }, body: { value: "s3cret-tour" } }),
    status: 200,
    check: async (res, ctx) => {
      assert.equal((res.body as { revision: number }).revision, 2);
      assert.doesNotMatch(JSON.stringify(res.body), /s3cret-tour/);
      const audit = await ctx.services.auth.audit.query({ site: ctx.site, action: "secret.set" });
      assert.equal(audit.entries.length, 1);
      assert.doesNotMatch(JSON.stringify(audit.entries), /s3cret-tour/);
    },
  }),
  tourCase({
    operation: "secrets.set",
    name: "a stale If-Match is refused with 412",
    as: "operator",
    setup: withSecret,
    request: (ctx) => ({ method: "PUT", path: `/api/v1/sites/${ctx.site}/secrets/db.user`, headers: { "if-match": '"1"' }, body: { value: "admin" } }),
    status: 412,
  }),
  tourCase({
    operation: "secrets.list",
    name: "a viewer lists key names, never values",
    as: "viewer",
    setup: withSecret,
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/secrets` }),
    status: 200,
    check: (res) => {
      const body = res.body as { revision: number; keys: string[] };
      assert.deepEqual([body.revision, body.keys], [2, ["db.password"]]);
      assert.doesNotMatch(JSON.stringify(res.body), /s3cret-tour/);
    },
  }),
  tourCase({
    operation: "secrets.reveal",
    name: "a site admin reveals a value; the audit log names the key",
    as: "siteadmin",
    setup: withSecret,
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/secrets/db.password/reveal`, body: {} }),
    status: 200,
    check: async (res, ctx) => {
      assert.deepEqual(res.body, { value: "s3cret-tour" });
      const audit = await ctx.services.auth.audit.query({ site: ctx.site, action: "secret.revealed" });
      assert.deepEqual(audit.entries.map((e) => [e.actor, e.target]), [["siteadmin", "db.password"]]);
    },
  }),
  tourCase({
    operation: "secrets.reveal",
    name: "an operator cannot reveal",
    as: "operator",
    setup: withSecret,
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/secrets/db.password/reveal`, body: {} }),
    status: 403,
  }),
];
