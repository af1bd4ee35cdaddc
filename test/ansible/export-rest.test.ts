/**
 * GET /api/v1/sites/:id/inventory.tgz | .zip | .json over real HTTP: who may ask (a viewer's session or token;
 * 401 anonymous, 403 no role or a kiosk token, 404 unknown site), the filters (group, label selector, host glob;
 * 400 for one that names nothing the site has), the same bytes as the CLI, and secrets only ever as references.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { bundleTgz, bundleZip } from "../../server/ansible/export/archive";
import { ansibleBundle } from "../../server/ansible/export/bundle";
import { loadSite, readSiteDir, type SiteFile } from "../../server/inventory";
import { writeSecretsFile } from "../../server/secrets";
import { Client } from "../api/client";
import { startHttpServer } from "../api/http-server";
import { ansibleList, assertSameAsResolve, writeFiles } from "./export-helpers";

const PASSWORD = "correct horse battery";
const HA_KVM = readSiteDir(join(import.meta.dirname, "../../examples/ha-kvm"));

let server: Awaited<ReturnType<typeof startHttpServer>>;
const c: Record<string, Client> = {};

before(async () => {
  server = await startHttpServer();
  const { services, url } = server;
  await services.sites.create({ slug: "dc1", name: "DC1", files: HA_KVM, author: "t", message: "m" });
  const recipient = await identityToRecipient(await generateX25519Identity());
  const secrets = await writeSecretsFile(null, { db: { password: "rest-secret-value" } }, [recipient, ...(await services.serverIdentity).recipients]);
  const withSecrets: SiteFile[] = [
    { path: "inv.yml", content: "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - {name: a, data: {db_password: \"secret:db.password\"}}\n" },
    { path: "secrets.yml", content: secrets },
  ];
  await services.sites.create({ slug: "vaulted", name: "Vaulted", files: withSecrets, author: "t", message: "m" });
  await services.sites.create({ slug: "broken", name: "Broken", files: [{ path: "inv.yml", content: "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - {name: a, profile: nope}\n" }], author: "t", message: "m" });
  const admin = new Client(url, "admin", undefined, "127.0.0.2");
  assert.equal(await admin.signIn("admin", "admin-password-1"), 200);
  c.admin = admin;
  let n = 3;
  for (const [name, sites] of Object.entries({ viewer: ["dc1", "vaulted", "broken"], outsider: ["vaulted"] })) {
    const { id } = await admin.ok<{ id: string }>("users.create", { username: name, password: PASSWORD });
    for (const slug of sites) await admin.ok("members.set", { slug, userId: id, role: "viewer" });
    c[name] = new Client(url, name, undefined, `127.0.0.${n++}`);
    assert.equal(await c[name].signIn(name, PASSWORD), 200);
  }
  const token = await c.viewer!.ok<{ token: string }>("tokens.create", { name: "ci", site: "dc1", role: "viewer" });
  c.viewerToken = new Client(url, "viewerToken", token.token);
  await admin.ok("boards.save", { slug: "wall", title: "Wall", sites: ["dc1"] });
  c.kiosk = new Client(url, "kiosk", (await admin.ok<{ token: string }>("tokens.createKiosk", { name: "lobby", board: "wall" })).token);
  c.anonymous = new Client(url, "anonymous");
});

after(() => server.close());

/** Errors are RFC 9457 problem documents: `type` per kind, `detail` says what is wrong. */
const error = (r: { body: unknown }) => r.body as { detail: string; type: string };

