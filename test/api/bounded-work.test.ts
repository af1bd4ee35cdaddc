/**
 * Bounded work over HTTP (the route handlers and tRPC in this process, bodies streamed as Next streams them):
 * imports decide who may import before reading the upload and refuse bombs with the limit's message, lint and
 * save check sites in worker threads within their limits while other requests keep answering, and imports are
 * rate limited per user. test/production/bounded-work.test.ts repeats the bombs against the production build and
 * measures the server process's memory.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { loadSite } from "../../server/inventory";
import { RATE_LIMITS } from "../../server/limits";
import { writeTgz } from "../../server/store/archive";
import { anchorHeavyYaml, gzipBomb, zipBomb } from "../store/bombs";
import { Client } from "./client";
import { startHttpServer } from "./http-server";
import { multipart, upload } from "./upload";

const PASSWORD = "correct horse battery";
const INVENTORY = "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n";
const BROKEN = "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n    groups: [nope]\n";
const MiB = 1 << 20;

let server: Awaited<ReturnType<typeof startHttpServer>>;
let admin: Client;
let viewer: Client;
let operator: Client;
let viewerToken: string;
let operatorToken: string;

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const importUrl = (query: Record<string, string>) => `${server.url}/api/v1/sites/import?${new URLSearchParams(query)}`;

before(async () => {
  server = await startHttpServer({ FLIGHTDECK_CHECK_TIMEOUT: "3" });
  await server.services.sites.create({ slug: "alpha", name: "Alpha", files: [{ path: "inventory.yml", content: INVENTORY }], author: "t", message: "m" });
  admin = new Client(server.url, "admin");
  assert.equal(await admin.signIn("admin", "admin-password-1"), 200);
  viewer = await user("viewer", "viewer");
  operator = await user("operator", "operator");
  viewerToken = (await viewer.ok<{ token: string }>("tokens.create", { name: "read", site: "alpha", role: "viewer" })).token;
  operatorToken = (await operator.ok<{ token: string }>("tokens.create", { name: "ci", site: "alpha", role: "operator" })).token;
});
after(() => server?.close());

/** A new user with `role` on alpha, signed in. */
async function user(name: string, role: string): Promise<Client> {
  const { id } = await admin.ok<{ id: string }>("users.create", { username: name, password: PASSWORD });
  await admin.ok("members.set", { slug: "alpha", userId: id, role });
  const c = new Client(server.url, name);
  assert.equal(await c.signIn(name, PASSWORD), 200);
  return c;
}

