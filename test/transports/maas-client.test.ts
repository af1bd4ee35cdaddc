/**
 * The MAAS client against the simulator: the OAuth header it sends (the simulator checks it as MAAS does), every
 * error status it handles and how it reports it, 503 retries, connection failures, and that no error ever
 * carries the key's secret.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { after, before, describe, test } from "node:test";
import {
  authorizationHeader,
  isFailedStatus,
  MAAS_STATUS,
  MAAS_STATUS_CODE,
  MaasApiError,
  MaasClient,
  MaasConnectionError,
  parseApiKey,
  type RetryNotice,
} from "../../server/transports/maas";
import { randomApiKey, startMaasSimulator, type MaasSimulator } from "../maas/simulator";

const T = { timeout: 10_000 };
const ADMIN = randomApiKey();
const USER = randomApiKey();
/** A secret that needs percent-encoding, to show the signature is encoded the way MAAS decodes it. */
const ODD = "oddconsumer0000000:oddtoken0000000000:s3cr&t+/=~x*'(y)!";
const secretOf = (key: string) => key.split(":")[2] ?? "";
const SECRETS = [ADMIN, USER, ODD].map(secretOf);

/** Every error a test saw, for the final check that none carries a secret. */
const seen: unknown[] = [];

async function rejects<E>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    seen.push(error);
    assert.ok(error instanceof type, `expected ${type.name}, got ${inspect(error)}`);
    return error;
  }
  assert.fail(`expected a ${type.name}`);
}

