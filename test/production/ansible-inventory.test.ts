/**
 * The Ansible inventory routes in the production build (Next's bundle has its own copy of the export modules):
 * a viewer's token gets the same bundle bytes as the CLI, a bad filter is a 400 with its code, an anonymous
 * caller a 401, and nothing reaches the server's log as a stack trace.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { bundleTgz } from "../../server/ansible/export/archive";
import { ansibleBundle } from "../../server/ansible/export/bundle";
import { loadSite, readSiteDir } from "../../server/inventory";
import { Client } from "../api/client";
import { ADMIN_PASSWORD, productionSkipReason, startProductionServer, type ProductionServer } from "./server";

describe("Ansible inventory routes over the production build", { skip: productionSkipReason() }, () => {
  let server: ProductionServer;
  let token: Client;

  before(async () => {
    server = await startProductionServer();
    const admin = new Client(server.url, "admin");
    assert.equal(await admin.signIn("admin", ADMIN_PASSWORD), 200);
    const created = await admin.ok<{ id: string }>("users.create", { username: "viewer1", password: "a-password-of-test" });
    await admin.ok("members.set", { slug: "ha-kvm", userId: created.id, role: "viewer" });
    const viewer = new Client(server.url, "viewer1");
    assert.equal(await viewer.signIn("viewer1", "a-password-of-test"), 200);
    token = new Client(server.url, "token", (await viewer.ok<{ token: string }>("tokens.create", { name: "ci", site: "ha-kvm", role: "viewer" })).token);
  });
  after(async () => {
    await server?.close();
  });

  test("inventory.tgz: the CLI's bytes for the demo site", async () => {
    const r = await token.rest("GET", "/api/v1/sites/ha-kvm/inventory.tgz");
    assert.equal(r.status, 200);
    const site = loadSite(readSiteDir(join(import.meta.dirname, "../../examples/ha-kvm")));
    assert.deepEqual(r.body, Buffer.from(bundleTgz(ansibleBundle(site))));
  });

  test("inventory.json: filters, and refusals with their status and code", async () => {
    const ok = await token.rest("GET", "/api/v1/sites/ha-kvm/inventory.json?group=hypervisors");
    assert.equal(ok.status, 200);
    assert.deepEqual((ok.body as { all: { hosts: string[] } }).all.hosts, ["kvm-1", "kvm-2"]);
    const bad = await token.rest("GET", "/api/v1/sites/ha-kvm/inventory.json?selector=nonsense");
    // Refusals are RFC 9457 problem documents, told apart by their type.
    assert.deepEqual([bad.status, (bad.body as { type: string }).type], [400, "/api/docs#problem-invalid-input"]);
    const anonymous = await new Client(server.url, "anonymous").rest("GET", "/api/v1/sites/ha-kvm/inventory.zip");
    assert.deepEqual([anonymous.status, (anonymous.body as { type: string }).type], [401, "/api/docs#problem-unauthorized"]);
    const unknown = await token.rest("GET", "/api/v1/sites/nope/inventory.json");
    assert.deepEqual([unknown.status, (unknown.body as { type: string }).type], [404, "/api/docs#problem-not-found"]);
    assert.doesNotMatch(server.log(), /\n\s+at .*\(/, "no stack trace in the server's log");
  });
});
