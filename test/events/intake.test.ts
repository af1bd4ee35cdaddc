/**
 * Event intake over real HTTP: the generic, Alertmanager and GitHub endpoints, authenticated by an operator's
 * API token or by the site's webhook signature (a wrong one is refused and stored nowhere), bounded bodies,
 * located errors with nothing half-stored, a GitHub push to the tracked branch requesting a run, the live
 * broadcast, and the events list over REST.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { setReactor } from "../../server/events/hub";
import { sign } from "../../server/events/secret";
import type { StoredEvent } from "../../server/events/types";
import { localInventory, workflow } from "../engine/fleet-site";
import { Client } from "../api/client";
import { startHttpServer } from "../api/http-server";

const PASSWORD = "correct horse battery";
let server: Awaited<ReturnType<typeof startHttpServer>>;
let admin: Client;
let operatorToken = "";
let viewerToken = "";
let secret = "";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A raw POST: exact bytes (signatures are over them), optional chunked streaming without a Content-Length. */
function post(path: string, body: string | Buffer, headers: Record<string, string> = {}, options: { chunked?: boolean } = {}): Promise<Reply> {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...(options.chunked ? {} : { "content-length": String(bytes.byteLength) }), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: String(res.headers["content-type"]).includes("json") ? (JSON.parse(text) as unknown) : text });
      });
    });
    // The server may answer (413) and close before the whole body is written.
    req.on("error", (e: NodeJS.ErrnoException) => (e.code === "EPIPE" || e.code === "ECONNRESET" ? undefined : reject(e)));
    if (options.chunked) {
      for (let at = 0; at < bytes.byteLength; at += 64 * 1024) req.write(bytes.subarray(at, at + 64 * 1024));
      req.end();
    } else req.end(bytes);
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const signed = (body: string, header = "x-flightdeck-signature") => ({ [header]: sign(secret, Buffer.from(body)) });
type Received = { received: number; events: StoredEvent[] };
type Problem = { type: string; status: number; detail: string; errors?: { pointer: string; detail: string }[] };

async function count(site = "lab"): Promise<number> {
  return (await server.services.store.events.page(site, { limit: 500 })).length;
}

before(async () => {
  server = await startHttpServer();
  const files = [{ path: "site.yml", content: `${localInventory(["a", "b"])}---\n${workflow(`  - {name: one, action: cmd.run, params: {cmd: "echo hi"}}`, "", "[all]", "dep")}` }];
  for (const slug of ["lab", "other"]) await server.services.sites.create({ slug, name: slug, files, author: "t", message: "m" });
  await server.services.sites.setLocalExecution("lab", true);
  admin = new Client(server.url, "admin");
  await admin.signIn("admin", "admin-password-1");
  for (const [name, role] of [["ci", "operator"], ["vi", "viewer"]] as const) {
    const { id } = await admin.ok<{ id: string }>("users.create", { username: name, password: PASSWORD });
    await admin.ok("members.set", { slug: "lab", userId: id, role });
    const c = new Client(server.url, name);
    await c.signIn(name, PASSWORD);
    const { token } = await c.ok<{ token: string }>("tokens.create", { name: "pipeline", site: "lab", role });
    if (name === "ci") operatorToken = token;
    else viewerToken = token;
  }
  secret = (await admin.ok<{ secret: string }>("events.rotateSecret", { slug: "lab" })).secret;
});
after(async () => {
  setReactor(null);
  await server.close();
});