describe("MAAS client", () => {
  let sim: MaasSimulator;
  let user: MaasClient;
  let admin: MaasClient;

  before(async () => {
    sim = await startMaasSimulator({
      machines: [
        { system_id: "node01", hostname: "node-1", tag_names: ["gpu"], zone: "z1" },
        { system_id: "node02", hostname: "node-2", status: "Deployed", owner: "bob" },
        { system_id: "node03", hostname: "node-3", status: "New" },
        { system_id: "node04", hostname: "node-4" },
        { system_id: "node05", hostname: "node-5", status: "Deployed", owner: "bob" },
      ],
      keys: [
        { key: ADMIN, username: "alice", admin: true },
        { key: USER, username: "bob" },
        { key: ODD, username: "odd" },
      ],
      zones: ["default", "z1", "empty"],
      timings: { deployMs: 30, releaseMs: 10, commissionMs: 20 },
    });
    user = new MaasClient({ url: sim.url, apiKey: USER, region: "dc1", keySource: "secret maas.dc1_key", retry: { baseDelayMs: 1, maxDelayMs: 20 } });
    admin = new MaasClient({ url: `${sim.url}/`, apiKey: ADMIN, region: "dc1" });
  });
  after(async () => {
    await sim?.close();
  });

  describe("keys and the header", () => {
    test("parseApiKey takes exactly three non-empty parts and never quotes the key", () => {
      assert.deepEqual(parseApiKey("ck:tk:ts\n"), { consumerKey: "ck", tokenKey: "tk", tokenSecret: "ts" });
      for (const bad of ["ck:topsecretvalue", "ck:tk:topsecretvalue:extra", "topsecretvalue", "ck::topsecretvalue", "::"]) {
        const error = (() => {
          try {
            parseApiKey(bad);
          } catch (e) {
            return e as Error;
          }
          return assert.fail(`accepted ${bad}`);
        })();
        assert.match(error.message, /consumer_key:token_key:token_secret/);
        assert.ok(!error.message.includes("topsecretvalue"), error.message);
      }
      assert.match((() => { try { parseApiKey("a:b"); } catch (e) { return (e as Error).message; } return ""; })(), /has 2 parts/);
      assert.match((() => { try { parseApiKey("a::c"); } catch (e) { return (e as Error).message; } return ""; })(), /token_key is empty/);
    });

    test("a client with a malformed key names the region and where the key came from", () => {
      assert.throws(
        () => new MaasClient({ url: sim.url, apiKey: "abc:topsecretvalue", region: "dc1", keySource: "secret maas.dc1_key" }),
        (e: Error) => e.message.startsWith("MAAS region dc1: ") && e.message.includes("check secret maas.dc1_key") && !e.message.includes("topsecretvalue"),
      );
      assert.throws(() => new MaasClient({ url: "not a url", apiKey: USER, region: "dc1" }), /MAAS region dc1: "not a url" is not a URL/);
    });

    test("every request carries a PLAINTEXT header with a fresh nonce and timestamp, as MAAS checks it", T, async () => {
      const start = sim.requests().length;
      await user.listMachines();
      await user.getMachine("node01");
      const [a, b] = sim.requests().slice(start).map((r) => r.authorization ?? "");
      const [ck, tk, ts] = USER.split(":");
      const shape = new RegExp(
        `^OAuth realm="MAAS API", oauth_consumer_key="${ck}", oauth_token="${tk}", oauth_signature_method="PLAINTEXT", oauth_signature="%26${ts}", oauth_timestamp="(\\d+)", oauth_nonce="([0-9a-f]{32})", oauth_version="1.0"$`,
      );
      const ma = shape.exec(a ?? "");
      const mb = shape.exec(b ?? "");
      assert.ok(ma && mb, `unexpected header: ${a}`);
      assert.notEqual(ma[2], mb[2], "a fresh nonce per request");
      assert.ok(Math.abs(Number(ma[1]) - Date.now() / 1000) < 5, "the current time in unix seconds");
    });

    test("the signature percent-encodes the secret (the simulator decodes and compares it as MAAS does)", T, async () => {
      const odd = new MaasClient({ url: sim.url, apiKey: ODD, region: "dc1" });
      const machines = await odd.listMachines();
      assert.equal(machines.length, 5);
      const header = authorizationHeader(parseApiKey(ODD), { timestamp: 1, nonce: "n" });
      // escape("&" + escape(secret)), as oauthlib sends it and python-oauth checks it.
      assert.match(header, /oauth_signature="%26s3cr%2526t%252B%252F%253D~x%252A%2527%2528y%2529%2521"/);
    });

    test("version/ is read without the key", T, async () => {
      const bad = new MaasClient({ url: sim.url, apiKey: "no:such:key", region: "dc1" });
      const v = await bad.version();
      assert.equal(v.version, "3.5.0");
      assert.equal(sim.requests().at(-1)?.authorization, undefined);
    });
  });

  describe("reading", () => {
    test("machines are typed and keep fields the schema does not name", T, async () => {
      const m = await user.getMachine("node01");
      assert.equal(m.status, MAAS_STATUS_CODE.Ready);
      assert.equal(m.status_name, "Ready");
      assert.equal(m.zone?.name, "z1");
      assert.ok(Array.isArray((m as Record<string, unknown>).interface_set), "passthrough of interface_set");
    });

    test("list filters: repeated values and status keys", T, async () => {
      const two = await user.listMachines({ hostname: ["node-1", "node-3"] });
      assert.deepEqual(two.map((m) => m.hostname).sort(), ["node-1", "node-3"]);
      const deployed = await user.listMachines({ status: "deployed" });
      assert.deepEqual(deployed.map((m) => m.system_id).sort(), ["node02", "node05"]);
      const q = new URL(sim.requests().at(-1)?.url ?? "", "http://x");
      assert.deepEqual(q.searchParams.getAll("status"), ["deployed"]);
    });

    test("the status table and the failure rule (B5)", () => {
      assert.equal(MAAS_STATUS[6], "Deployed");
      assert.equal(MAAS_STATUS[11], "Failed deployment");
      assert.equal(MAAS_STATUS[13], "Releasing failed");
      assert.equal(MAAS_STATUS_CODE.Broken, 8);
      assert.equal(Object.keys(MAAS_STATUS).length, 23);
      for (const failed of ["Failed deployment", "Failed commissioning", "Failed to enter rescue mode", "Broken", "Releasing failed"]) assert.ok(isFailedStatus(failed), failed);
      for (const fine of ["Deployed", "Deploying", "Ready", "Releasing", "Allocated"]) assert.ok(!isFailedStatus(fine), fine);
    });
  });

  describe("operations", () => {
    test("deploy base64-encodes user_data and sends list parameters repeated", T, async () => {
      const script = "#!/bin/sh\necho 'héllo'\n";
      const m = await user.deploy("node04", { user_data: script, distro_series: "22.04", comment: "fd" });
      assert.equal(m.status_name, "Deploying");
      assert.equal(Buffer.from(sim.userData("node04") ?? "", "base64").toString("utf8"), script);
      await sim.waitForStatus("node04", "Deployed");
      assert.equal((await user.getMachine("node04")).distro_series, "jammy");
      await user.release("node04", { comment: "done" });
      await sim.waitForStatus("node04", "Ready");
      const allocated = await user.allocate({ tags: ["gpu"], zone: "z1", dry_run: true });
      assert.equal(allocated.system_id, "node01");
      const sent = sim.requests().at(-1)?.form ?? [];
      assert.deepEqual(sent, [["tags", "gpu"], ["zone", "z1"], ["dry_run", "true"]]);
    });

    test("power off, power state, commission", T, async () => {
      const off = await user.powerOff("node05", { stop_mode: "soft" });
      assert.equal(off?.power_state, "off");
      assert.equal(await user.queryPowerState("node05"), "off");
      const m = await admin.commission("node03", { enable_ssh: true, commissioning_scripts: ["a", "b"] });
      assert.equal(m.status_name, "Commissioning");
      assert.deepEqual(sim.requests().at(-1)?.form, [["enable_ssh", "true"], ["commissioning_scripts", "a,b"]]);
      await sim.waitForStatus("node03", "Ready");
      // Leave node-3 New again for the release test below.
      sim.inject({ type: "status", machine: "node03", status: "New" });
    });

    test("events are newest first; lastEventId is the newest of the machine's", T, async () => {
      const page = await user.events({ id: "node04", level: "AUDIT", limit: 1000 });
      const ids = page.events.map((e) => e.id);
      assert.ok(ids.length > 5);
      assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
      assert.equal(await user.lastEventId("node04"), ids[0]);
      assert.equal(await user.lastEventId("node-with-no-events"), 0);
    });
  });

  describe("errors", () => {
    test("400: an unknown op quotes MAAS's text", T, async () => {
      const e = await rejects(user.request({ method: "POST", path: "machines/", op: "foo", operation: "foo" }), MaasApiError);
      assert.equal(e.status, 400);
      assert.equal(e.serverMessage, "Unrecognised signature: method=POST op=foo");
      assert.equal(e.message, "MAAS region dc1 rejected foo (Unrecognised signature: method=POST op=foo): check the parameters");
    });

    test("400: an unknown zone gives field errors", T, async () => {
      const e = await rejects(user.allocate({ zone: "nowhere" }), MaasApiError);
      assert.equal(e.status, 400);
      assert.deepEqual(e.fieldErrors, { zone: ["No such zone: 'nowhere'."] });
      assert.match(e.message, /rejected allocate \(zone: No such zone: 'nowhere'\.\)/);
    });

    test("400: bad events queries", T, async () => {
      const limit = await rejects(user.events({ limit: 5000 }), MaasApiError);
      assert.equal(limit.status, 400);
      assert.match(limit.message, /Requested number of events 5000 is greater than limit: 1000/);
      const level = await rejects(user.request({ method: "GET", path: "events/", op: "query", params: { level: "LOUD" }, operation: "query events" }), MaasApiError);
      assert.equal(level.serverMessage, "Unrecognised log level: LOUD");
      const both = await rejects(user.events({ after: 1, before: 9 }), MaasApiError);
      assert.equal(both.status, 400);
    });

    test("401: an unknown consumer and a bad token name the region and the key's source", T, async () => {
      const [, tk, ts] = USER.split(":");
      const consumer = new MaasClient({ url: sim.url, apiKey: `nosuchconsumer:${tk}:${ts}`, region: "dc1", keySource: "secret maas.dc1_key" });
      const e1 = await rejects(consumer.listMachines(), MaasApiError);
      assert.equal(e1.status, 401);
      assert.equal(e1.message, "the API key for MAAS region dc1 was refused (Authorization Error: Invalid API key.) during list machines: check secret maas.dc1_key");
      const [ck] = USER.split(":");
      const token = new MaasClient({ url: sim.url, apiKey: `${ck}:badtoken:${ts}`, region: "dc1", keySource: "secret maas.dc1_key" });
      const e2 = await rejects(token.getMachine("node01"), MaasApiError);
      assert.equal(e2.status, 401);
      assert.match(e2.message, /^the API key for MAAS region dc1 was refused \(Authorization Error: 'Invalid access token: badtoken'\) during read machine of machine node01: check secret maas\.dc1_key$/);
    });

    test("401: a wrong secret; MAAS's answer states the expected one, and the client hides it", T, async () => {
      const [ck, tk] = USER.split(":");
      const wrong = new MaasClient({ url: sim.url, apiKey: `${ck}:${tk}:notthesecret`, region: "dc1" });
      const e = await rejects(wrong.listMachines(), MaasApiError);
      assert.equal(e.status, 401);
      assert.match(e.message, /Invalid signature\. Expected signature base string: \[redacted\]/);
      assert.ok(!e.message.includes(secretOf(USER)));
      assert.ok(!e.message.includes("notthesecret"));
    });

    test("403: commission with a non-admin key says it needs an admin key", T, async () => {
      const e = await rejects(user.commission("node01"), MaasApiError);
      assert.equal(e.status, 403);
      assert.equal(e.message, "MAAS region dc1 denied commission of machine node-1 (node01): the API key's user lacks permission (commissioning needs an admin key); use a key with the right permissions in secret maas.dc1_key");
    });

    test("404: no such machine", T, async () => {
      const e = await rejects(user.deploy("ghost1"), MaasApiError);
      assert.equal(e.status, 404);
      assert.equal(e.serverMessage, "No Machine matches the given query.");
      assert.match(e.message, /^MAAS region dc1 has no machine ghost1 \(deploy: "No Machine matches the given query\."\): check the system_id/);
    });

    test("409: no machine available, in each of MAAS's forms", T, async () => {
      const byId = await rejects(user.allocate({ system_id: "node02" }), MaasApiError);
      assert.equal(byId.status, 409);
      assert.equal(byId.serverMessage, "No machine with system ID node02 available.");
      assert.match(byId.message, /^MAAS region dc1 refused allocate of machine node-2 \(node02\): "No machine with system ID node02 available\."; free a matching machine/);
      const byName = await rejects(user.allocate({ name: "node-9" }), MaasApiError);
      assert.equal(byName.serverMessage, `No available machine matches constraints: [('name', ['node-9'])] (resolved to "name=node-9")`);
      const s = await startMaasSimulator({ machines: [{ hostname: "busy", status: "Deployed" }], keys: [{ key: USER, username: "bob" }] });
      try {
        const none = await rejects(new MaasClient({ url: s.url, apiKey: USER, region: "dc2" }).allocate(), MaasApiError);
        assert.equal(none.serverMessage, "No machine available.");
        assert.match(none.message, /^MAAS region dc2 refused allocate: "No machine available\."/);
      } finally {
        await s.close();
      }
    });

    test("409: deploy and release from a wrong state", T, async () => {
      await user.getMachine("node02");
      const deploy = await rejects(user.deploy("node02"), MaasApiError);
      assert.equal(deploy.status, 409);
      assert.equal(deploy.message, `MAAS region dc1 refused deploy of machine node-2 (node02): "Can't deploy a machine that is in the 'Deployed' state"; a machine can be deployed only from Ready or Allocated: release it first, or wait for its current action`);
      const release = await rejects(admin.release("node03"), MaasApiError);
      assert.equal(release.status, 409);
      assert.equal(release.serverMessage, "Machine cannot be released in its current state ('New').");
      const powerOn = await rejects(admin.powerOn("node03"), MaasApiError);
      assert.equal(powerOn.serverMessage, "Can't start node: it hasn't been allocated.");
    });

    test("503: a burst is retried with backoff, then succeeds", T, async () => {
      const notices: RetryNotice[] = [];
      const client = new MaasClient({ url: sim.url, apiKey: USER, region: "dc1", retry: { attempts: 4, baseDelayMs: 2, maxDelayMs: 50 }, onRetry: (n) => notices.push(n) });
      const start = sim.requests().length;
      sim.inject({ type: "unavailable", count: 2, body: "region restarting" });
      const m = await client.getMachine("node01");
      assert.equal(m.hostname, "node-1");
      assert.deepEqual(sim.requests().slice(start).map((r) => r.status), [503, 503, 200]);
      assert.deepEqual(notices.map((n) => [n.attempt, n.operation, n.serverMessage]), [[1, "read machine", "region restarting"], [2, "read machine", "region restarting"]]);
      assert.ok(notices.every((n) => n.delayMs <= 50));
    });

    test("503: Retry-After is honoured (capped), and the wait is abortable", T, async () => {
      const controller = new AbortController();
      const reason = new Error("cancelled by the operator");
      const notices: RetryNotice[] = [];
      const client = new MaasClient({
        url: sim.url,
        apiKey: USER,
        region: "dc1",
        retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 60_000 },
        onRetry: (n) => {
          notices.push(n);
          controller.abort(reason);
        },
      });
      sim.inject({ type: "unavailable", count: 1, retryAfter: 7 });
      const started = performance.now();
      await assert.rejects(client.getMachine("node01", { signal: controller.signal }), (e) => e === reason);
      assert.ok(performance.now() - started < 2_000, "the 7 s wait ended with the abort");
      assert.equal(notices[0]?.delayMs, 7_000);
      const capped: RetryNotice[] = [];
      const short = new MaasClient({ url: sim.url, apiKey: USER, region: "dc1", retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 }, onRetry: (n) => capped.push(n) });
      sim.inject({ type: "unavailable", count: 1, retryAfter: 7 });
      await short.getMachine("node01");
      assert.equal(capped[0]?.delayMs, 5);
    });

    test("503: persistent unavailability ends with a clear error after the bounded attempts", T, async () => {
      sim.inject({ type: "unavailable", count: 3 });
      const client = new MaasClient({ url: sim.url, apiKey: USER, region: "dc1", retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
      const start = sim.requests().length;
      const e = await rejects(client.getMachine("node01"), MaasApiError);
      assert.equal(e.status, 503);
      assert.equal(e.attempts, 3);
      assert.equal(sim.requests().length - start, 3);
      // A fresh client has not seen node01's hostname yet: the system_id alone names it.
      assert.equal(e.message, `MAAS region dc1 at ${sim.url}/ is unavailable: read machine of machine node01 got 503 Service Unavailable 3 times ("Service Unavailable"); try again later`);
    });

    test("connection refused names the region URL", T, async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
      const { port } = probe.address() as AddressInfo;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const client = new MaasClient({ url: `http://127.0.0.1:${port}/MAAS`, apiKey: USER, region: "dc1" });
      const e = await rejects(client.deploy("node01"), MaasConnectionError);
      assert.equal(e.reason, "connection refused");
      assert.equal(e.message, `cannot reach MAAS region dc1 at http://127.0.0.1:${port}/MAAS/ (connection refused) for deploy of machine node01: check the region URL and that MAAS is running there`);
    });

    test("a region that does not answer times out with the region URL", T, async () => {
      sim.inject({ type: "hang", count: 1 });
      const client = new MaasClient({ url: sim.url, apiKey: USER, region: "dc1", requestTimeoutMs: 80 });
      const e = await rejects(client.listMachines(), MaasConnectionError);
      assert.equal(e.reason, "no answer within 80 ms");
      assert.ok(e.message.includes(`${sim.url}/`));
    });

    test("an aborted call rejects with the caller's reason", T, async () => {
      const controller = new AbortController();
      const reason = new Error("step cancelled");
      controller.abort(reason);
      await assert.rejects(user.listMachines({}, { signal: controller.signal }), (e) => e === reason);
    });
  });

  test("no error seen in this file carries a key's secret or an Authorization header", () => {
    assert.ok(seen.length >= 15, `only ${seen.length} errors were collected`);
    for (const error of seen) {
      const text = `${String(error)}\n${inspect(error, { depth: 5 })}\n${JSON.stringify(error)}`;
      for (const secret of [...SECRETS, "notthesecret"]) assert.ok(!text.includes(secret), `an error carries a secret: ${text}`);
      assert.ok(!/oauth_signature|Authorization:/i.test(text), `an error carries the header: ${text}`);
    }
  });
});