describe("archive import", () => {
  test("a viewer token is refused before its upload is read: the answer comes while the upload is still open", async () => {
    const r = await upload(importUrl({ slug: "alpha" }), { headers: { ...auth(viewerToken), "content-type": "application/gzip", "transfer-encoding": "chunked" }, body: gzipBomb(), hold: true });
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.match(r.body.detail!, /operator/);
    assert.equal(r.finished, false);
  });

  test("creating a site needs a server admin, decided before the upload is read", async () => {
    const r = await upload(importUrl({ slug: "new-site" }), { headers: { ...auth(operatorToken), "content-type": "application/zip", "transfer-encoding": "chunked" }, body: zipBomb(), hold: true });
    assert.equal(r.status, 403);
    assert.equal(r.body.detail, "only a server admin can create a site");
    assert.equal(r.finished, false);
  });

  test("with the site named only inside a multipart body, a viewer is refused before anything is inflated", async () => {
    const form = multipart([["file", ["bomb.zip", zipBomb()]], ["slug", "alpha"], ["name", "Alpha"]]);
    const before = process.resourceUsage().maxRSS / 1024;
    const r = await upload(`${server.url}/api/v1/sites/import`, { headers: { ...auth(viewerToken), "content-type": form.type }, body: form.body });
    assert.equal(r.status, 403);
    // Reading the 1 MiB upload is all it cost; inflating the first entry alone would have taken 60 MiB.
    assert.ok(process.resourceUsage().maxRSS / 1024 - before < 32, "peak memory rose by less than 32 MiB");
  });

  test("a declared Content-Length over 20 MiB is refused before the body is read", async () => {
    const r = await upload(importUrl({ slug: "alpha" }), { headers: { ...auth(operatorToken), "content-type": "application/gzip", "content-length": String(30 * MiB) }, body: new Uint8Array(MiB), hold: true });
    assert.equal(r.status, 413);
    assert.equal(r.body.detail, "the upload is larger than 20 MiB, the most accepted");
    assert.equal(r.finished, false);
  });

  test("a streamed upload is refused as it passes 20 MiB, not after", async () => {
    const r = await upload(importUrl({ slug: "alpha" }), { headers: { ...auth(operatorToken), "content-type": "application/gzip", "transfer-encoding": "chunked" }, body: new Uint8Array(40 * MiB) });
    assert.equal(r.status, 413);
    assert.equal(r.body.detail, "the upload is larger than 20 MiB, the most accepted");
    assert.equal(r.finished, false, `the answer came after ${(r.sent / MiB).toFixed(1)} MiB`);
  });

  test("an admin's zip bomb and gzip bomb are refused with the limit's message; nothing is written", async () => {
    for (const [type, bomb] of [["application/zip", zipBomb()], ["application/gzip", gzipBomb()]] as const) {
      const r = await upload(importUrl({ slug: "bombed", filename: "site.archive" }), { headers: admin.headers({ "content-type": type }), body: bomb });
      assert.equal(r.status, 413, JSON.stringify(r.body));
      assert.equal(r.body.detail, "site.archive expands to more than 64 MiB, the most an archive may expand to");
    }
    assert.equal(await server.services.sites.exists("bombed"), false);
  });

  test("a good archive as the body imports; the revision's lint counts come from the checking thread", async () => {
    const files = [{ path: "inventory.yml", content: BROKEN }, { path: "README.md", content: "# notes\n" }];
    const r = await upload(importUrl({ slug: "alpha", filename: "alpha.tgz" }), { headers: { ...auth(operatorToken), "content-type": "application/gzip" }, body: writeTgz(files, new Date()) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const site = loadSite([files[0]!]);
    const errors = site.diagnostics.filter((d) => d.severity === "error").length;
    assert.ok(errors > 0);
    assert.deepEqual(r.body.revision, { number: 2, errors, warnings: site.diagnostics.length - errors, hosts: site.model.hosts.size });
    assert.deepEqual(r.body.skipped, ["README.md"]);
  });

  test("imports are rate limited per user (a token counts as its owner), before the upload is read", async () => {
    const importer = await user("importer", "operator");
    const token = (await importer.ok<{ token: string }>("tokens.create", { name: "ci", site: "alpha", role: "operator" })).token;
    const send = (who: Record<string, string>) => upload(importUrl({ slug: "alpha" }), { headers: { ...who, "content-type": "application/gzip", "transfer-encoding": "chunked" }, body: gzipBomb(), hold: true });
    let admitted = 0;
    let refused: Awaited<ReturnType<typeof send>> | undefined;
    while (!refused && admitted <= RATE_LIMITS.imports.burst + 2) {
      const r = await upload(importUrl({ slug: "alpha" }), { headers: importer.headers({ "content-type": "application/zip" }), body: new Uint8Array([1, 2, 3]) });
      if (/^you may import/.test(r.body.detail ?? "")) refused = r;
      else admitted++;
    }
    // At least the burst; one or two more when a token came back while this loop ran (one every 6 s).
    assert.ok(admitted >= RATE_LIMITS.imports.burst && admitted <= RATE_LIMITS.imports.burst + 2, `${admitted} imports before the first refusal`);
    assert.equal(refused!.status, 429);
    assert.ok(Number(refused!.retryAfter) >= 1 && Number(refused!.retryAfter) <= 6, `Retry-After: ${refused!.retryAfter}`);
    assert.match(refused!.body.detail!, /^you may import 10 archives in a row, then one every 6 s; try again in [1-6] s$/);
    const held = await send(auth(token));
    assert.match(held.body.detail!, /^you may import/);
    assert.equal(held.finished, false);
    // Another user's imports are their own (this viewer may not import at all: refused for that, not the rate).
    assert.equal((await send(auth(viewerToken))).status, 403);
  });
});

describe("lint and save", () => {
  test("a site file over 4 MiB is refused at once with its name and size", async () => {
    const r = await viewer.trpc("files.lint", { slug: "alpha", changes: [{ path: "big.yml", content: "#".repeat(5 * MiB) }] }, "mutation");
    assert.equal(r.status, 413);
    assert.equal(r.code, "PAYLOAD_TOO_LARGE");
    assert.equal(r.message, "big.yml is 5 MiB; a site file may be at most 4 MiB");
  });

  test("a request body over 32 MiB is refused while it is read", async () => {
    const r = await viewer.trpc("files.lint", { slug: "alpha", changes: Array.from({ length: 9 }, (_, i) => ({ path: `f${i}.yml`, content: "#".repeat(4 * MiB) })) }, "mutation");
    assert.equal(r.status, 413);
    assert.equal(r.code, "PAYLOAD_TOO_LARGE");
    assert.equal(r.message, "the request is larger than 32 MiB, the most accepted");
  });

  test("the issue's lint bomb (three 7 MB anchor-heavy files) is refused at once, and one within the limits is stopped at its time budget; other requests answer meanwhile", async () => {
    const probe = pollLatency(() => operator.trpc("sites.list", undefined, "query"));
    const seven = anchorHeavyYaml(7_000_000);
    const big = await viewer.trpc("files.lint", { slug: "alpha", changes: [0, 1, 2].map((i) => ({ path: `bomb-${i}.yml`, content: seven })) }, "mutation");
    assert.match(big.message!, /^bomb-0\.yml is 6\.7 MiB; a site file may be at most 4 MiB$/);
    const within = anchorHeavyYaml(1_300_000);
    const started = performance.now();
    const slow = await viewer.trpc("files.lint", { slug: "alpha", changes: [0, 1, 2].map((i) => ({ path: `bomb-${i}.yml`, content: within })) }, "mutation");
    const took = performance.now() - started;
    const worst = await probe.stop();
    assert.equal(slow.message, "the site took longer than 3 s to check; the server stops there");
    assert.ok(took < 3000 + 3000, `the bomb was answered after ${took.toFixed(0)} ms`);
    assert.ok(probe.count() >= 3, `only ${probe.count()} other requests were answered meanwhile`);
    assert.ok(worst < 1000, `another request waited ${worst.toFixed(0)} ms`);
  });

  test("a save stores the counts the checking thread found", async () => {
    const base = (await operator.ok<{ revision: number }>("files.list", { slug: "alpha" }, "query")).revision;
    const saved = await operator.ok<{ number: number; errors: number; hosts: number }>("files.save", { slug: "alpha", baseRevision: base, changes: [{ path: "./inventory.yml", content: BROKEN }, { path: "extra.yml", content: INVENTORY.replace("web-1", "web-2") }], message: "m" });
    const expected = loadSite([{ path: "inventory.yml", content: BROKEN }, { path: "extra.yml", content: INVENTORY.replace("web-1", "web-2") }]);
    assert.equal(saved.errors, expected.diagnostics.filter((d) => d.severity === "error").length);
    assert.ok(saved.errors > 0);
    assert.equal(saved.hosts, expected.model.hosts.size);
    // A stale base is still the store's to refuse, unchecked: a failed precondition (412, as with If-Match over REST).
    const stale = await operator.trpc("files.save", { slug: "alpha", baseRevision: base, changes: [{ path: "inventory.yml", content: INVENTORY }], message: "m" }, "mutation");
    assert.equal(stale.code, "PRECONDITION_FAILED");
  });
});

/** Send `request` one after another until stopped; the longest any of them took. */
function pollLatency(request: () => Promise<{ status: number }>) {
  let stopped = false;
  let worst = 0;
  let count = 0;
  const loop = (async () => {
    while (!stopped) {
      const t = performance.now();
      const r = await request();
      assert.equal(r.status, 200);
      worst = Math.max(worst, performance.now() - t);
      count++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    count: () => count,
    async stop() {
      stopped = true;
      await loop;
      return worst;
    },
  };
}