describe("GET /api/v1/sites/:id/inventory.*", () => {
  test("who may ask: a viewer (session or token); errors are problem documents with their status", async () => {
    const path = "/api/v1/sites/dc1/inventory.json";
    const anonymous = await c.anonymous!.rest("GET", path);
    assert.equal(anonymous.status, 401);
    assert.equal(error(anonymous).type, "/api/docs#problem-unauthorized");
    const outsider = await c.outsider!.rest("GET", path);
    assert.equal(outsider.status, 403);
    assert.equal(error(outsider).type, "/api/docs#problem-forbidden");
    assert.equal((await c.kiosk!.rest("GET", path)).status, 403, "a kiosk token reads its board only");
    const unknown = await c.admin!.rest("GET", "/api/v1/sites/nope/inventory.tgz");
    assert.deepEqual([unknown.status, error(unknown).type], [404, "/api/docs#problem-not-found"]);
    assert.equal((await c.viewer!.rest("GET", path)).status, 200);
    assert.equal((await c.viewerToken!.rest("GET", "/api/v1/sites/dc1/inventory.zip")).status, 200);
  });

  test(".tgz and .zip are the CLI's bytes, and the bundle resolves as flightdeck resolve does", async () => {
    const site = loadSite(HA_KVM);
    const tgz = await c.viewerToken!.rest("GET", "/api/v1/sites/dc1/inventory.tgz");
    assert.equal(tgz.status, 200);
    assert.deepEqual(tgz.body, Buffer.from(bundleTgz(ansibleBundle(site))));
    const zip = await c.viewer!.rest("GET", "/api/v1/sites/dc1/inventory.zip");
    assert.deepEqual(zip.body, Buffer.from(bundleZip(ansibleBundle(site))));
    assertSameAsResolve(site, await ansibleList(writeFiles(ansibleBundle(site))));
  });

  test("filters: group, label selector, host glob, and all of them together", async () => {
    const hostsOf = async (query: string) => {
      const r = await c.viewer!.rest("GET", `/api/v1/sites/dc1/inventory.json?${query}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return (r.body as { all: { hosts?: string[] } }).all.hosts ?? [];
    };
    assert.deepEqual(await hostsOf("group=hypervisors"), ["kvm-1", "kvm-2"]);
    assert.deepEqual(await hostsOf("group=vms&glob=node-*"), ["node-1", "node-2"]);
    assert.deepEqual(await hostsOf("selector=role%3Dmaas"), ["infra-1", "infra-2", "infra-3"]);
    assert.deepEqual(await hostsOf("selector=role%3Dhypervisor,rack!%3Dr1"), ["kvm-2"]);
    assert.deepEqual(await hostsOf("glob=*-1"), ["infra-1", "node-1", "kvm-1"]);
    assert.deepEqual(await hostsOf("glob=zzz*"), [], "a pattern may match nothing");
    const bundle = await c.viewer!.rest("GET", "/api/v1/sites/dc1/inventory.tgz?group=hypervisors");
    assert.deepEqual(bundle.body, Buffer.from(bundleTgz(ansibleBundle(loadSite(HA_KVM), { hosts: ["kvm-1", "kvm-2"] }))));
  });

  test("a bad filter, an unknown parameter or a broken revision is a 400 that says why", async () => {
    for (const [query, message] of [
      ["group=nope", /the site has no group 'nope'/],
      ["selector=role", /'role' is not a label test/],
      ["reveal=1", /unknown query parameter 'reveal'/],
      ["revision=abc", /revision must be a positive number/],
    ] as const) {
      const r = await c.viewer!.rest("GET", `/api/v1/sites/dc1/inventory.json?${query}`);
      assert.equal(r.status, 400, query);
      assert.equal(error(r).type, "/api/docs#problem-invalid-input");
      assert.match(error(r).detail, message);
    }
    const broken = await c.viewer!.rest("GET", "/api/v1/sites/broken/inventory.tgz");
    assert.equal(broken.status, 400);
    assert.match(error(broken).detail, /has lint errors; fix them to export it: inv\.yml:5:\d+: error: profile 'nope' does not exist/);
  });

  test("secrets stay references, even where the server could decrypt them", async () => {
    const r = await c.viewer!.rest("GET", "/api/v1/sites/vaulted/inventory.json");
    assert.equal(r.status, 200);
    const body = JSON.stringify(r.body);
    assert.match(body, /"db_password":"secret:db\.password"/);
    assert.doesNotMatch(body, /rest-secret-value/);
    const tgz = await c.viewer!.rest("GET", "/api/v1/sites/vaulted/inventory.tgz");
    assert.doesNotMatch((await import("node:zlib")).gunzipSync(tgz.body as Buffer).toString("latin1"), /rest-secret-value/);
  });
});