describe("generic events", () => {
  test("an operator's token stores an event with its sender; the site's room hears of it", async () => {
    const socket = admin.socket();
    try {
      await new Promise<void>((resolve, reject) => {
        socket.on("connect_error", reject);
        socket.emit("site.watch", "lab", (ack: { ok: boolean }) => (ack.ok ? resolve() : reject(new Error("join refused"))));
      });
      const heard = new Promise<{ site: string; id: number }>((resolve) => socket.on("site.event", resolve));
      const body = JSON.stringify({ name: "deploy/requested", labels: { env: "prod" }, data: { by: "ci", n: [1, 2] } });
      const res = await post("/api/v1/sites/lab/events", body, bearer(operatorToken));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const { received, events } = res.body as Received;
      assert.equal(received, 1);
      assert.deepEqual({ ...events[0], id: 0, receivedAt: 0 }, { id: 0, site: "lab", source: "api", sender: "ci (token pipeline)", name: "deploy/requested", labels: { env: "prod" }, data: { by: "ci", n: [1, 2] }, receivedAt: 0, outcome: [] });
      assert.deepEqual(await heard, { site: "lab", id: events[0]!.id });
    } finally {
      socket.disconnect();
    }
  });

  test("a viewer's token, no credentials, and another site's token are refused; nothing is stored", async () => {
    const before_ = await count();
    const body = JSON.stringify({ name: "x" });
    assert.equal((await post("/api/v1/sites/lab/events", body, bearer(viewerToken))).status, 403);
    const none = await post("/api/v1/sites/lab/events", body);
    assert.equal(none.status, 401);
    assert.match((none.body as Problem).detail, /X-Flightdeck-Signature/);
    assert.equal((await post("/api/v1/sites/other/events", body, bearer(operatorToken))).status, 403);
    assert.equal(await count(), before_);
  });

  test("the webhook secret's signature is accepted as sender 'webhook'", async () => {
    const body = JSON.stringify({ name: "ci/finished", labels: { branch: "main" } });
    const res = await post("/api/v1/sites/lab/events", body, signed(body));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as Received).events[0]!.sender, "webhook");
  });

  test("a wrong signature is refused with 401 and stored nowhere: no event, an audit line without the payload", async () => {
    const before_ = await count();
    const body = JSON.stringify({ name: "evil/event", data: { marker: "PAYLOAD-MARKER-7731" } });
    for (const header of [sign("not-the-secret", Buffer.from(body)), sign(secret, Buffer.from(`${body} `)), "sha256=zz", `sha1=${"0".repeat(40)}`]) {
      const res = await post("/api/v1/sites/lab/events", body, { "x-flightdeck-signature": header });
      assert.equal(res.status, 401, header);
      assert.equal((res.body as Problem).type, "/api/docs#problem-unauthorized");
    }
    // Signed right, but for a site that does not exist or has no secret: the same refusal.
    assert.equal((await post("/api/v1/sites/nope/events", body, signed(body))).status, 401);
    assert.equal((await post("/api/v1/sites/other/events", body, signed(body))).status, 401);
    assert.equal(await count(), before_);
    const audit = await server.services.auth.audit.query({ action: "event.refused", limit: 50 });
    assert.ok(audit.entries.length >= 4);
    assert.ok(!JSON.stringify(audit.entries).includes("PAYLOAD-MARKER-7731"), "the audit log keeps no payload");
    assert.ok(!JSON.stringify(await server.services.store.events.page("lab", { limit: 500 })).includes("PAYLOAD-MARKER-7731"));
  });

  test("a rotated secret refuses the old one", async () => {
    const old = secret;
    secret = (await admin.ok<{ secret: string }>("events.rotateSecret", { slug: "lab" })).secret;
    assert.notEqual(secret, old);
    const body = JSON.stringify({ name: "after/rotation" });
    assert.equal((await post("/api/v1/sites/lab/events", body, { "x-flightdeck-signature": sign(old, Buffer.from(body)) })).status, 401);
    assert.equal((await post("/api/v1/sites/lab/events", body, signed(body))).status, 200);
    const settings = await admin.ok<{ hasSecret: boolean }>("events.settings", { slug: "lab" }, "query");
    assert.deepEqual(settings, { hasSecret: true, allowAutoApproval: false, github: null });
    assert.ok(!JSON.stringify(await server.services.auth.audit.query({ action: "event.settings", limit: 50 })).includes(secret), "the secret is never audited");
  });

  test("a 10 MB payload is refused with 413, declared or streamed, and nothing is stored", async () => {
    const before_ = await count();
    const big = JSON.stringify({ name: "big", data: { blob: "x".repeat(10 * 1024 * 1024) } });
    const declared = await post("/api/v1/sites/lab/events", big, bearer(operatorToken));
    assert.equal(declared.status, 413);
    assert.match((declared.body as Problem).detail, /larger than 1 MiB/);
    const streamed = await post("/api/v1/sites/lab/events", big, bearer(operatorToken), { chunked: true });
    assert.equal(streamed.status, 413);
    assert.equal(await count(), before_);
  });

  test("bad input is a located 400 and stores nothing", async () => {
    const before_ = await count();
    const cases: [string, RegExp, string | undefined][] = [
      ['{"name": "a",\n  "labels": {"x": 1,}}', /not valid JSON at line 2, column \d+/, ""],
      ["[1, 2]", /must be a JSON object/, ""],
      [JSON.stringify({ name: "a", extra: 1 }), /unknown field 'extra'/, ""],
      [JSON.stringify({ name: "has space" }), /\/name: an event name is/, "/name"],
      [JSON.stringify({ name: "a", labels: { role: 7 } }), /\/labels\/role/, "/labels/role"],
      [JSON.stringify({ labels: {} }), /\/name/, "/name"],
    ];
    for (const [body, detail, pointer] of cases) {
      const res = await post("/api/v1/sites/lab/events", body, bearer(operatorToken));
      assert.equal(res.status, 400, body);
      const p = res.body as Problem;
      assert.match(p.detail, detail, body);
      if (pointer !== undefined) assert.equal(p.errors?.[0]?.pointer, pointer, body);
    }
    assert.equal(await count(), before_);
  });
});

