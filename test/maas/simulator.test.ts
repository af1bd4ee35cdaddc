/**
 * The simulator against the spec (B1-B7), over raw HTTP with hand-made OAuth headers, so that its fidelity does
 * not rest on the client it is there to test.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { randomApiKey, startMaasSimulator, type MaasSimulator } from "./simulator";

const T = { timeout: 10_000 };
const ADMIN = randomApiKey();
const USER = randomApiKey();
const OTHER = randomApiKey();

interface Answer {
  status: number;
  type: string;
  text: string;
  headers: Headers;
  json(): unknown;
}

/** A header as gomaasapi writes it, with any field overridden or dropped (undefined). */
function header(key: string, override: Record<string, string | undefined> = {}): string {
  const [ck = "", tk = "", ts = ""] = key.split(":");
  const fields: Record<string, string | undefined> = {
    oauth_consumer_key: ck,
    oauth_token: tk,
    oauth_signature_method: "PLAINTEXT",
    oauth_signature: `%26${encodeURIComponent(ts)}`,
    oauth_timestamp: String(Math.floor(Date.now() / 1000)),
    oauth_nonce: randomBytes(8).toString("hex"),
    oauth_version: "1.0",
    ...override,
  };
  const parts = Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}="${v}"`);
  return `OAuth realm="MAAS API", ${parts.join(", ")}`;
}

async function call(sim: MaasSimulator, method: "GET" | "POST", path: string, options: { key?: string; auth?: string; form?: [string, string][] } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  const auth = options.auth ?? (options.key ? header(options.key) : undefined);
  if (auth) headers.Authorization = auth;
  let body: string | undefined;
  if (options.form) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(options.form).toString();
  }
  const res = await fetch(`${sim.url}/api/2.0/${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type") ?? "", text, headers: res.headers, json: () => JSON.parse(text) as unknown };
}

function field<T = unknown>(value: unknown, name: string): T {
  assert.ok(value && typeof value === "object", `expected an object, got ${JSON.stringify(value)}`);
  return (value as Record<string, unknown>)[name] as T;
}

