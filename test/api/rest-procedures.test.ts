/**
 * The REST procedures of sites, runs, files, revisions, secrets and audit through createCaller: the shapes the
 * REST operations answer (validated by their output schemas), cursor pagination that returns every run and audit
 * entry exactly once, and If-Match: two writers on the same base, one wins, one gets 412, nothing is lost.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { TRPCError } from "@trpc/server";
import { readEnv } from "../../server/env";
import { createServices } from "../../server/services";
import { localInventory, workflow } from "../engine/fleet-site";
import { asUser } from "./callers";

const SITE = `${localInventory(["a", "b", "c"])}---
${workflow(`  - {name: one, action: cmd.run, params: {cmd: "true"}}`, "", "[all]", "dep")}---
${workflow(`  - {name: two, action: cmd.run, params: {cmd: "true"}}`, "", "[all]", "other").replace("name: b\n", "name: b2\n").replace("blueprint: b", "blueprint: b2")}`;

const dir = mkdtempSync(join(tmpdir(), "fd-rest-procs-"));
const services = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "" }));
await services.sites.create({ slug: "alpha", name: "Alpha", files: [{ path: "site.yml", content: SITE }], author: "seed", message: "seed" });
await services.sites.setLocalExecution("alpha", true);
const admin = await asUser(services, "root", { isAdmin: true });
const ana = await asUser(services, "ana", { roles: { alpha: "operator" } });
const bo = await asUser(services, "bo", { roles: { alpha: "operator" } });

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TRPCError, String(e));
    return e.code;
  }
  return "no error";
}

describe("REST procedures over a real store", () => {
  after(async () => {
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("sites.list, get and settings answer their REST shapes", async () => {
    const [site] = await ana.api.sites.list();
    assert.equal(site!.slug, "alpha");
    assert.equal(site!.role, "operator");
    assert.equal(typeof site!.createdAt, "string", "timestamps are ISO strings, as JSON carries them");
    assert.ok(!Number.isNaN(Date.parse(site!.updatedAt)));
    assert.equal((await admin.api.sites.get({ slug: "alpha" })).revision, 1);
    assert.deepEqual(await admin.api.sites.settings({ slug: "alpha", parallelRuns: 3 }), { approvalsRequired: 1, parallelRuns: 3 });
  });

  test("runs.launch answers what `flightdeck launch` reads; runs.status the run's outcome", async () => {
    const launched = await ana.api.runs.launch({ slug: "alpha", deployment: "dep", reason: "ci" });
    assert.deepEqual(launched, { id: launched.id, status: "awaiting_approval", revision: 1, deployment: "dep", url: `/sites/alpha/runs/${launched.id}` });
    const status = await ana.api.runs.status({ id: launched.id });
    assert.equal(status.site, "alpha");
    assert.equal(status.requestedBy, "ana");
    assert.equal(status.startedAt, null);
    assert.deepEqual(Object.keys(status.hosts).sort(), ["a", "b", "c"]);
    assert.equal(status.hosts.a!.status, "pending");
    assert.equal(typeof status.lastSeq, "number");
    assert.deepEqual((await ana.api.runs.events({ id: launched.id, after: 0 })).map((e) => e.seq), Array.from({ length: status.lastSeq }, (_, i) => i + 1));
    await ana.api.runs.cancel({ id: launched.id });
  });

  test("runs.page: filters, and every run exactly once across pages", async () => {
    for (let i = 0; i < 7; i++) await (i % 2 ? bo : ana).api.runs.launch({ slug: "alpha", deployment: i % 3 ? "dep" : "other" });
    const all = await services.runs.list("alpha", 1000);
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 20; n++) {
      const page = await ana.api.runs.page({ slug: "alpha", limit: 3, cursor });
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((r) => r.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    assert.deepEqual(seen, all.map((r) => r.id), "every run once, newest first");
    const bos = await ana.api.runs.page({ slug: "alpha", requestedBy: "bo", deployment: "dep", status: "awaiting_approval", limit: 50 });
    assert.deepEqual(bos.items.map((r) => r.id), all.filter((r) => r.requestedBy === "bo" && r.deployment === "dep" && r.status === "awaiting_approval").map((r) => r.id));
    assert.ok(bos.items.length > 0);
    assert.equal(bos.nextCursor, null);
    assert.deepEqual((await ana.api.runs.page({ slug: "alpha", since: new Date(Date.now() + 60_000).toISOString() })).items, []);
    assert.equal(await code(ana.api.runs.page({ slug: "alpha", cursor: "not-ours" })), "BAD_REQUEST");
  });

  test("If-Match: two writers on the same base, one wins, one gets 412, nothing is lost", async () => {
    const base = (await ana.api.files.get({ slug: "alpha", path: "site.yml" })).revision;
    const results = await Promise.allSettled([
      ana.api.files.put({ slug: "alpha", path: "ana.yml", baseRevision: base, content: "# ana\n" }),
      bo.api.files.save({ slug: "alpha", baseRevision: base, changes: [{ path: "bo.yml", content: "# bo\n" }], message: "bo" }),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    assert.equal(won.length, 1, JSON.stringify(results));
    assert.equal((lost[0]!.reason as TRPCError).code, "PRECONDITION_FAILED");
    assert.match((lost[0]!.reason as Error).message, /since you started editing revision/);
    const saved = (won[0] as PromiseFulfilledResult<{ revision: number; number: number }>).value;
    assert.equal(saved.revision, base + 1);
    assert.equal(saved.number, saved.revision);
    const { files } = await ana.api.files.list({ slug: "alpha" });
    assert.equal(files.filter((f) => f.path === "ana.yml" || f.path === "bo.yml").length, 1, "only the winner's file");
    assert.ok(files.some((f) => f.path === "site.yml"), "the site's file is intact");
    // The loser retries on the new head and both changes are kept.
    const loser = lost[0] === results[0] ? () => ana.api.files.put({ slug: "alpha", path: "ana.yml", baseRevision: saved.revision, content: "# ana\n" }) : () => bo.api.files.save({ slug: "alpha", baseRevision: saved.revision, changes: [{ path: "bo.yml", content: "# bo\n" }], message: "bo" });
    await loser();
    const paths = (await ana.api.files.list({ slug: "alpha" })).files.map((f) => f.path);
    assert.ok(paths.includes("ana.yml") && paths.includes("bo.yml"), paths.join());
    assert.deepEqual((await ana.api.revisions.get({ slug: "alpha", revision: saved.revision + 1 })).number, saved.revision + 1);
    assert.equal(await code(ana.api.revisions.get({ slug: "alpha", revision: 999 })), "NOT_FOUND");
    assert.equal(await code(ana.api.files.get({ slug: "alpha", path: "nope.yml" })), "NOT_FOUND");
  });

  test("audit.list: every entry once across pages; a non-admin reads nothing, a site admin their site's", async () => {
    const all = (await admin.api.audit.query({ limit: 500 })).entries;
    assert.ok(all.length > 8);
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 100; n++) {
      const page = await admin.api.audit.list({ limit: 4, cursor });
      seen.push(...page.items.map((e) => e.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    assert.deepEqual(seen, all.map((e) => e.id));
    const runs = await admin.api.audit.list({ action: "run.", limit: 500 });
    assert.ok(runs.items.length > 0 && runs.items.every((e) => e.action.startsWith("run.")));
    assert.deepEqual((await ana.api.audit.list({})).items, [], "an operator administers no site");
    const siteAdmin = await asUser(services, "cy", { roles: { alpha: "admin" } });
    const theirs = await siteAdmin.api.audit.list({ limit: 500 });
    assert.ok(theirs.items.length > 0 && theirs.items.every((e) => e.site === "alpha"));
  });
});
