/**
 * Introspection over HTTP: a machine being deployed finds a per-host token in its user_data and reads its own
 * resolved variables (secret references withheld) while the run lasts; the token ends with the run.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { randomApiKey, startMaasSimulator, type MaasSimulator } from "../maas/simulator";
import { Client } from "./client";
import { startHttpServer } from "./http-server";

const KEY = randomApiKey();
let server: Awaited<ReturnType<typeof startHttpServer>>;
let sim: MaasSimulator;

before(async () => {
  process.env.FD_TEST_MAAS_KEY = KEY;
  sim = await startMaasSimulator({ machines: [{ system_id: "m1", hostname: "node-1" }, { system_id: "m2", hostname: "node-2" }], keys: [{ key: KEY, username: "ops" }], timings: { deployMs: 50 } });
  sim.inject({ type: "stuck-deploying", machine: "m1" });
  sim.inject({ type: "stuck-deploying", machine: "m2" });
  server = await startHttpServer({ FLIGHTDECK_ENV_ALLOW: "FD_TEST_MAAS_KEY" });
  const site = `kind: maas
api_version: v1beta1
spec: {name: dc1, url: "${sim.url}", api_key: "env:FD_TEST_MAAS_KEY", poll_interval: 20ms}
---
kind: inventory
api_version: v1beta1
spec:
  hosts:
  - {name: node-1, data: {role: db, maas: {region: dc1, system_id: m1}}}
  - {name: node-2, data: {role: web, maas: {region: dc1, system_id: m2}}}
  groups: [{name: all, data: {ntp: [10.0.0.1], api_token: "env:FD_TEST_MAAS_KEY"}}]
---
kind: blueprint
api_version: v1beta1
spec:
  name: metal
  steps:
  - {name: deploy, action: maas.deploy, params: {user_data: "#!/bin/sh\\ncurl -H 'Authorization: Bearer {{ introspect.token }}' {{ introspect.url }}\\n"}}
---
kind: deployment
api_version: v1beta1
spec: {name: d, stages: [{name: metal, operations: [{blueprints: [metal], targets: [all]}]}]}
`;
  await server.services.sites.create({ slug: "metal", name: "Metal", files: [{ path: "site.yml", content: site }], author: "t", message: "m" });
  await server.services.sites.setSettings("metal", { approvalsRequired: 0 });
});
after(async () => {
  await server.close();
  await sim.close();
});

function tokenOf(systemId: string): { url: string; token: string } {
  const script = Buffer.from(sim.userData(systemId)!, "base64").toString();
  const m = /Bearer (fdi_[A-Za-z0-9_-]+)' (\S+)/.exec(script);
  assert.ok(m, script);
  return { token: m[1]!, url: m[2]! };
}

test("each deploying machine reads its own variables, without secrets, until the run ends", async () => {
  const id = await server.services.runner.launch({ site: "metal", deployment: "d", requestedBy: "t" });
  await Promise.all([sim.waitForStatus("m1", "Deploying"), sim.waitForStatus("m2", "Deploying")]).catch(async (e: Error) => {
    throw new Error(`${e.message}; run events: ${JSON.stringify(await server.services.runs.events(id))}`);
  });
  const one = tokenOf("m1");
  const two = tokenOf("m2");
  assert.notEqual(one.token, two.token, "one token per machine");
  assert.match(one.url, /\/api\/v1\/introspect$/);

  const read = (token: string) => new Client(server.url, "machine", token).rest("GET", "/api/v1/introspect");
  const mine = await read(one.token);
  assert.equal(mine.status, 200);
  const body = mine.body as { host: string; vars: Record<string, unknown>; withheld: string[]; maas: { system_id: string }; run: number };
  assert.equal(body.host, "node-1");
  assert.equal(body.run, id);
  assert.equal(body.vars.role, "db");
  assert.deepEqual(body.vars.ntp, ["10.0.0.1"]);
  assert.equal(body.vars.api_token, undefined, "secret references are withheld");
  assert.deepEqual(body.withheld, ["api_token"]);
  assert.equal(body.maas.system_id, "m1");
  assert.ok(!JSON.stringify(body).includes(KEY), "no secret value");
  assert.equal(((await read(two.token)).body as { host: string }).host, "node-2", "the other token sees only its own host");

  // Neither an API-style token nor a forged one opens it.
  assert.equal((await read("fdi_" + "A".repeat(43))).status, 401);
  assert.equal((await new Client(server.url, "anon").rest("GET", "/api/v1/introspect")).status, 401);

  await server.services.runner.cancel(id, "t");
  assert.equal(await server.services.runner.done(id), "cancelled");
  assert.equal((await read(one.token)).status, 401, "tokens end with the run");
});

test("a region that allows it gives deploying machines their secret values too", async () => {
  const { files } = await server.services.sites.files("metal");
  const content = files[0]!.content.replace("poll_interval: 20ms}", "poll_interval: 20ms, introspection: {secrets: true}}");
  await server.services.sites.save("metal", { baseRevision: 1, changes: [{ path: "site.yml", content }], author: "t", message: "allow" });
  for (const m of ["m1", "m2"]) sim.inject({ type: "status", machine: m, status: "Ready", owner: null });
  const id = await server.services.runner.launch({ site: "metal", deployment: "d", requestedBy: "t" });
  await sim.waitForStatus("m1", "Deploying");
  const reply = await new Client(server.url, "machine", tokenOf("m1").token).rest("GET", "/api/v1/introspect");
  const body = reply.body as { vars: Record<string, unknown>; withheld: string[] };
  assert.equal(body.vars.api_token, KEY);
  assert.deepEqual(body.withheld, []);
  await server.services.runner.cancel(id, "t");
  await server.services.runner.done(id);
});
