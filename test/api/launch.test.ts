/** `flightdeck launch` against a real server over HTTP: request, wait for approval, follow to the end. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { run } from "../../server/cli/main";
import { localInventory, workflow } from "../engine/fleet-site";
import { Client } from "./client";
import { startHttpServer } from "./http-server";

const PASSWORD = "correct horse battery";
let server: Awaited<ReturnType<typeof startHttpServer>>;
let token = "";
let approver: Client;

before(async () => {
  server = await startHttpServer();
  const site = `${localInventory(["a", "b"])}---\n${workflow(`  - {name: one, action: cmd.run, params: {cmd: "echo hi"}}`, "", "[all]", "dep")}`;
  await server.services.sites.create({ slug: "alpha", name: "Alpha", files: [{ path: "site.yml", content: site }], author: "t", message: "m" });
  await server.services.sites.setLocalExecution("alpha", true);
  const admin = new Client(server.url, "admin");
  await admin.signIn("admin", "admin-password-1");
  for (const [name, role] of [["ci", "operator"], ["rev", "approver"]] as const) {
    const { id } = await admin.ok<{ id: string }>("users.create", { username: name, password: PASSWORD });
    await admin.ok("members.set", { slug: "alpha", userId: id, role });
  }
  const ci = new Client(server.url, "ci");
  await ci.signIn("ci", PASSWORD);
  token = (await ci.ok<{ token: string }>("tokens.create", { name: "pipeline", site: "alpha", role: "operator" })).token;
  approver = new Client(server.url, "rev");
  await approver.signIn("rev", PASSWORD);
});
after(() => server.close());

function capture(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), env }, out, err };
}

test("launch requests a run that waits for approval, then --wait follows it to the end", async () => {
  const first = capture({ FLIGHTDECK_TOKEN: token });
  assert.equal(await run(["launch", "alpha", "--server", server.url, "--deployment", "dep", "--reason", "nightly"], first.io), 0);
  const id = Number(/run (\d+) of alpha at revision 1: waiting for approval/.exec(first.out.join("\n"))?.[1]);
  assert.ok(id > 0, first.out.join("\n"));
  assert.match(first.out.join("\n"), new RegExp(`${server.url}/sites/alpha/runs/${id}`));

  // The follower polls; the approval lands while it waits.
  const second = capture({ FLIGHTDECK_TOKEN: token });
  const following = run(["launch", "alpha", "--server", server.url, "--deployment", "dep", "--wait", "--json"], second.io);
  const secondId = await waitFor(() => second.out.map((l) => JSON.parse(l) as { type: string; id?: number }).find((e) => e.type === "run.requested")?.id);
  await approver.ok("runs.approve", { id: secondId, comment: "go" });
  assert.equal(await following, 0);
  const events = second.out.map((l) => JSON.parse(l) as { type: string; status?: string });
  assert.equal(events.at(-1)!.type, "run.finished");
  assert.equal(events.at(-1)!.status, "succeeded");
  assert.ok(events.some((e) => e.type === "run.status" && e.status === "succeeded"));
  const reply = await new Client(server.url, "t", token).rest("GET", `/api/v1/runs/${secondId}`);
  assert.equal((reply.body as { requestedBy: string }).requestedBy, "ci (token pipeline)");
});

test("launch says what is wrong: no token, a refused token, a site the token does not cover", async () => {
  const none = capture({});
  assert.equal(await run(["launch", "alpha", "--server", server.url], none.io), 2);
  assert.match(none.err.join("\n"), /set FLIGHTDECK_TOKEN/);
  const bad = capture({ FLIGHTDECK_TOKEN: "fdt_" + "x".repeat(43) });
  assert.equal(await run(["launch", "alpha", "--server", server.url], bad.io), 2);
  assert.match(bad.err.join("\n"), /refused the token/);
  const elsewhere = capture({ FLIGHTDECK_TOKEN: token });
  assert.equal(await run(["launch", "beta", "--server", server.url], elsewhere.io), 2);
  assert.match(elsewhere.err.join("\n"), /not allowed|no site/);
  assert.ok(![...none.err, ...bad.err, ...elsewhere.err].join("").includes(token), "the token is never printed");
});

async function waitFor<T>(get: () => T | undefined): Promise<T> {
  const end = Date.now() + 10_000;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
