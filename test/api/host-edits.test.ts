/**
 * Hosts, groups and variables edited through the procedures (as REST and the dashboard call them): the site's
 * YAML changed in place and saved as a revision by the caller, with If-Match semantics, audit and broadcast.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { TRPCError } from "@trpc/server";
import type { SiteRevisionEvent } from "../../server/broadcaster";
import { readEnv } from "../../server/env";
import { createServices } from "../../server/services";
import { writeTgz } from "../../server/store/archive";
import { asUser } from "./callers";

const dir = mkdtempSync(join(tmpdir(), "fd-host-edits-"));
const services = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "" }));
const events: SiteRevisionEvent[] = [];
services.broadcaster.siteRevision = (e) => void events.push(e);

const INVENTORY = [
  "# Lab inventory: keep these comments.",
  "kind: inventory",
  "api_version: v1beta1",
  "spec:",
  "  hosts:",
  "  - name: web-1        # rack A",
  "    labels: {role: web, env: prod}",
  "    data: {rack: r1}",
  "",
  "  # the second web server",
  "  - name: web-2",
  "    labels: {role: web, env: test}",
  "    data: {rack: r2}",
  "  - name: db-1",
  "    labels: {role: db}",
  "    profile: base",
  "  groups:",
  "  - name: web",
  "    members: [web-1, web-2]  # front",
  "  - name: db",
  "    members: [db-1]",
  "",
].join("\n");
const PROFILES = "kind: profile\napi_version: v1beta1\nspec:\n  name: base\n  data: {ntp: pool.ntp.org}\n";

const admin = await asUser(services, "ana", { isAdmin: true });
const operator = await asUser(services, "olga");
const other = await asUser(services, "otto");
const viewer = await asUser(services, "vic");
async function newSite(slug: string) {
  await services.sites.create({ slug, name: slug, files: [{ path: "inventory.yml", content: INVENTORY }, { path: "profiles.yml", content: PROFILES }], author: "seed", message: "seed" });
  for (const [u, role] of [[operator, "operator"], [other, "operator"], [viewer, "viewer"]] as const) await services.auth.access.setRole(slug, u.id, role);
}

async function failure(p: Promise<unknown>): Promise<TRPCError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TRPCError, String(e));
    return e;
  }
  assert.fail("expected an error");
}

async function inventory(slug: string): Promise<string> {
  return (await services.sites.files(slug)).files.find((f) => f.path === "inventory.yml")!.content;
}

/** Every line of `before` is in `after`, in order: comments, blank lines and formatting kept. */
function keepsEveryLine(before: string, after: string) {
  const rest = after.split("\n");
  let at = 0;
  for (const line of before.split("\n")) {
    const found = rest.indexOf(line, at);
    assert.ok(found >= 0, `line ${JSON.stringify(line)} is gone or out of order`);
    at = found + 1;
  }
}