describe("settings", () => {
  test("the secret is stored sealed to the server's age identity, never in clear", async () => {
    const sealed = (await server.services.store.events.settings("lab")).webhookSecret;
    assert.match(sealed ?? "", /^-----BEGIN AGE ENCRYPTED FILE-----/);
    assert.ok(!sealed!.includes(secret));
  });

  test("only site admins change event settings; each change is audited", async () => {
    const operator = new Client(server.url, "ci");
    await operator.signIn("ci", PASSWORD);
    for (const [path, input] of [["events.updateSettings", { slug: "lab", allowAutoApproval: true }], ["events.rotateSecret", { slug: "lab" }], ["events.removeSecret", { slug: "lab" }]] as const) {
      assert.equal((await operator.trpc(path, input, "mutation")).code, "FORBIDDEN", path);
    }
    assert.equal((await operator.trpc("events.settings", { slug: "lab" }, "query")).code, "FORBIDDEN");
    const after = await admin.ok<{ allowAutoApproval: boolean }>("events.updateSettings", { slug: "lab", allowAutoApproval: true });
    assert.equal(after.allowAutoApproval, true);
    assert.equal((await server.services.store.events.settings("lab")).allowAutoApproval, true);
    const audit = await server.services.auth.audit.query({ action: "event.settings", site: "lab", limit: 10 });
    assert.deepEqual(audit.entries[0] && [audit.entries[0].target, audit.entries[0].detail], ["allow auto approval", { from: false, to: true }]);
    await admin.ok("events.updateSettings", { slug: "lab", allowAutoApproval: false });
  });
});

describe("Alertmanager", () => {
  const alert = (alertname: string, status: "firing" | "resolved", instance = "a:9100") => ({
    status,
    labels: { alertname, instance, severity: "critical" },
    annotations: { summary: `${alertname} on ${instance}` },
    startsAt: "2026-12-02T10:00:00Z",
    endsAt: status === "resolved" ? "2026-12-02T10:05:00Z" : "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus/graph?g0.expr=x",
    fingerprint: `fp-${alertname}-${status}`,
  });
  const payload = (alerts: unknown[], version = "4") => JSON.stringify({ version, groupKey: "{}:{alertname}", status: "firing", receiver: "flightdeck", groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "http://alertmanager:9093", alerts });

  test("each alert becomes an event alertmanager/<alertname> with status among its labels, firing and resolved", async () => {
    const body = payload([alert("DiskFull", "firing"), alert("DiskFull", "resolved", "b:9100")]);
    const res = await post("/api/v1/sites/lab/events/alertmanager", body, signed(body));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { events } = res.body as Received;
    assert.deepEqual(
      events.map((e) => [e.source, e.name, e.labels]),
      [
        ["alertmanager", "alertmanager/DiskFull", { alertname: "DiskFull", instance: "a:9100", severity: "critical", status: "firing" }],
        ["alertmanager", "alertmanager/DiskFull", { alertname: "DiskFull", instance: "b:9100", severity: "critical", status: "resolved" }],
      ],
    );
    assert.deepEqual(events[1]!.data, {
      annotations: { summary: "DiskFull on b:9100" },
      startsAt: "2026-12-02T10:00:00Z",
      endsAt: "2026-12-02T10:05:00Z",
      generatorURL: "http://prometheus/graph?g0.expr=x",
      fingerprint: "fp-DiskFull-resolved",
      receiver: "flightdeck",
      externalURL: "http://alertmanager:9093",
      groupKey: "{}:{alertname}",
    });
  });

  test("another version, or one bad alert among good ones, is a located 400 and stores none of them", async () => {
    const before_ = await count();
    const v3 = await post("/api/v1/sites/lab/events/alertmanager", payload([alert("A", "firing")], "3"), bearer(operatorToken));
    assert.equal(v3.status, 400);
    assert.equal((v3.body as Problem).errors?.[0]?.pointer, "/version");
    assert.match((v3.body as Problem).detail, /version 4/);
    const mixed = await post("/api/v1/sites/lab/events/alertmanager", payload([alert("Good", "firing"), alert("Bad Name", "firing")]), bearer(operatorToken));
    assert.equal(mixed.status, 400);
    assert.equal((mixed.body as Problem).errors?.[0]?.pointer, "/alerts/1/labels/alertname");
    const generic = await post("/api/v1/sites/lab/events/alertmanager", JSON.stringify({ name: "x" }), bearer(operatorToken));
    assert.equal(generic.status, 400);
    assert.match((generic.body as Problem).detail, /not an Alertmanager webhook payload/);
    assert.equal(await count(), before_);
  });
});

