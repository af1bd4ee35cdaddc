/** REST tour: revisions, and the batch save that makes one (part D). */
import assert from "node:assert/strict";
import { tourCase, type TourCase } from "./types";

export const cases: TourCase[] = [
  tourCase({
    operation: "revisions.page",
    name: "a viewer lists a site's revisions, newest first",
    as: "viewer",
    setup: (ctx) => ctx.services.sites.save(ctx.site, { baseRevision: 1, changes: [{ path: "notes.yml", content: "# notes\n" }], author: "ana", message: "notes" }),
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/revisions` }),
    status: 200,
    check: (res) => {
      const list = (res.body as { items: { number: number; author: string; message: string }[] }).items;
      assert.deepEqual(list.map((r) => r.number), [2, 1]);
      assert.deepEqual([list[0]!.author, list[0]!.message], ["ana", "notes"]);
    },
  }),
  tourCase({
    operation: "revisions.page",
    name: "a viewer follows `next` through the revisions, newest first, two at a time",
    as: "viewer",
    setup: async (ctx) => {
      for (const n of [1, 2]) await ctx.services.sites.save(ctx.site, { baseRevision: n, changes: [{ path: `n${n}.yml`, content: "# n\n" }], author: "ana", message: `n${n}` });
    },
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/revisions`, query: { limit: 2 } }),
    status: 200,
    check: async (res, ctx) => {
      type RevisionPage = { items: { number: number }[]; nextCursor: string | null; next: string | null };
      const first = res.body as RevisionPage;
      assert.deepEqual(first.items.map((r) => r.number), [3, 2]);
      assert.ok(first.next);
      const second = (await ctx.clients.viewer.rest("GET", first.next)).body as RevisionPage;
      assert.deepEqual([second.items.map((r) => r.number), second.nextCursor, second.next], [[1], null, null]);
    },
  }),
  tourCase({
    operation: "revisions.get",
    name: "a viewer reads one revision",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/revisions/1` }),
    status: 200,
    check: (res) => {
      assert.equal((res.body as { number: number }).number, 1);
      assert.equal(res.headers.get("etag"), '"1"');
    },
  }),
  tourCase({
    operation: "revisions.get",
    name: "a revision that does not exist is not found",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/revisions/99` }),
    status: 404,
  }),
  tourCase({
    operation: "files.save",
    name: "an operator saves several files as one revision, on the newest as If-Match",
    as: "operator",
    request: (ctx) => ({
      method: "POST",
      path: `/api/v1/sites/${ctx.site}/revisions`,
      headers: { "if-match": '"1"' },
      body: { changes: [{ path: "one.yml", content: "# one\n" }, { path: "two.yml", content: "# two\n" }], message: "two files" },
    }),
    status: 201,
    check: async (res, ctx) => {
      assert.equal((res.body as { revision: number }).revision, 2);
      assert.equal(res.headers.get("etag"), '"2"');
      const { files } = await ctx.services.sites.files(ctx.site);
      assert.deepEqual(files.map((f) => f.path), ["one.yml", "site.yml", "two.yml"]);
    },
  }),
  tourCase({
    operation: "files.save",
    name: "a save on a stale base is refused with 412 and writes nothing",
    as: "operator",
    setup: (ctx) => ctx.services.sites.save(ctx.site, { baseRevision: 1, changes: [{ path: "theirs.yml", content: "# theirs\n" }], author: "bo", message: "theirs" }),
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/revisions`, headers: { "if-match": '"1"' }, body: { changes: [{ path: "mine.yml", content: "# mine\n" }], message: "mine" } }),
    status: 412,
    check: async (res, ctx) => {
      assert.equal((res.body as { type: string }).type, "/api/docs#problem-precondition-failed");
      assert.equal(await ctx.services.sites.head(ctx.site), 2);
      assert.ok(!(await ctx.services.sites.files(ctx.site)).files.some((f) => f.path === "mine.yml"));
    },
  }),
];
