import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { TRPCError } from "@trpc/server";
import type { SiteRevisionEvent } from "../../server/broadcaster";
import { readEnv } from "../../server/env";
import { readSiteDir } from "../../server/inventory";
import { createServices } from "../../server/services";
import { asUser } from "./callers";

const dir = mkdtempSync(join(tmpdir(), "fd-api-"));
// The demo's MAAS region reads env:MAAS_API_KEY: allowed here as npm start allows it.
const services = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "", FLIGHTDECK_ENV_ALLOW: "MAAS_API_KEY" }));
const { sites, broadcaster } = services;
const events: SiteRevisionEvent[] = [];
broadcaster.siteRevision = (e) => void events.push(e);
const { api } = await asUser(services, "ana", { isAdmin: true });
await sites.create({ slug: "demo", name: "Demo", files: readSiteDir("examples/ha-kvm"), author: "seed", message: "seed" });

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TRPCError, String(e));
    return e.code;
  }
  return "no error";
}

describe("tRPC routers over a real store", () => {
  after(async () => {
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("lint applies unsaved buffers and returns located diagnostics", async () => {
    const { files } = await api.files.list({ slug: "demo" });
    const inventory = files.find((f) => f.path === "inventory.yml")!.content;
    const diagnostics = await api.files.lint({ slug: "demo", changes: [{ path: "inventory.yml", content: inventory.replace("members: [kvm-1", "memebers: [kvm-1") }] });
    const d = diagnostics.find((x) => x.message.startsWith("unknown field 'memebers'"));
    assert.ok(d, JSON.stringify(diagnostics));
    assert.equal(d.file, "inventory.yml");
    assert.equal(d.line, inventory.split("\n").findIndex((l) => l.includes("members: [kvm-1")) + 1);
    assert.equal(d.col, 5);
    // The demo's hosts run on the server itself: refused, where it is written, until a server admin allows it.
    const [local, ...others] = await api.files.lint({ slug: "demo", changes: [] });
    assert.deepEqual(others, []);
    assert.match(local!.message, /^transport: local runs commands on the Flightdeck server itself.*"Local execution"/);
    assert.deepEqual([local!.file, local!.line], ["inventory.yml", inventory.split("\n").findIndex((l) => l.includes("connection: {transport: local}")) + 1]);
    const plans = await api.runs.deployments({ slug: "demo" });
    assert.match(plans.deployments[0]!.problem!, /inventory\.yml:\d+:\d+: error: transport: local runs commands/);
    await api.sites.localExecution({ slug: "demo", enabled: true });
    assert.deepEqual(await api.files.lint({ slug: "demo", changes: [] }), [], "the saved demo is clean where local execution is allowed");
    assert.equal((await api.runs.deployments({ slug: "demo" })).deployments[0]!.problem, null);
  });

  test("save creates a revision and tells watchers", async () => {
    const saved = await api.files.save({ slug: "demo", baseRevision: 1, changes: [{ path: "extra.yml", content: "kind: profile\napi_version: v1beta1\nspec:\n  name: extra\n" }], message: "add extra" });
    assert.equal(saved.number, 2);
    assert.deepEqual(events, [{ site: "demo", revision: 2, author: "ana", message: "add extra" }]);
  });

  test("domain errors reach clients as meaningful codes", async () => {
    assert.equal(await code(api.sites.get({ slug: "missing" })), "NOT_FOUND");
    assert.equal(await code(api.files.save({ slug: "demo", baseRevision: 1, changes: [{ path: "a.yml", content: "" }], message: "stale" })), "PRECONDITION_FAILED");
    assert.equal(await code(api.files.save({ slug: "demo", baseRevision: 2, changes: [{ path: "../a.yml", content: "" }], message: "" })), "BAD_REQUEST");
    assert.equal(await code(api.sites.importPath({ slug: "x", name: "x", path: "/definitely/not/here" })), "BAD_REQUEST");
    assert.equal(await code(api.hosts.get({ slug: "demo", name: "nope" })), "NOT_FOUND");
  });

  test("a host's values come with their origins", async () => {
    const { host, vars, connection } = await api.hosts.get({ slug: "demo", name: "kvm-1" });
    assert.deepEqual(host.groups, ["all", "hypervisors"]);
    const forwarding = vars.find((r) => r.key === 'sysctl["net.ipv4.ip_forward"]');
    assert.deepEqual(forwarding && { value: forwarding.value, level: forwarding.origin.level, source: forwarding.origin.source, file: forwarding.origin.file }, { value: 1, level: "profile", source: "kvm-host", file: "profiles.yml" });
    assert.equal(connection.find((r) => r.key === "transport")?.origin.level, "all");
    assert.equal(connection.find((r) => r.key === "host_key_checking")?.origin.level, "default");
    const list = await api.hosts.list({ slug: "demo" });
    assert.equal(list.hosts.length, 8);
    assert.equal(list.hosts.find((h) => h.name === "kvm-2")?.address, "192.168.100.12");
  });

  test("the editor's JSON Schema knows every document kind", async () => {
    const schema = JSON.stringify(await api.files.schema());
    for (const field of ["members", "children", "host_key_checking", "parent"]) assert.ok(schema.includes(`"${field}"`), field);
  });
  test("site settings: runs at once (1..64) and approvals, each change audited on its own; an empty change is refused", async () => {
    assert.equal((await api.sites.get({ slug: "demo" })).parallelRuns, 1);
    await api.sites.settings({ slug: "demo", parallelRuns: 3 });
    assert.equal((await api.sites.get({ slug: "demo" })).parallelRuns, 3);
    const { entries } = await api.audit.query({ site: "demo", action: "site.settings" });
    assert.equal(entries[0]?.target, "runs at once");
    assert.deepEqual(entries[0]?.detail, { from: 1, to: 3 });
    assert.equal(await code(api.sites.settings({ slug: "demo", parallelRuns: 0 })), "BAD_REQUEST");
    assert.equal(await code(api.sites.settings({ slug: "demo", parallelRuns: 65 })), "BAD_REQUEST");
    assert.equal(await code(api.sites.settings({ slug: "demo" })), "BAD_REQUEST");
    // Saving the same value again changes nothing and says nothing in the log.
    await api.sites.settings({ slug: "demo", parallelRuns: 3 });
    assert.equal((await api.audit.query({ site: "demo", action: "site.settings" })).entries.length, entries.length);
  });
});