after(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("hosts edited in the site's YAML", () => {
  test("an operator adds a host: comments kept, one revision by them, audited, broadcast", async () => {
    await newSite("lab");
    const out = await operator.api.hosts.create({ slug: "lab", name: "web-3", groups: ["web"], labels: { role: "web", env: "prod" }, data: { rack: "r1" }, profile: "base" });
    assert.deepEqual(out, { revision: 2, changed: true, message: "add host web-3", files: ["inventory.yml"], errors: 0, warnings: 0 });
    const after = await inventory("lab");
    keepsEveryLine(INVENTORY.replace("    members: [web-1, web-2]  # front\n", ""), after);
    assert.match(after, /members: \[web-1, web-2, web-3\] {2}# front/);
    assert.match(after, /profile: base\n {2}- name: web-3\n {4}profile: base\n {4}labels: \{role: web, env: prod\}\n {4}data: \{rack: r1\}\n {2}groups:/);
    const revisions = await services.sites.revisions("lab");
    assert.deepEqual([revisions[0]!.author, revisions[0]!.message], ["olga", "add host web-3"]);
    assert.deepEqual(events.at(-1), { site: "lab", revision: 2, author: "olga", message: "add host web-3" });
    const { entries } = await admin.api.audit.query({ site: "lab", action: "host.created" });
    assert.deepEqual([entries[0]?.target, entries[0]?.actor], ["web-3", "olga"]);
    const got = await viewer.api.hosts.get({ slug: "lab", name: "web-3" });
    assert.deepEqual(got.host.groups, ["all", "web"]);
    assert.deepEqual(got.vars.find((v) => v.key === "ntp")?.origin.source, "base");
  });

  test("a viewer cannot write: refused before anything is saved", async () => {
    const head = await services.sites.head("lab");
    assert.equal((await failure(viewer.api.hosts.create({ slug: "lab", name: "x" }))).code, "FORBIDDEN");
    assert.equal((await failure(viewer.api.hosts.delete({ slug: "lab", name: "web-1" }))).code, "FORBIDDEN");
    assert.equal((await failure(viewer.api.groups.create({ slug: "lab", name: "g" }))).code, "FORBIDDEN");
    assert.equal((await failure(viewer.api.vars.set({ slug: "lab", level: "host", name: "web-1", key: "a", value: 1 }))).code, "FORBIDDEN");
    assert.equal(await services.sites.head("lab"), head);
  });

  test("two writers on the same base revision: one wins, the other gets a failed precondition, nothing is lost", async () => {
    const base = await services.sites.head("lab");
    const [a, b] = await Promise.allSettled([
      operator.api.hosts.create({ slug: "lab", baseRevision: base, name: "app-1" }),
      other.api.hosts.create({ slug: "lab", baseRevision: base, name: "app-2" }),
    ]);
    const won = [a, b].filter((r) => r.status === "fulfilled");
    const lost = [a, b].filter((r) => r.status === "rejected");
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.equal(((lost[0] as PromiseRejectedResult).reason as TRPCError).code, "PRECONDITION_FAILED");
    assert.equal(await services.sites.head("lab"), base + 1);
    // The loser retries on the new head: both hosts are there.
    const loser = a.status === "rejected" ? { api: operator.api, name: "app-1" } : { api: other.api, name: "app-2" };
    await loser.api.hosts.create({ slug: "lab", baseRevision: base + 1, name: loser.name });
    const names = (await viewer.api.hosts.list({ slug: "lab" })).hosts.map((h) => h.name);
    assert.ok(names.includes("app-1") && names.includes("app-2"), names.join(","));
    // A stale base is refused up front too.
    assert.equal((await failure(operator.api.hosts.delete({ slug: "lab", baseRevision: base, name: "app-1" }))).code, "PRECONDITION_FAILED");
  });

  test("bad input names the field, and nothing is saved", async () => {
    const head = await services.sites.head("lab");
    const badName = await failure(operator.api.hosts.create({ slug: "lab", name: "-bad" }));
    assert.equal(badName.code, "BAD_REQUEST");
    assert.match(JSON.stringify(badName.cause), /name|must start with a letter/);
    const group = await failure(operator.api.hosts.create({ slug: "lab", name: "x", groups: ["web", "nope"] }));
    assert.match(group.message, /^groups\[1\]: no group 'nope'/);
    const dup = await failure(operator.api.hosts.create({ slug: "lab", name: "web-1" }));
    assert.equal(dup.message, "name: host 'web-1' already exists (inventory.yml:6:11)");
    const profile = await failure(operator.api.hosts.update({ slug: "lab", name: "web-1", profile: "nope" }));
    assert.match(profile.message, /^profile: no profile 'nope'/);
    // A change the model takes but lint refuses (local steps where this server does not allow them): listed, not saved.
    const lint = await failure(operator.api.hosts.update({ slug: "lab", name: "web-1", connection: { transport: "local" } }));
    assert.equal(lint.code, "BAD_REQUEST");
    assert.match(lint.message, /^update host web-1 would add 1 lint error, nothing saved: inventory\.yml:\d+:\d+: /);
    assert.equal((await failure(operator.api.hosts.update({ slug: "lab", name: "nope", labels: null }))).code, "NOT_FOUND");
    assert.equal(await services.sites.head("lab"), head);
  });

  test("update and delete: null removes a field; deleting leaves no name in member lists", async () => {
    await operator.api.hosts.update({ slug: "lab", name: "web-2", labels: null, groups: ["db"] });
    let text = await inventory("lab");
    assert.match(text, / {2}# the second web server\n {2}- name: web-2\n {4}data: \{rack: r2\}\n/);
    assert.match(text, /members: \[db-1, web-2\]/);
    await operator.api.hosts.delete({ slug: "lab", name: "web-2" });
    text = await inventory("lab");
    assert.doesNotMatch(text, /web-2/);
    assert.match(text, /# Lab inventory: keep these comments\./);
    const { entries } = await admin.api.audit.query({ site: "lab", action: "host.deleted" });
    assert.equal(entries[0]?.target, "web-2");
  });

  test("the host added appears in `flightdeck resolve` of the exported site", async () => {
    const { files } = await services.sites.files("lab");
    const out = join(dir, "exported");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(dir, "lab.tgz"), writeTgz(files, new Date()));
    const tar = spawnSync("tar", ["-xzf", join(dir, "lab.tgz"), "-C", out], { encoding: "utf8" });
    assert.equal(tar.status, 0, tar.stderr);
    const r = spawnSync(process.execPath, [join(process.cwd(), "bin", "flightdeck.mjs"), "resolve", out, "--host", "web-3", "--json"], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const host = (JSON.parse(r.stdout) as { hosts: Record<string, { groups: string[]; labels: Record<string, string>; vars: Record<string, unknown> }> }).hosts["web-3"]!;
    assert.deepEqual(host.groups, ["all", "web"]);
    assert.deepEqual(host.labels, { role: "web", env: "prod" });
    assert.deepEqual(host.vars, { ntp: "pool.ntp.org", rack: "r1" });
  });
});

describe("the host list's filters and pages", () => {
  test("group, label selector, variables, glob; pages by name with an opaque cursor", async () => {
    await newSite("filters");
    const names = async (q: Record<string, unknown>) => (await viewer.api.hosts.search({ slug: "filters", ...q })).items.map((h) => h.name);
    assert.deepEqual(await names({ group: "web" }), ["web-1", "web-2"]);
    assert.deepEqual(await names({ selector: "role=web,env!=prod" }), ["web-2"]);
    assert.deepEqual(await names({ selector: "role in (web, db),!env" }), ["db-1"]);
    assert.deepEqual(await names({ selector: "env notin (prod)" }), ["db-1", "web-2"]);
    assert.deepEqual(await names({ vars: ["vars.rack=r1"] }), ["web-1"]);
    assert.deepEqual(await names({ vars: ["ntp=pool.ntp.org", "rack!=r1"] }), ["db-1"]);
    assert.deepEqual(await names({ glob: "web-*" }), ["web-1", "web-2"]);
    assert.deepEqual(await names({ glob: "*-[12]", selector: "role=web" }), ["web-1", "web-2"]);
    assert.deepEqual(await names({ revision: 1 }), ["db-1", "web-1", "web-2"]);
    const first = await viewer.api.hosts.search({ slug: "filters", limit: 2 });
    assert.deepEqual([first.revision, first.items.map((h) => h.name)], [1, ["db-1", "web-1"]]);
    assert.ok(first.nextCursor);
    const second = await viewer.api.hosts.search({ slug: "filters", limit: 2, cursor: first.nextCursor });
    assert.deepEqual([second.items.map((h) => h.name), second.nextCursor], [["web-2"], null]);
    assert.match((await failure(viewer.api.hosts.search({ slug: "filters", selector: "role==" + "=x" }))).message, /^selector: /);
    assert.match((await failure(viewer.api.hosts.search({ slug: "filters", vars: ["rack=r1", "a b"] }))).message, /^vars\[1\]: /);
    assert.match((await failure(viewer.api.hosts.search({ slug: "filters", cursor: "bm9wZQ" }))).message, /^cursor: /);
    assert.equal((await failure(viewer.api.hosts.search({ slug: "filters", group: "nope" }))).code, "NOT_FOUND");
  });
});

describe("groups and variables", () => {
  test("the group tree; add with a parent, change, remove", async () => {
    await newSite("groups");
    const created = await operator.api.groups.create({ slug: "groups", name: "edge", parent: "web", members: ["web-1"], data: { zone: "a" } });
    assert.equal(created.message, "add group edge");
    const tree = await viewer.api.groups.list({ slug: "groups" });
    assert.deepEqual(
      tree.groups.map((g) => [g.name, g.parent, g.depth, g.hosts]),
      [["all", null, 0, 3], ["web", "all", 1, 2], ["edge", "web", 2, 1], ["db", "all", 1, 1]],
    );
    assert.deepEqual((await viewer.api.groups.get({ slug: "groups", name: "web" })).hostNames, ["web-1", "web-2"]);
    await operator.api.groups.update({ slug: "groups", name: "edge", parent: "db", members: ["db-1"] });
    assert.deepEqual((await viewer.api.groups.get({ slug: "groups", name: "db" })).group.children, ["edge"]);
    assert.match((await failure(operator.api.groups.create({ slug: "groups", name: "db" }))).message, /^name: group 'db' already exists \(inventory\.yml:\d+:\d+\)$/);
    assert.match((await failure(operator.api.groups.update({ slug: "groups", name: "db", members: ["ghost"] }))).message, /^members\[0\]: no host 'ghost'/);
    await operator.api.groups.delete({ slug: "groups", name: "edge" });
    const text = await inventory("groups");
    assert.doesNotMatch(text, /edge/);
    keepsEveryLine(INVENTORY, text.replace("    children: []\n", ""));
    const { entries } = await admin.api.audit.query({ site: "groups" });
    assert.deepEqual(entries.map((e) => e.action).slice(0, 3), ["group.deleted", "group.updated", "group.created"]);
  });

  test("a variable at host, group and profile level: get, set (dotted paths), delete", async () => {
    await newSite("vars");
    assert.deepEqual(await viewer.api.vars.get({ slug: "vars", level: "host", name: "web-1", key: "rack" }), { revision: 1, value: "r1", declared: "inventory.yml:8:12" });
    await operator.api.vars.set({ slug: "vars", level: "group", name: "web", key: "ntp.servers", value: ["10.0.0.1"] });
    await operator.api.vars.set({ slug: "vars", level: "profile", name: "base", key: "ntp", value: "time.lab" });
    const host = await viewer.api.hosts.get({ slug: "vars", name: "web-1" });
    assert.deepEqual(host.host.vars, { rack: "r1", ntp: { servers: ["10.0.0.1"] } });
    assert.deepEqual((await viewer.api.hosts.get({ slug: "vars", name: "db-1" })).host.vars.ntp, "time.lab");
    const removed = await operator.api.vars.delete({ slug: "vars", level: "host", name: "web-1", key: "rack" });
    assert.equal(removed.message, "delete rack from host web-1");
    assert.equal((await failure(viewer.api.vars.get({ slug: "vars", level: "host", name: "web-1", key: "rack" }))).code, "NOT_FOUND");
    assert.equal((await failure(operator.api.vars.delete({ slug: "vars", level: "host", name: "web-1", key: "rack" }))).code, "NOT_FOUND");
    const text = await inventory("vars");
    assert.match(text, / {2}- name: web-1 {8}# rack A\n {4}labels: \{role: web, env: prod\}\n {4}data: \{\}\n/);
    assert.match(text, /members: \[web-1, web-2\] {2}# front\n {4}data:\n {6}ntp:\n {8}servers: \[10\.0\.0\.1\]\n/);
  });
});
