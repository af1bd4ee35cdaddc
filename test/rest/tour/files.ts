/** REST tour: files (part D). */
import assert from "node:assert/strict";
import { tourCase, type TourCase } from "./types";

interface File {
  path: string;
  content: string;
  revision: number;
}

export const cases: TourCase[] = [
  tourCase({
    operation: "files.page",
    name: "a viewer lists a revision's files; the ETag is the revision",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/files`, query: { revision: 1 } }),
    status: 200,
    check: (res) => {
      const body = res.body as { revision: number; items: File[]; nextCursor: string | null };
      assert.equal(body.revision, 1);
      assert.deepEqual(body.items.map((f) => f.path), ["site.yml"]);
      assert.equal(body.nextCursor, null);
      assert.equal(res.headers.get("etag"), '"1"');
    },
  }),
  tourCase({
    operation: "files.page",
    name: "the next page of files is of the first page's revision, by path, with contents",
    as: "viewer",
    setup: (ctx) => ctx.services.sites.save(ctx.site, { baseRevision: 1, changes: [{ path: "group_vars/all.yml", content: "# all\n" }, { path: "b.yml", content: "# b\n" }], author: "t", message: "m" }),
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/files`, query: { limit: 2 } }),
    status: 200,
    check: async (res, ctx) => {
      type FilePage = { revision: number; items: File[]; nextCursor: string | null; next: string | null };
      const first = res.body as FilePage;
      assert.deepEqual([first.revision, first.items.map((f) => f.path)], [2, ["b.yml", "group_vars/all.yml"]]);
      assert.equal(first.items[0]!.content, "# b\n");
      assert.ok(first.next);
      await ctx.services.sites.save(ctx.site, { baseRevision: 2, changes: [{ path: "c.yml", content: "# c\n" }], author: "t", message: "between pages" });
      const second = (await ctx.clients.viewer.rest("GET", first.next)).body as FilePage;
      assert.deepEqual([second.revision, second.items.map((f) => f.path), second.nextCursor], [2, ["site.yml"], null]);
    },
  }),
  tourCase({
    operation: "files.get",
    name: "a viewer reads one file in a folder (its slash encoded)",
    as: "viewer",
    setup: (ctx) => ctx.services.sites.save(ctx.site, { baseRevision: 1, changes: [{ path: "group_vars/all.yml", content: "# all\n" }], author: "t", message: "m" }),
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/files/${encodeURIComponent("group_vars/all.yml")}` }),
    status: 200,
    check: (res) => {
      assert.deepEqual(res.body, { path: "group_vars/all.yml", content: "# all\n", revision: 2 });
      assert.equal(res.headers.get("etag"), '"2"');
    },
  }),
  tourCase({
    operation: "files.put",
    name: "two writers with the same If-Match: one wins, the other gets 412, nothing is lost",
    as: "operator",
    // The other writer (a site admin) saves first, on the same base the operator read.
    setup: async (ctx) => {
      const first = await ctx.clients.siteadmin.rest("GET", `/api/v1/sites/${ctx.site}/files/site.yml`);
      const etag = `"${(first.body as File).revision}"`;
      const res = await fetch(`${ctx.url}/api/v1/sites/${ctx.site}/files/admin.yml`, {
        method: "PUT",
        headers: ctx.clients.siteadmin.headers({ "content-type": "application/json", "if-match": etag }),
        body: JSON.stringify({ content: "# admin\n", message: "admin's" }),
      });
      assert.equal(res.status, 200);
      return etag;
    },
    request: (ctx, etag) => ({ method: "PUT", path: `/api/v1/sites/${ctx.site}/files/site.yml`, headers: { "if-match": etag }, body: { content: "# replaced\n" } }),
    status: 412,
    check: async (res, ctx) => {
      assert.equal((res.body as { type: string }).type, "/api/docs#problem-precondition-failed");
      const { revision, files } = await ctx.services.sites.files(ctx.site);
      assert.equal(revision, 2, "only the winner's revision");
      assert.equal(files.find((f) => f.path === "admin.yml")?.content, "# admin\n", "the winner's file is kept");
      assert.notEqual(files.find((f) => f.path === "site.yml")?.content, "# replaced\n", "the loser wrote nothing");
    },
  }),
  tourCase({
    operation: "files.put",
    name: "an operator writes one file on the newest revision",
    as: "operator",
    request: (ctx) => ({ method: "PUT", path: `/api/v1/sites/${ctx.site}/files/notes.yml`, headers: { "if-match": '"1"' }, body: { content: "# notes\n", message: "notes" } }),
    status: 200,
    check: async (res, ctx) => {
      assert.equal((res.body as { revision: number }).revision, 2);
      assert.equal(res.headers.get("etag"), '"2"');
      const revisions = await ctx.services.sites.revisions(ctx.site);
      assert.deepEqual([revisions[0]!.author, revisions[0]!.message], ["operator", "notes"]);
    },
  }),
  tourCase({
    operation: "files.put",
    name: "a viewer cannot write",
    as: "viewer",
    request: (ctx) => ({ method: "PUT", path: `/api/v1/sites/${ctx.site}/files/notes.yml`, headers: { "if-match": '"1"' }, body: { content: "# notes\n" } }),
    status: 403,
  }),
  tourCase({
    operation: "files.delete",
    name: "an operator deletes a file on the newest revision",
    as: "operator",
    setup: (ctx) => ctx.services.sites.save(ctx.site, { baseRevision: 1, changes: [{ path: "old.yml", content: "# old\n" }], author: "t", message: "m" }),
    request: (ctx) => ({ method: "DELETE", path: `/api/v1/sites/${ctx.site}/files/old.yml`, headers: { "if-match": '"2"' } }),
    status: 200,
    check: async (res, ctx) => {
      assert.equal(res.headers.get("etag"), '"3"');
      assert.deepEqual((await ctx.services.sites.files(ctx.site)).files.map((f) => f.path), ["site.yml"]);
    },
  }),
  tourCase({
    operation: "files.delete",
    name: "deleting a file that is not there is not found, and saves nothing",
    as: "operator",
    request: (ctx) => ({ method: "DELETE", path: `/api/v1/sites/${ctx.site}/files/nope.yml`, headers: { "if-match": '"1"' } }),
    status: 404,
    check: async (res, ctx) => assert.equal(await ctx.services.sites.head(ctx.site), 1),
  }),
];