describe("MAAS simulator", () => {
  let sim: MaasSimulator;
  const id = { ready: "", gpu: "", deployed: "", fresh: "", manual: "", owned: "" };

  before(async () => {
    sim = await startMaasSimulator({
      machines: [
        { system_id: "aaa001", hostname: "ready-1", zone: "z1", cpu_count: 8, memory: 16384 },
        { system_id: "aaa002", hostname: "gpu-1", tag_names: ["gpu", "fast"], zone: "z2" },
        { system_id: "aaa003", hostname: "done-1", status: "Deployed", owner: "alice" },
        { system_id: "aaa004", hostname: "new-1", status: "New" },
        { system_id: "aaa005", hostname: "manual-1", status: "Deployed", power_type: "manual", owner: "bob" },
        { system_id: "aaa006", hostname: "bobs-1", status: "Allocated", owner: "bob" },
      ],
      keys: [
        { key: ADMIN, username: "alice", admin: true },
        { key: USER, username: "bob" },
        { key: OTHER, username: "carol" },
      ],
      tags: ["gpu", "fast", "unused"],
      zones: ["default", "z1", "z2", "empty"],
      timings: { deployMs: 30, releaseMs: 10, commissionMs: 20 },
    });
    Object.assign(id, { ready: "aaa001", gpu: "aaa002", deployed: "aaa003", fresh: "aaa004", manual: "aaa005", owned: "aaa006" });
  });
  after(async () => {
    await sim?.close();
  });

  describe("URLs, dispatch and auth (B1, B2)", () => {
    test("version/ needs no key and answers JSON with X-MAAS-API-Hash", T, async () => {
      const r = await call(sim, "GET", "version/");
      assert.equal(r.status, 200);
      assert.equal(r.type, "application/json; charset=utf-8");
      assert.match(r.headers.get("x-maas-api-hash") ?? "", /^[0-9a-f]{40}$/);
      assert.deepEqual(Object.keys(r.json() as object).sort(), ["capabilities", "subversion", "version"]);
      assert.equal(field(r.json(), "subversion"), "");
    });

    test("anonymous GET machines/ is the anonymous handler's unrecognised signature", T, async () => {
      const r = await call(sim, "GET", "machines/");
      assert.equal(r.status, 400);
      assert.equal(r.type, "text/plain; charset=utf-8");
      assert.equal(r.text, "Unrecognised signature: method=GET op=None");
    });

    test("an unknown op is a text/plain 400 naming method and op, whether op is in the URL or the body", T, async () => {
      const inUrl = await call(sim, "POST", "machines/?op=foo", { key: USER });
      assert.equal(inUrl.status, 400);
      assert.equal(inUrl.type, "text/plain; charset=utf-8");
      assert.equal(inUrl.text, "Unrecognised signature: method=POST op=foo");
      const inBody = await call(sim, "POST", "machines/", { key: USER, form: [["op", "bar"]] });
      assert.equal(inBody.text, "Unrecognised signature: method=POST op=bar");
      const plainPost = await call(sim, "POST", `machines/${id.ready}/`, { key: USER });
      assert.equal(plainPost.text, "Unrecognised signature: method=POST op=None");
    });

    test("trailing slashes are required", T, async () => {
      assert.equal((await call(sim, "GET", "machines", { key: USER })).status, 404);
      assert.equal((await call(sim, "GET", `machines/${id.ready}`, { key: USER })).status, 404);
    });

    test("a non-integer timestamp is a 400 'Bad Request: …' naming the parameter", T, async () => {
      const r = await call(sim, "GET", "machines/", { auth: header(USER, { oauth_timestamp: "soon" }) });
      assert.equal(r.status, 400);
      assert.equal(r.text, "'Bad Request: the following problems were found among the auth params: oauth_timestamp has an unexpected type'");
    });

    test("an unknown consumer is a 401 'Invalid API key.' with an OAuth challenge", T, async () => {
      const [, tk = "", ts = ""] = USER.split(":");
      const r = await call(sim, "GET", "machines/", { auth: header(`nosuchconsumer:${tk}:${ts}`) });
      assert.equal(r.status, 401);
      assert.equal(r.text, "Authorization Error: Invalid API key.");
      assert.match(r.headers.get("www-authenticate") ?? "", /^OAuth realm=/);
    });

    test("a bad token is a 401 quoting 'Invalid access token: <key>'", T, async () => {
      const [ck = "", , ts = ""] = USER.split(":");
      const r = await call(sim, "GET", "machines/", { auth: header(`${ck}:badtoken:${ts}`) });
      assert.equal(r.status, 401);
      assert.equal(r.text, "Authorization Error: 'Invalid access token: badtoken'");
      assert.match(r.headers.get("www-authenticate") ?? "", /^OAuth realm=/);
    });

    test("a wrong secret, a reused nonce, an old timestamp and a missing parameter are refused", T, async () => {
      const [ck = "", tk = ""] = USER.split(":");
      const wrong = await call(sim, "GET", "machines/", { auth: header(`${ck}:${tk}:wrongsecret`) });
      assert.equal(wrong.status, 401);
      assert.match(wrong.text, /^Authorization Error: 'Invalid signature\./);
      const nonce = randomBytes(8).toString("hex");
      assert.equal((await call(sim, "GET", "machines/", { auth: header(USER, { oauth_nonce: nonce }) })).status, 200);
      const replay = await call(sim, "GET", "machines/", { auth: header(USER, { oauth_nonce: nonce }) });
      assert.equal(replay.status, 401);
      assert.equal(replay.text, `Authorization Error: 'Nonce already used: ${nonce}'`);
      const old = await call(sim, "GET", "machines/", { auth: header(USER, { oauth_timestamp: String(Math.floor(Date.now() / 1000) - 3600) }) });
      assert.equal(old.status, 401);
      assert.match(old.text, /Expired timestamp: given \d+ and now \d+ has a greater difference than threshold 300/);
      // Without a nonce the request is not an OAuth request at all: the anonymous handler answers.
      const noNonce = await call(sim, "GET", "machines/", { auth: header(USER, { oauth_nonce: undefined }) });
      assert.equal(noNonce.text, "Unrecognised signature: method=GET op=None");
    });

    test("OAuth parameters are accepted in the query string too", T, async () => {
      const [ck = "", tk = "", ts = ""] = USER.split(":");
      const q = new URLSearchParams({ oauth_consumer_key: ck, oauth_token: tk, oauth_signature_method: "PLAINTEXT", oauth_signature: `&${ts}`, oauth_timestamp: String(Math.floor(Date.now() / 1000)), oauth_nonce: randomBytes(8).toString("hex") });
      const r = await call(sim, "GET", `machines/?${q.toString()}`);
      assert.equal(r.status, 200);
    });
  });

  describe("machines (B3, B4, B5)", () => {
    test("a machine object has the B4 fields", T, async () => {
      const r = await call(sim, "GET", `machines/${id.ready}/`, { key: USER });
      assert.equal(r.status, 200);
      const m = r.json() as Record<string, unknown>;
      for (const f of ["system_id", "hostname", "fqdn", "description", "owner", "status", "status_name", "status_message", "status_action", "power_state", "power_type", "ip_addresses", "osystem", "distro_series", "hwe_kernel", "architecture", "cpu_count", "memory", "storage", "tag_names", "zone", "pool", "domain", "locked", "netboot", "error_description", "interface_set", "boot_interface", "node_type", "node_type_name", "resource_uri"]) {
        assert.ok(f in m, `missing ${f}`);
      }
      assert.equal(m.status, 4);
      assert.equal(m.status_name, "Ready");
      assert.equal(m.fqdn, "ready-1.maas");
      assert.equal(m.resource_uri, `/MAAS/api/2.0/machines/${id.ready}/`);
      assert.deepEqual(Object.keys(field<object>(m, "zone")).sort(), ["description", "id", "name", "resource_uri"]);
      assert.deepEqual(Object.keys(field<object>(m, "domain")).sort(), ["authoritative", "id", "is_default", "name", "resource_record_count", "resource_uri", "ttl"]);
    });

    test("an unknown machine is a text/plain 404", T, async () => {
      const r = await call(sim, "GET", "machines/nosuch/", { key: USER });
      assert.equal(r.status, 404);
      assert.equal(r.type, "text/plain; charset=utf-8");
      assert.equal(r.text, "No Machine matches the given query.");
    });

    test("machines/ filters are repeatable; status filters by the lower-case key", T, async () => {
      const both = (await call(sim, "GET", "machines/?hostname=ready-1&hostname=gpu-1", { key: USER })).json() as { hostname: string }[];
      assert.deepEqual(both.map((m) => m.hostname).sort(), ["gpu-1", "ready-1"]);
      const deployed = (await call(sim, "GET", "machines/?status=deployed", { key: USER })).json() as { system_id: string }[];
      assert.deepEqual(deployed.map((m) => m.system_id).sort(), [id.deployed, id.manual]);
      const zone = (await call(sim, "GET", "machines/?zone=z2", { key: USER })).json() as { hostname: string }[];
      assert.deepEqual(zone.map((m) => m.hostname), ["gpu-1"]);
    });

    test("allocate: unknown zone, tag and pool are 400s with JSON field errors", T, async () => {
      const zone = await call(sim, "POST", "machines/?op=allocate", { key: USER, form: [["zone", "nowhere"]] });
      assert.equal(zone.status, 400);
      assert.equal(zone.type, "application/json; charset=utf-8");
      assert.deepEqual(zone.json(), { zone: ["No such zone: 'nowhere'."] });
      const tags = await call(sim, "POST", "machines/?op=allocate", { key: USER, form: [["tags", "gpu"], ["tags", "shiny"]] });
      assert.deepEqual(tags.json(), { tags: ["No such tag(s): 'shiny'."] });
      const pool = await call(sim, "POST", "machines/?op=allocate", { key: USER, form: [["pool", "p9"]] });
      assert.deepEqual(pool.json(), { pool: ["No such pool: 'p9'."] });
    });

    test("allocate: the three 409 messages", T, async () => {
      const bySystemId = await call(sim, "POST", "machines/?op=allocate", { key: USER, form: [["system_id", id.deployed]] });
      assert.equal(bySystemId.status, 409);
      assert.equal(bySystemId.type, "text/plain; charset=utf-8");
      assert.equal(bySystemId.text, `No machine with system ID ${id.deployed} available.`);
      const byName = await call(sim, "POST", "machines/?op=allocate", { key: USER, form: [["name", "x"], ["agent_name", "fd"]] });
      assert.equal(byName.text, `No available machine matches constraints: [('name', ['x'])] (resolved to "name=x")`);
      const byTags = await call(sim, "POST", "machines/?op=allocate", { key: USER, form: [["tags", "gpu"], ["tags", "unused"], ["cpu_count", "2"]] });
      assert.equal(byTags.text, `No available machine matches constraints: [('tags', ['gpu', 'unused']), ('cpu_count', ['2'])] (resolved to "cpu_count=2.0 tags=gpu,unused")`);

      // No constraints at all: only once nothing is Ready.
      const extra = await startMaasSimulator({ machines: [{ hostname: "only", status: "Deployed" }], keys: [{ key: USER, username: "bob" }] });
      try {
        const none = await call(extra, "POST", "machines/?op=allocate", { key: USER });
        assert.equal(none.status, 409);
        assert.equal(none.text, "No machine available.");
      } finally {
        await extra.close();
      }
    });

    test("allocate matches every tag, cpu_count and mem, and moves the machine to Allocated for the caller", T, async () => {
      const dry = await call(sim, "POST", "machines/?op=allocate", { key: USER, form: [["tags", "gpu"], ["tags", "fast"], ["dry_run", "true"]] });
      assert.equal(field(dry.json(), "system_id"), id.gpu);
      assert.equal(sim.machine(id.gpu).status_name, "Ready");
      const big = await call(sim, "POST", "machines/?op=allocate", { key: OTHER, form: [["cpu_count", "6"], ["mem", "12000"], ["agent_name", "fd-test"]] });
      assert.equal(big.status, 200);
      assert.equal(field(big.json(), "system_id"), id.ready);
      assert.equal(field(big.json(), "status_name"), "Allocated");
      assert.equal(field(big.json(), "owner"), "carol");
      const byAgent = (await call(sim, "GET", "machines/?agent_name=fd-test", { key: USER })).json() as unknown[];
      assert.equal(byAgent.length, 1);
      // Someone else's machine: a non-admin may not release it.
      const theirs = await call(sim, "POST", `machines/${id.ready}/?op=release`, { key: USER });
      assert.equal(theirs.status, 403);
      const released = await call(sim, "POST", `machines/${id.ready}/?op=release`, { key: OTHER });
      assert.equal(field(released.json(), "status_name"), "Releasing");
      await sim.waitForStatus(id.ready, "Ready");
      assert.equal(sim.machine(id.ready).owner, null);
    });

    test("deploy: a Ready machine is allocated first, then goes Deploying -> Deployed with MAAS's events", T, async () => {
      const r = await call(sim, "POST", `machines/${id.gpu}/?op=deploy`, { key: USER, form: [["distro_series", "ubuntu/jammy"], ["user_data", "IyEvYmluL3No"]] });
      assert.equal(r.status, 200);
      assert.equal(field(r.json(), "status_name"), "Deploying");
      assert.equal(field(r.json(), "status"), 9);
      assert.equal(field(r.json(), "power_state"), "on");
      assert.equal(sim.userData(id.gpu), "IyEvYmluL3No");
      await sim.waitForStatus(id.gpu, "Deployed");
      const types = sim.events(id.gpu).map((e) => `${e.type}${e.description ? `: ${e.description}` : ""}`);
      assert.deepEqual(types, [
        "User acquiring node",
        "Node changed status: From 'Ready' to 'Allocated'",
        "User starting deployment",
        "Node changed status: From 'Allocated' to 'Deploying'",
        "Node powered on",
        "Deploying: ubuntu/jammy",
        "Performing PXE boot",
        "Loading ephemeral",
        "Installing OS",
        "Configuring OS",
        "Rebooting",
        "Deployed: ubuntu/jammy",
        "Node changed status: From 'Deploying' to 'Deployed'",
      ]);
      const m = sim.machine(id.gpu);
      assert.equal(m.status, 6);
      assert.equal(m.owner, "bob");
      assert.equal(m.distro_series, "jammy");
      assert.ok((m.ip_addresses as string[]).length > 0);
    });

    test("deploy from a wrong state is a 409 naming the state", T, async () => {
      const r = await call(sim, "POST", `machines/${id.fresh}/?op=deploy`, { key: ADMIN });
      assert.equal(r.status, 409);
      assert.equal(r.type, "text/plain; charset=utf-8");
      assert.equal(r.text, "Can't deploy a machine that is in the 'New' state");
      const deployed = await call(sim, "POST", `machines/${id.deployed}/?op=deploy`, { key: ADMIN });
      assert.equal(deployed.text, "Can't deploy a machine that is in the 'Deployed' state");
    });

    test("release: a no-op when Ready, a 409 from a state it cannot leave", T, async () => {
      const extra = await startMaasSimulator({ machines: [{ system_id: "r1", hostname: "r1" }, { system_id: "n1", hostname: "n1", status: "New" }], keys: [{ key: ADMIN, username: "alice", admin: true }] });
      try {
        const before = extra.events("r1").length;
        const noop = await call(extra, "POST", "machines/r1/?op=release", { key: ADMIN });
        assert.equal(noop.status, 200);
        assert.equal(field(noop.json(), "status_name"), "Ready");
        assert.equal(extra.events("r1").length, before);
        const bad = await call(extra, "POST", "machines/n1/?op=release", { key: ADMIN });
        assert.equal(bad.status, 409);
        assert.equal(bad.text, "Machine cannot be released in its current state ('New').");
      } finally {
        await extra.close();
      }
    });

    test("power_on needs an owner; power_off answers null for a machine without power control; query_power_state", T, async () => {
      const unallocated = await call(sim, "POST", `machines/${id.fresh}/?op=power_on`, { key: ADMIN });
      assert.equal(unallocated.status, 409);
      assert.equal(unallocated.text, "Can't start node: it hasn't been allocated.");
      const manual = await call(sim, "POST", `machines/${id.manual}/?op=power_off`, { key: USER });
      assert.equal(manual.status, 200);
      assert.equal(manual.text, "null");
      const badMode = await call(sim, "POST", `machines/${id.deployed}/?op=power_off`, { key: ADMIN, form: [["stop_mode", "gentle"]] });
      assert.equal(badMode.status, 400);
      assert.deepEqual(Object.keys(badMode.json() as object), ["stop_mode"]);
      const off = await call(sim, "POST", `machines/${id.deployed}/?op=power_off`, { key: ADMIN, form: [["stop_mode", "soft"]] });
      assert.equal(field(off.json(), "power_state"), "off");
      const state = await call(sim, "GET", `machines/${id.deployed}/?op=query_power_state`, { key: ADMIN });
      assert.deepEqual(state.json(), { state: "off" });
      // Powering on an Allocated machine starts its deployment.
      const started = await call(sim, "POST", `machines/${id.owned}/?op=power_on`, { key: USER });
      assert.equal(field(started.json(), "status_name"), "Deploying");
      await sim.waitForStatus(id.owned, "Deployed");
    });

    test("commission needs an admin: 403 (empty body) for a user, Commissioning -> Ready for an admin", T, async () => {
      const denied = await call(sim, "POST", `machines/${id.fresh}/?op=commission`, { key: USER });
      assert.equal(denied.status, 403);
      assert.equal(denied.text, "");
      const ok = await call(sim, "POST", `machines/${id.fresh}/?op=commission`, { key: ADMIN, form: [["enable_ssh", "true"]] });
      assert.equal(field(ok.json(), "status_name"), "Commissioning");
      await sim.waitForStatus(id.fresh, "Ready");
    });
  });

  describe("events (B6)", () => {
    test("newest first, filtered by machine and level, paged with before/after", T, async () => {
      const all = (await call(sim, "GET", `events/?op=query&id=${id.gpu}&level=AUDIT&limit=1000`, { key: USER })).json() as { count: number; events: { id: number; node: string; level: string; type: string; created: string }[] };
      assert.ok(all.count >= 13);
      assert.equal(all.events.length, all.count);
      const ids = all.events.map((e) => e.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => b - a), "newest first");
      assert.ok(all.events.every((e) => e.node === id.gpu));
      assert.match(all.events[0]?.created ?? "", /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\. \d{4} \d\d:\d\d:\d\d$/);
      // Default INFO: that level and above only.
      const info = (await call(sim, "GET", `events/?op=query&id=${id.gpu}`, { key: USER })).json() as typeof all;
      assert.ok(info.events.length > 0 && info.events.length < all.events.length);
      assert.ok(info.events.every((e) => ["INFO", "WARNING", "ERROR", "CRITICAL"].includes(e.level)));
      // Paging.
      const newest = all.events[0]?.id ?? 0;
      const two = (await call(sim, "GET", `events/?op=query&id=${id.gpu}&level=AUDIT&limit=2&before=${newest}`, { key: USER })).json() as typeof all;
      assert.deepEqual(two.events.map((e) => e.id), ids.slice(1, 3));
      const oldest = ids.at(-1) ?? 0;
      const next = (await call(sim, "GET", `events/?op=query&id=${id.gpu}&level=AUDIT&limit=2&after=${oldest}`, { key: USER })).json() as typeof all;
      assert.deepEqual(next.events.map((e) => e.id), ids.slice(-3, -1));
      // Repeated id filters.
      const two2 = (await call(sim, "GET", `events/?op=query&id=${id.gpu}&id=${id.ready}&level=AUDIT&limit=1000`, { key: USER })).json() as typeof all;
      assert.deepEqual([...new Set(two2.events.map((e) => e.node))].sort(), [id.ready, id.gpu].sort());
    });

    test("limit above 1000, an unknown level, and before with after are 400s", T, async () => {
      const limit = await call(sim, "GET", "events/?op=query&limit=1001", { key: USER });
      assert.equal(limit.status, 400);
      assert.equal(limit.text, "Requested number of events 1001 is greater than limit: 1000");
      const level = await call(sim, "GET", "events/?op=query&level=LOUD", { key: USER });
      assert.equal(level.status, 400);
      assert.equal(level.text, "Unrecognised log level: LOUD");
      const both = await call(sim, "GET", "events/?op=query&after=1&before=5", { key: USER });
      assert.equal(both.status, 400);
    });
  });

  describe("faults", () => {
    test("a failing deployment ends in 'Failed deployment' with an error_description and ERROR events", T, async () => {
      const s = await startMaasSimulator({ machines: [{ system_id: "f1", hostname: "f1" }], keys: [{ key: USER, username: "bob" }], timings: { deployMs: 20 } });
      try {
        s.inject({ type: "fail-deployment", machine: "f1", message: "curtin: disk sda not found" });
        await call(s, "POST", "machines/f1/?op=deploy", { key: USER });
        await s.waitForStatus("f1", "Failed deployment");
        const m = s.machine("f1");
        assert.equal(m.status, 11);
        assert.equal(m.error_description, "curtin: disk sda not found");
        const errors = s.events("f1").filter((e) => e.level === "ERROR");
        assert.ok(errors.length >= 1);
        assert.ok(errors.every((e) => e.description === "curtin: disk sda not found"));
        // Released, it is Ready again; cleared, the next deployment succeeds.
        await call(s, "POST", "machines/f1/?op=release", { key: USER });
        await s.waitForStatus("f1", "Ready");
        s.inject({ type: "clear-deployment-fault", machine: "f1" });
        await call(s, "POST", "machines/f1/?op=deploy", { key: USER });
        await s.waitForStatus("f1", "Deployed");
      } finally {
        await s.close();
      }
    });

    test("a stuck deployment stays Deploying after 'Loading ephemeral'; a machine can go Broken", T, async () => {
      const s = await startMaasSimulator({ machines: [{ system_id: "s1", hostname: "s1", deployFault: "stuck" }, { system_id: "b1", hostname: "b1", status: "Deployed" }], keys: [{ key: USER, username: "bob" }], timings: { deployMs: 12 } });
      try {
        await call(s, "POST", "machines/s1/?op=deploy", { key: USER });
        // The last event a stuck deployment logs (the client's follower test shows it then times out in Deploying).
        await s.waitForEvent("s1", "Loading ephemeral");
        assert.equal(s.machine("s1").status_name, "Deploying");
        assert.equal(s.machine("s1").status_message, "Loading ephemeral");
        s.inject({ type: "broken", machine: "b1", message: "PSU failure" });
        assert.equal(s.machine("b1").status_name, "Broken");
        assert.equal(s.machine("b1").error_description, "PSU failure");
      } finally {
        await s.close();
      }
    });

    test("a burst of 503s with Retry-After, then normal answers", T, async () => {
      sim.inject({ type: "unavailable", count: 2, retryAfter: 3 });
      const first = await call(sim, "GET", "version/");
      const second = await call(sim, "GET", "machines/", { key: USER });
      const third = await call(sim, "GET", "version/");
      assert.equal(first.status, 503);
      assert.equal(first.headers.get("retry-after"), "3");
      assert.equal(second.status, 503);
      assert.equal(third.status, 200);
    });
  });

  test("serve.ts prints its URL as one JSON line, answers, and stops on SIGTERM", T, async () => {
    const config = JSON.stringify({ machines: [{ hostname: "e2e-1" }], keys: [{ key: USER, username: "bob" }] });
    const child = spawn(process.execPath, ["--import", "tsx", "test/maas/serve.ts", config], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      let out = "";
      child.stdout.setEncoding("utf8");
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk: string) => {
          out += chunk;
          const nl = out.indexOf("\n");
          if (nl >= 0) resolve(out.slice(0, nl));
        });
        child.once("exit", (code) => reject(new Error(`serve.ts exited (${code}) before printing its URL`)));
      });
      const started = JSON.parse(line) as { url: string; machines: { system_id: string; hostname: string }[] };
      assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+\/MAAS$/);
      assert.deepEqual(started.machines.map((m) => m.hostname), ["e2e-1"]);
      const res = await fetch(`${started.url}/api/2.0/version/`);
      assert.equal(res.status, 200);
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