describe("GitHub", () => {
  const push = (branch: string, sha: string) => JSON.stringify({ ref: `refs/heads/${branch}`, before: "0".repeat(40), after: sha, repository: { full_name: "acme/infra" }, pusher: { name: "octo" }, sender: { login: "octo" }, commits: [{}], compare: "https://github.com/acme/infra/compare/x", head_commit: { id: sha, message: "Bump", url: "https://github.com/acme/infra/commit/x" } });
  const gh = (body: string, event: string) => ({ ...signed(body, "x-hub-signature-256"), "x-github-event": event });

  before(async () => {
    await admin.ok("events.updateSettings", { slug: "lab", github: { branch: "main", deployment: "dep" } });
  });

  test("ping is answered and stores nothing", async () => {
    const before_ = await count();
    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
    const res = await post("/api/v1/sites/lab/events/github", body, gh(body, "ping"));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { received: 0, events: [] });
    assert.equal(await count(), before_);
  });

  test("a push to the tracked branch requests a run of its deployment; another branch requests none", async () => {
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const body = push("main", sha);
    const res = await post("/api/v1/sites/lab/events/github", body, gh(body, "push"));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const event = (res.body as Received).events[0]!;
    assert.equal(event.name, "github/push");
    assert.deepEqual(event.labels, { repository: "acme/infra", ref: "refs/heads/main", branch: "main", sha, deleted: "false", pusher: "octo" });
    const fired = event.outcome.find((o) => o.reaction === "github");
    assert.equal(fired?.result, "fired", JSON.stringify(event.outcome));
    const run = await server.services.runs.get(fired.runId!);
    assert.deepEqual([run.site, run.deployment, run.requestedBy, run.reason, run.status], ["lab", "dep", "github", "GitHub push 0123456789ab to main", "awaiting_approval"]);

    const runsBefore = (await server.services.runs.list("lab", 100)).length;
    const other = push("feature/x", "f".repeat(40));
    const res2 = await post("/api/v1/sites/lab/events/github", other, gh(other, "push"));
    assert.equal(res2.status, 200);
    assert.deepEqual((res2.body as Received).events[0]!.outcome, []);
    assert.equal((await server.services.runs.list("lab", 100)).length, runsBefore);
  });

  test("a GitHub delivery sent again (the same X-GitHub-Delivery) is answered and counts once: one event, one run", async () => {
    const body = push("main", "c".repeat(40));
    const headers = { ...gh(body, "push"), "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958" };
    const runsBefore = (await server.services.runs.list("lab", 100)).length;
    const first = await post("/api/v1/sites/lab/events/github", body, headers);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const event = (first.body as Received).events[0]!;
    assert.equal(event.labels.delivery, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    const again = await post("/api/v1/sites/lab/events/github", body, headers);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { received: 0, duplicateOf: event.id, events: [] });
    assert.equal((await server.services.runs.list("lab", 100)).length, runsBefore + 1, "one run for the push, not two");
    const stored = await server.services.store.events.page("lab", { limit: 10, label: { key: "delivery", value: "72d3162e-cc78-11e3-81ab-4c9367dc0958" } });
    assert.deepEqual(stored.map((e) => e.id), [event.id]);
  });

  test("a pull request becomes github/pull_request; an unknown event or the generic secret header is refused", async () => {
    const body = JSON.stringify({ action: "opened", number: 42, repository: { full_name: "acme/infra" }, sender: { login: "octo" }, pull_request: { title: "Add rack 3", html_url: "https://github.com/acme/infra/pull/42", state: "open", merged: false, draft: false, base: { ref: "main" }, head: { ref: "rack-3", sha: "a".repeat(40) }, user: { login: "octo" } } });
    const res = await post("/api/v1/sites/lab/events/github", body, gh(body, "pull_request"));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const event = (res.body as Received).events[0]!;
    assert.deepEqual([event.source, event.name, event.labels], ["github", "github/pull_request", { repository: "acme/infra", action: "opened", number: "42", base: "main", head: "rack-3", sha: "a".repeat(40), merged: "false", draft: "false", author: "octo" }]);
    const issues = await post("/api/v1/sites/lab/events/github", body, gh(body, "issues"));
    assert.equal(issues.status, 400);
    assert.match((issues.body as Problem).detail, /X-GitHub-Event 'issues' is not handled/);
    // GitHub signs in X-Hub-Signature-256; X-Flightdeck-Signature alone is no credential here.
    assert.equal((await post("/api/v1/sites/lab/events/github", body, { ...signed(body), "x-github-event": "pull_request" })).status, 401);
  });

  test("a form-encoded delivery (payload=...) is read too", async () => {
    const body = `payload=${encodeURIComponent(push("feature/y", "b".repeat(40)))}`;
    const res = await post("/api/v1/sites/lab/events/github", body, { ...gh(body, "push"), "content-type": "application/x-www-form-urlencoded" });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as Received).events[0]!.labels.branch, "feature/y");
  });
});

