/** REST tour (part B): hosts listed, read and edited in the site's YAML over /api/v1. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tourCase, type TourCase, type TourContext } from "./types";

const files = async (ctx: TourContext) => (await ctx.services.sites.files(ctx.site)).files.find((f) => f.path === "site.yml")!.content;
interface Page {
  items: { name: string }[];
  nextCursor: string | null;
  next?: string;
}

/** A commented inventory beside the tour site's own file (its hosts a, b, c stay where they are). */
const COMMENTED = [
  "# Racks of the lab. Keep these comments.",
  "kind: inventory",
  "api_version: v1beta1",
  "spec:",
  "  hosts:",
  "  - name: r-1   # rack 1",
  "    labels: {role: web}",
  "",
  "  # spare machines below",
  "  groups:",
  "  - name: web",
  "    members: [r-1]   # the front",
  "",
].join("\n");

/** `flightdeck resolve --json` of the site as GET /api/v1/sites/{slug}/export gives it. */
async function resolveExported(ctx: TourContext): Promise<Record<string, { groups: string[]; labels: Record<string, string> }>> {
  const res = await fetch(`${ctx.url}/api/v1/sites/${ctx.site}/export`, { headers: ctx.clients.viewer.headers() });
  assert.equal(res.status, 200);
  const dir = mkdtempSync(join(tmpdir(), "fd-tour-export-"));
  try {
    writeFileSync(join(dir, "site.tgz"), Buffer.from(await res.arrayBuffer()));
    mkdirSync(join(dir, "site"));
    const tar = spawnSync("tar", ["-xzf", join(dir, "site.tgz"), "-C", join(dir, "site")], { encoding: "utf8" });
    assert.equal(tar.status, 0, tar.stderr);
    const r = spawnSync(process.execPath, [join(process.cwd(), "bin", "flightdeck.mjs"), "resolve", join(dir, "site"), "--json"], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { hosts: Record<string, { groups: string[]; labels: Record<string, string> }> }).hosts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const cases: TourCase[] = [
  tourCase({
    operation: "hosts.create",
    name: "a host added through REST keeps every comment of its file and appears in `flightdeck resolve` of the exported site",
    as: "operator",
    setup: async (ctx) => {
      await ctx.services.sites.save(ctx.site, { baseRevision: 1, changes: [{ path: "racks.yml", content: COMMENTED }], author: "t", message: "racks" });
    },
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/hosts`, headers: { "If-Match": '"2"' }, body: { name: "r-2", groups: ["web"], labels: { role: "web" }, file: "racks.yml" } }),
    status: 201,
    check: async (res, ctx) => {
      const text = (await ctx.services.sites.files(ctx.site)).files.find((f) => f.path === "racks.yml")!.content;
      assert.equal(text, COMMENTED.replace("    labels: {role: web}\n", "    labels: {role: web}\n  - name: r-2\n    labels: {role: web}\n").replace("[r-1]", "[r-1, r-2]"));
      const hosts = await resolveExported(ctx);
      assert.deepEqual(hosts["r-2"]?.groups, ["all", "web"]);
      assert.deepEqual(hosts["r-2"]?.labels, { role: "web" });
    },
  }),
  tourCase({
    operation: "hosts.search",
    name: "a viewer lists hosts a page at a time, with a Link to the next page",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/hosts`, query: { limit: 2 } }),
    status: 200,
    check: async (res, ctx) => {
      const page = res.body as Page;
      assert.deepEqual(page.items.map((h) => h.name), ["a", "b"]);
      assert.ok(page.nextCursor);
      assert.match(res.headers.get("link") ?? "", /rel="next"/);
      assert.equal(res.headers.get("etag"), '"1"');
      const rest = await fetch(`${ctx.url}/api/v1/sites/${ctx.site}/hosts?limit=2&cursor=${page.nextCursor}`, { headers: ctx.clients.viewer.headers() });
      assert.deepEqual(((await rest.json()) as Page).items.map((h) => h.name), ["c"]);
    },
  }),
  tourCase({
    operation: "hosts.search",
    name: "filters: glob, label selector, repeated variable conditions",
    as: "viewer",
    setup: async (ctx) => {
      await ctx.clients.operator.ok("hosts.update", { slug: ctx.site, name: "b", labels: { role: "web" }, data: { rack: "r1" } });
    },
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/hosts`, query: { glob: "[ab]", selector: "role=web", vars: ["vars.rack=r1", "rack!=r2"] } }),
    status: 200,
    check: (res) => assert.deepEqual((res.body as Page).items.map((h) => h.name), ["b"]),
  }),
  tourCase({
    operation: "hosts.search",
    name: "a selector that does not parse names the field",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/hosts`, query: { selector: "role=(web" } }),
    status: 400,
    check: (res) => assert.match((res.body as { detail: string }).detail, /selector/),
  }),
  tourCase({
    operation: "hosts.get",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/hosts/a` }),
    status: 200,
    check: (res) => {
      const body = res.body as { host: { groups: string[] }; connection: { key: string; origin: { level: string } }[] };
      assert.deepEqual(body.host.groups, ["all"]);
      assert.equal(body.connection.find((r) => r.key === "transport")?.origin.level, "all");
      assert.equal(res.headers.get("etag"), '"1"');
    },
  }),
  tourCase({
    operation: "hosts.get",
    name: "an unknown host is a not-found problem",
    as: "viewer",
    request: (ctx) => ({ method: "GET", path: `/api/v1/sites/${ctx.site}/hosts/nope` }),
    status: 404,
  }),
  tourCase({
    operation: "hosts.create",
    name: "an operator adds a host with If-Match: the file's other bytes stay, the new revision is the ETag",
    as: "operator",
    setup: files,
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/hosts`, headers: { "If-Match": '"1"' }, body: { name: "d", labels: { role: "web" }, connection: { address: "127.0.0.1" }, data: { rack: "r1" } } }),
    status: 201,
    check: async (res, ctx, before) => {
      assert.equal(res.headers.get("etag"), '"2"');
      assert.equal((res.body as { revision: number }).revision, 2);
      assert.equal(await files(ctx), before.replace("{name: c}]", "{name: c}, {name: d, labels: {role: web}, connection: {address: 127.0.0.1}, data: {rack: r1}}]"));
    },
  }),
  tourCase({
    operation: "hosts.create",
    name: "a viewer may not add a host",
    as: "viewer",
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/hosts`, body: { name: "d" } }),
    status: 403,
  }),
  tourCase({
    operation: "hosts.create",
    name: "a stale If-Match is a failed precondition and saves nothing",
    as: "operator",
    setup: async (ctx) => ctx.clients.operator.ok("hosts.create", { slug: ctx.site, name: "d" }),
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/hosts`, headers: { "If-Match": '"1"' }, body: { name: "e" } }),
    status: 412,
    check: async (res, ctx) => assert.equal(await ctx.services.sites.head(ctx.site), 2),
  }),
  tourCase({
    operation: "hosts.create",
    name: "a bad name and an unknown group are named in the problem",
    as: "operator",
    request: (ctx) => ({ method: "POST", path: `/api/v1/sites/${ctx.site}/hosts`, body: { name: "-d", groups: ["nope"] } }),
    status: 400,
    check: (res) => assert.match(JSON.stringify(res.body), /\/name/),
  }),
  tourCase({
    operation: "hosts.update",
    as: "operator",
    request: (ctx) => ({ method: "PATCH", path: `/api/v1/sites/${ctx.site}/hosts/a`, body: { labels: { role: "db" }, data: { rack: "r2" } } }),
    status: 200,
    check: async (res, ctx) => {
      assert.equal((res.body as { message: string }).message, "update host a");
      assert.match(await files(ctx), /hosts: \[\{name: a, labels: \{role: db\}, data: \{rack: r2\}\}, \{name: b\}, \{name: c\}\]/);
    },
  }),
  tourCase({
    operation: "hosts.delete",
    as: "operator",
    request: (ctx) => ({ method: "DELETE", path: `/api/v1/sites/${ctx.site}/hosts/c`, headers: { "If-Match": "1" } }),
    status: 200,
    check: async (res, ctx) => {
      assert.equal(res.headers.get("etag"), '"2"');
      assert.match(await files(ctx), /hosts: \[\{name: a\}, \{name: b\}\]\n/);
    },
  }),
];
