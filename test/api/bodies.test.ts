/** What a save over HTTP may carry: valid UTF-8 only, and paths without control characters; refused, never altered. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client } from "./client";
import { startHttpServer } from "./http-server";

describe("files.save over HTTP", () => {
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  let admin: Client;
  let base: number;

  before(async () => {
    server = await startHttpServer();
    admin = new Client(server.url, "admin");
    assert.equal(await admin.signIn("admin", "admin-password-1"), 200);
    await admin.ok("sites.create", { slug: "alpha", name: "Alpha" });
    base = (await admin.ok<{ revision: number }>("sites.get", { slug: "alpha" }, "query")).revision;
  });
  after(async () => server.close());

  const save = (bytes: Buffer) =>
    fetch(`${server.url}/api/trpc/files.save`, { method: "POST", headers: { ...admin.headers(), "content-type": "application/json" }, body: new Blob([new Uint8Array(bytes)]) });

  test("a body that is not valid UTF-8 is refused with 400, and nothing is saved", async () => {
    const json = JSON.stringify({ slug: "alpha", baseRevision: base, changes: [{ path: "bad.yml", content: "a: BAD\n" }], message: "m" });
    const [head, tail] = json.split("BAD") as [string, string];
    const r = await save(Buffer.concat([Buffer.from(head), Buffer.from([0xff, 0xfe]), Buffer.from(tail)]));
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: { message: string } }).error.message, /not valid UTF-8/);
    assert.equal(await server.services.sites.head("alpha"), base);
  });

  test("a path holding a NUL byte is refused with 400", async () => {
    const r = await save(Buffer.from(JSON.stringify({ slug: "alpha", baseRevision: base, changes: [{ path: "a\u0000b.yml", content: "a: 1\n" }], message: "m" })));
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: { message: string } }).error.message, /control character/);
    assert.equal(await server.services.sites.head("alpha"), base);
  });

  test("valid text, U+FFFD and emoji included, is saved as sent", async () => {
    const content = "a: \ufffd \u{1F600}\n";
    const r = await save(Buffer.from(JSON.stringify({ slug: "alpha", baseRevision: base, changes: [{ path: "ok.yml", content }], message: "m" })));
    assert.equal(r.status, 200, await r.text());
    assert.equal((await server.services.sites.files("alpha")).files.find((f) => f.path === "ok.yml")?.content, content);
  });
});
