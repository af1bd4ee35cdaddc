/**
 * The REST adapter over real HTTP: every kind of error is an RFC 9457 problem document with its stable type,
 * bad input names each field, refused writes change nothing, and successes carry their status, ETag and paging.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { problemOf } from "../../server/rest/problem";
import { Client } from "../api/client";
import { assertProblem, call, startRestServer } from "./support";

let server: Awaited<ReturnType<typeof startRestServer>>;
let site = "";
before(async () => {
  server = await startRestServer();
  site = await server.freshSite("p");
});
after(() => server.close());

const runsOf = async (slug: string) => (await server.services.runs.list(slug)).length;

describe("problem details per kind", () => {
  test("a path that is not ours: 404 naming the path", async () => {
    const p = assertProblem(await call(server.url, server.clients.admin, "GET", "/api/v1/nothing/here"), 404, "not-found");
    assert.equal(p.instance, "/api/v1/nothing/here");
    assert.match(p.detail, /no operation at \/api\/v1\/nothing\/here/);
  });

  test("a known path with the wrong method: 405 with Allow", async () => {
    const r = await call(server.url, server.clients.admin, "DELETE", `/api/v1/sites/${site}/runs`);
    assertProblem(r, 405, "method-not-allowed");
    assert.deepEqual(r.headers.get("allow")?.split(", ").sort(), ["GET", "POST"]);
  });

  test("anonymous: 401 with WWW-Authenticate; a kiosk-less viewer writing: 403", async () => {
    const r = await call(server.url, undefined, "GET", "/api/v1/sites");
    assertProblem(r, 401, "unauthorized");
    assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer/);
    assertProblem(await call(server.url, server.clients.viewer, "POST", `/api/v1/sites/${site}/runs`, { json: { deployment: "dep" } }), 403, "forbidden");
    assert.equal(await runsOf(site), 0, "nothing requested");
  });

  test("a revoked token is refused like no token", async () => {
    const { token, id } = await server.clients.operator.ok<{ token: string; id: number }>("tokens.create", { name: "gone", site, role: "operator" });
    const holder = new Client(server.url, "gone", token);
    assert.equal((await call(server.url, holder, "GET", `/api/v1/sites/${site}/runs`)).status, 200);
    await server.clients.operator.ok("tokens.revoke", { id });
    assertProblem(await call(server.url, holder, "GET", `/api/v1/sites/${site}/runs`), 401, "unauthorized");
  });

  test("unknown fields in the body and the query are named, and nothing is written", async () => {
    const body = assertProblem(await call(server.url, server.clients.operator, "POST", `/api/v1/sites/${site}/runs`, { json: { deployment: "dep", bogus: 1, other: true } }), 400, "invalid-input");
    assert.deepEqual(body.errors?.map((e) => e.pointer), ["/bogus", "/other"]);
    assert.match(body.detail, /unknown field 'bogus' in the body/);
    const query = assertProblem(await call(server.url, server.clients.viewer, "GET", `/api/v1/sites/${site}/runs?colour=red`), 400, "invalid-input");
    assert.deepEqual(query.errors, [{ pointer: "/colour", detail: "unknown field 'colour' in the query" }]);
    const inPath = assertProblem(await call(server.url, server.clients.operator, "POST", `/api/v1/sites/${site}/runs`, { json: { slug: "other" } }), 400, "invalid-input");
    assert.match(inPath.detail, /'slug' is given in the path/);
    assert.equal(await runsOf(site), 0);
  });

  test("unknown fields inside nested objects are named too (zod would drop them), and nothing is saved", async () => {
    const path = `/api/v1/sites/${site}/revisions`;
    const before = (await server.services.sites.get(site)).revision;
    const p = assertProblem(await call(server.url, server.clients.operator, "POST", path, { json: { changes: [{ path: "x.yml", content: "# x\n", mode: "0644" }], message: "m" }, headers: { "if-match": `"${before}"` } }), 400, "invalid-input");
    assert.deepEqual(p.errors, [{ pointer: "/changes/0/mode", detail: "unknown field 'mode'" }]);
    assert.equal((await server.services.sites.get(site)).revision, before);
  });

  test("wrong types name the field with zod's message; the body must be a JSON object", async () => {
    const p = assertProblem(await call(server.url, server.clients.operator, "POST", `/api/v1/sites/${site}/runs`, { json: { deployment: "dep", forks: "many", limit: [1] } }), 400, "invalid-input");
    assert.deepEqual(p.errors?.map((e) => e.pointer).sort(), ["/forks", "/limit/0"]);
    assert.match(p.errors.find((e) => e.pointer === "/forks")!.detail, /number/);
    assertProblem(await call(server.url, server.clients.operator, "POST", `/api/v1/sites/${site}/runs`, { json: [1, 2] }), 400, "invalid-input");
    assertProblem(await call(server.url, server.clients.operator, "POST", `/api/v1/sites/${site}/runs`, { body: "{not json", headers: { "content-type": "application/json" } }), 400, "invalid-input");
    assertProblem(await call(server.url, server.clients.operator, "POST", `/api/v1/sites/${site}/runs`, { body: "deployment=dep", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "unsupported-media-type");
    assertProblem(await call(server.url, server.clients.viewer, "GET", "/api/v1/runs/abc"), 400, "invalid-input");
    assert.equal(await runsOf(site), 0);
  });

  test("a name already taken: 409", async () => {
    assertProblem(await call(server.url, server.clients.admin, "POST", "/api/v1/sites", { json: { slug: site, name: "again" } }), 409, "conflict");
  });

  test("If-Match: the first writer wins, the second gets 412 and nothing is lost; ETag is the new revision", async () => {
    const path = `/api/v1/sites/${site}/files/notes.yml`;
    const first = await call(server.url, server.clients.operator, "PUT", path, { json: { content: "# first\n", message: "one" }, headers: { "if-match": '"1"' } });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.headers.get("etag"), '"2"');
    const second = await call(server.url, server.clients.operator, "PUT", path, { json: { content: "# second\n", message: "two" }, headers: { "if-match": '"1"' } });
    assertProblem(second, 412, "precondition-failed");
    const read = await call(server.url, server.clients.viewer, "GET", path);
    assert.equal((read.body as { content: string }).content, "# first\n");
    assertProblem(await call(server.url, server.clients.operator, "PUT", path, { json: { content: "x" }, headers: { "if-match": "yesterday" } }), 400, "invalid-input");
  });

  test("a 50 MB body is refused with 413 before it is read (declared, and streamed without a length)", async () => {
    const big = new Uint8Array(50 << 20).fill(32);
    const declared = await call(server.url, server.clients.operator, "POST", `/api/v1/sites/${site}/runs`, { body: big, headers: { "content-type": "application/json" } });
    const p = assertProblem(declared, 413, "payload-too-large");
    assert.match(p.detail, /larger than 1 MiB/);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 50 << 20) return controller.close();
        sent += 1 << 20;
        controller.enqueue(new Uint8Array(1 << 20).fill(32));
      },
    });
    const res = await fetch(`${server.url}/api/v1/sites/${site}/runs`, { method: "POST", headers: { ...server.clients.operator.headers(), "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    assert.equal(res.status, 413);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.ok(sent < 50 << 20, `answered after ${sent} bytes of ${50 << 20}`);
    assert.equal(await runsOf(site), 0);
  });

  test("the hand-written routes answer problem documents too", async () => {
    assertProblem(await call(server.url, server.clients.viewer, "GET", "/api/v1/sites/nope/export"), 404, "not-found");
  });

  test("a bug is a 500 that says to see the server log, never what went wrong inside", () => {
    const original = console.error;
    const logged: string[] = [];
    console.error = (m: string) => void logged.push(m);
    try {
      const res = problemOf(new Error("secret-ish internals at line 3"), "/api/v1/x");
      assert.equal(res.status, 500);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      return res.json().then((body: unknown) => {
        assert.deepEqual(body, { type: "/api/docs#problem-internal", title: "Internal error", status: 500, detail: "internal error; see the server log", instance: "/api/v1/x" });
        assert.match(logged.join("\n"), /secret-ish internals/);
      });
    } finally {
      console.error = original;
    }
  });
});

describe("successes", () => {
  test("a create answers its status; a list pages with next and Link", async () => {
    const created = await call(server.url, server.clients.operator, "POST", `/api/v1/sites/${site}/runs`, { json: { deployment: "dep", reason: "rest" } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await call(server.url, server.clients.operator, "POST", `/api/v1/sites/${site}/runs`, { json: { deployment: "dep" } });
    await call(server.url, server.clients.operator, "POST", `/api/v1/sites/${site}/runs`, { json: { deployment: "dep" } });
    const page = await call(server.url, server.clients.viewer, "GET", `/api/v1/sites/${site}/runs?limit=2`);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    const body = page.body as { items: { id: number }[]; nextCursor: string | null; next: string | null };
    assert.equal(body.items.length, 2);
    assert.ok(body.next, "a next link");
    assert.equal(page.headers.get("link"), `<${body.next}>; rel="next"`);
    const rest = (await call(server.url, server.clients.viewer, "GET", body.next)).body as typeof body;
    assert.equal(rest.items.length, 1);
    assert.equal(rest.next, null);
    assert.equal(new Set([...body.items, ...rest.items].map((r) => r.id)).size, 3);
  });
});