describe("reactions and the list", () => {
  test("the registered reactor's outcome is stored with the event; a failing reactor is an error outcome, the event kept", async () => {
    setReactor((event) => Promise.resolve([{ reaction: "disk-full-cleanup", result: "held", until: event.receivedAt + 600_000, detail: "re_react_delay 10m" }]));
    try {
      const body = JSON.stringify({ name: "r/held" });
      const held = (await post("/api/v1/sites/lab/events", body, bearer(operatorToken))).body as Received;
      const stored = await server.services.store.events.get("lab", held.events[0]!.id);
      assert.deepEqual(stored.outcome, [{ reaction: "disk-full-cleanup", result: "held", until: stored.receivedAt + 600_000, detail: "re_react_delay 10m" }]);
      setReactor(() => Promise.reject(new Error("template exploded")));
      const failed = (await post("/api/v1/sites/lab/events", JSON.stringify({ name: "r/failed" }), bearer(operatorToken))).body as Received;
      assert.deepEqual(failed.events[0]!.outcome, [{ reaction: "*", result: "error", detail: "reactions failed: template exploded" }]);
    } finally {
      setReactor(null);
    }
  });

  test("GET /events pages newest first with a next link, filters by name; GET /events/{id} reads one", async () => {
    const viewer = new Client(server.url, "vi", viewerToken);
    const first = await viewer.rest("GET", "/api/v1/sites/lab/events?limit=2");
    assert.equal(first.status, 200);
    const page = first.body as { items: StoredEvent[]; nextCursor: string | null; next: string | null };
    assert.equal(page.items.length, 2);
    assert.ok(page.items[0]!.id > page.items[1]!.id);
    assert.ok(page.next);
    const second = (await viewer.rest("GET", page.next)).body as { items: StoredEvent[] };
    assert.ok(second.items[0]!.id < page.items[1]!.id);
    const pushes = (await viewer.rest("GET", "/api/v1/sites/lab/events?name=github%2Fpush")).body as { items: StoredEvent[] };
    assert.ok(pushes.items.length >= 2 && pushes.items.every((e) => e.name === "github/push"));
    const one = await viewer.rest("GET", `/api/v1/sites/lab/events/${page.items[0]!.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, page.items[0]);
    assert.equal((await viewer.rest("GET", "/api/v1/sites/lab/events/999999")).status, 404);
  });
});

describe("rate limit", () => {
  test("intake requests count against the caller's rate like other REST requests: over the burst is 429 with Retry-After", async () => {
    const limited = await startHttpServer({ FLIGHTDECK_API_BURST: "3", FLIGHTDECK_API_RATE: "0.01" });
    try {
      // Its own site: on PostgreSQL (intake-pg.test.ts) both servers share one database.
      await limited.services.sites.create({ slug: "limited", name: "limited", files: [{ path: "inventory.yml", content: localInventory(["a"]) }], author: "t", message: "m" });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${limited.url}/api/v1/sites/limited/events`, { method: "POST", headers: { "content-type": "application/json", "x-flightdeck-signature": `sha256=${"0".repeat(64)}` }, body: "{}" });
        statuses.push(res.status);
        if (res.status === 429) assert.ok(Number(res.headers.get("retry-after")) >= 1);
      }
      assert.deepEqual(statuses, [401, 401, 401, 429]);
    } finally {
      await limited.close();
    }
  });
});
