/** Requests per caller on /api/v1 (FLIGHTDECK_API_RATE, FLIGHTDECK_API_BURST): 429 with Retry-After, per caller. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { assertProblem, call, startRestServer } from "./support";

let server: Awaited<ReturnType<typeof startRestServer>>;
let site = "";
before(async () => {
  server = await startRestServer({ FLIGHTDECK_API_RATE: "0.01", FLIGHTDECK_API_BURST: "3" });
  site = await server.freshSite("rate");
});
after(() => server.close());

test("a caller over its burst gets 429 with Retry-After, before its body is read; other callers go on", async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await call(server.url, server.clients.viewer, "GET", `/api/v1/sites/${site}/runs`);
    statuses.push(r.status);
    assert.equal(r.headers.get("ratelimit-limit"), "3");
    assert.equal(r.headers.get("ratelimit-remaining"), String(2 - i));
  }
  assert.deepEqual(statuses, [200, 200, 200]);
  const over = await call(server.url, server.clients.viewer, "GET", `/api/v1/sites/${site}/runs`);
  const p = assertProblem(over, 429, "too-many-requests");
  assert.ok(Number(over.headers.get("retry-after")) >= 1, "Retry-After in whole seconds");
  assert.equal(over.headers.get("ratelimit-remaining"), "0");
  assert.match(p.detail, /try again in \d+ s/);
  // A body that would be refused for its size is not looked at: the rate limit answers first.
  const big = await call(server.url, server.clients.viewer, "POST", `/api/v1/sites/${site}/runs`, { body: new Uint8Array(5 << 20), headers: { "content-type": "application/json" } });
  assertProblem(big, 429, "too-many-requests");
  // Another user has a bucket of its own.
  assert.equal((await call(server.url, server.clients.operator, "GET", `/api/v1/sites/${site}/runs`)).status, 200);
});

test("anonymous callers are limited per address", async () => {
  for (let i = 0; i < 3; i++) assertProblem(await call(server.url, undefined, "GET", "/api/v1/sites"), 401, "unauthorized");
  assertProblem(await call(server.url, undefined, "GET", "/api/v1/sites"), 429, "too-many-requests");
});
