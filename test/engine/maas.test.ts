/**
 * The MAAS actions against the simulator (real HTTP on loopback): deploy with live status and events as output,
 * failures named with the machine and its events, 503s retried, refused keys and missing machines explained,
 * the plan's machine mapping, and a deployment that hands over from MAAS to SSH (wait.ssh) on the sshd fleet.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execute, planDeployment, type RunStatus } from "../../server/engine";
import { describePlan } from "../../server/cli/main";
import { startFleet, type Fleet } from "../fleet/fleet";
import { randomApiKey, startMaasSimulator, type MaasSimulator } from "../maas/simulator";
import { Recorder, siteOf } from "./fleet-site";

const KEY = randomApiKey();
const ADMIN_KEY = randomApiKey();

function region(url: string, extra = "") {
  return `kind: maas
api_version: v1beta1
spec: {name: dc1, url: "${url}", api_key: "env:MAAS_KEY", poll_interval: 20ms${extra}}
`;
}

function machines(hosts: { name: string; maas: string; connection?: string }[]) {
  return `kind: inventory
api_version: v1beta1
spec:
  hosts:
${hosts.map((h) => `  - name: ${h.name}\n    data: {maas: {region: dc1, ${h.maas}}}${h.connection ? `\n    connection: ${h.connection}` : ""}`).join("\n")}
  groups: [{name: all, connection: {transport: local}}]
`;
}

function deployment(steps: string, targets = "[all]") {
  return `kind: blueprint
api_version: v1beta1
spec:
  name: provision
  steps:
${steps}
---
kind: deployment
api_version: v1beta1
spec:
  name: d
  stages: [{name: provision, operations: [{blueprints: [provision], targets: ${targets}, run_options: {max_fail_percentage: 100}}]}]
`;
}

async function run(files: string[], env: Record<string, string> = { MAAS_KEY: KEY }): Promise<{ status: RunStatus; rec: Recorder; plan: ReturnType<typeof planDeployment> }> {
  const site = siteOf(...files);
  const plan = planDeployment(site);
  const rec = new Recorder();
  const status = await execute({ site, plan, sink: rec, signal: new AbortController().signal, secrets: { env, identities: () => Promise.resolve({ sources: [] }) } });
  return { status, rec, plan };
}

let sim: MaasSimulator;
before(async () => {
  sim = await startMaasSimulator({
    machines: [
      { system_id: "aaa001", hostname: "node-1", ip_addresses: ["10.0.0.11"] },
      { system_id: "aaa002", hostname: "node-2" },
      { system_id: "aaa003", hostname: "node-3", deployFault: "fail", faultMessage: "curtin: disk /dev/sda not found" },
      { system_id: "aaa004", hostname: "node-4", pool: "compute", tag_names: ["gpu"] },
      { system_id: "aaa005", hostname: "node-5" },
    ],
    keys: [
      { key: KEY, username: "ops" },
      { key: ADMIN_KEY, username: "root", admin: true },
    ],
    pools: ["compute"],
    tags: ["gpu"],
    timings: { deployMs: 120 },
  });
});
after(() => sim.close());

describe("maas.deploy", () => {
  test("deploys, streams each status change and MAAS event as output, and reports progress", async () => {
    const { status, rec, plan } = await run([
      region(sim.url),
      machines([{ name: "node-1", maas: "system_id: aaa001, distro_series: jammy" }, { name: "gpu-1", maas: "pool: compute, tags: [gpu]" }]),
      deployment(`  - {name: deploy, action: maas.deploy, params: {user_data: "#cloud-config\\nhostname: {{ host.name }}\\n"}}`),
    ]);
    assert.equal(status, "succeeded", JSON.stringify(rec.steps()));
    assert.deepEqual(plan.machines, { "node-1": "dc1: system_id aaa001", "gpu-1": "dc1: allocate pool=compute tags=gpu" });
    assert.match(describePlan(plan), /machines:\n {2}node-1 -> dc1: system_id aaa001\n {2}gpu-1 -> dc1: allocate pool=compute tags=gpu/);
    const out = rec.output_of("node-1", "deploy");
    for (const line of [/deploying node-1 \(aaa001\) with jammy/, /Deploying/, /Deployed/, /User starting deployment/]) assert.match(out, line);
    // Progress: the running step carries MAAS's status as its message, in order.
    const progress = rec.steps("node-1", "deploy").filter((e) => e.status === "running" && e.message).map((e) => e.message);
    assert.ok(progress.indexOf("Deploying") < progress.lastIndexOf("Deployed") || progress.includes("Deploying"), progress.join(","));
    const final = rec.steps("node-1", "deploy").at(-1)!;
    assert.equal(final.status, "changed");
    assert.match(final.message!, /deployed node-1 \(aaa001\) \(ubuntu\/jammy\) in .*addresses 10\.0\.0\.11/);
    assert.equal(Buffer.from(sim.userData("aaa001")!, "base64").toString(), "#cloud-config\nhostname: node-1\n", "user_data rendered per host, sent base64 as MAAS expects");
    assert.equal(String(sim.machine("aaa004").status_name), "Deployed", "allocated by pool and tags");
    // Idempotent: a Deployed machine with the release asked for is ok, not redeployed.
    const again = await run([region(sim.url), machines([{ name: "node-1", maas: "system_id: aaa001, distro_series: jammy" }]), deployment(`  - {name: deploy, action: maas.deploy}`)]);
    assert.equal(again.rec.steps("node-1", "deploy").at(-1)!.status, "ok");
  });

  test("a failed deployment fails the host with MAAS's reason and its events", async () => {
    const { status, rec } = await run([region(sim.url), machines([{ name: "node-3", maas: "system_id: aaa003" }]), deployment(`  - {name: deploy, action: maas.deploy}`)]);
    assert.equal(status, "failed");
    const final = rec.steps("node-3", "deploy").at(-1)!;
    assert.equal(final.status, "failed");
    assert.match(final.message!, /node-3 \(aaa003\).*Failed deployment.*curtin: disk \/dev\/sda not found/s);
    assert.match(rec.chunks.filter((c) => c.host === "node-3" && c.stream === "stderr").map((c) => c.data).join(""), /ERROR/);
  });

  test("a machine stuck in Deploying times out, naming the status and how long", async () => {
    sim.inject({ type: "stuck-deploying", machine: "aaa005" });
    const { rec } = await run([region(sim.url), machines([{ name: "node-5", maas: "system_id: aaa005" }]), deployment(`  - {name: deploy, action: maas.deploy, params: {timeout: 400ms}}`)]);
    const final = rec.steps("node-5", "deploy").at(-1)!;
    assert.equal(final.status, "failed");
    assert.match(final.message!, /Deploying/);
    sim.inject({ type: "status", machine: "aaa005", status: "Ready", owner: null });
  });

  test("503s are retried and said; refused keys, unknown machines and no match are explained", async () => {
    sim.inject({ type: "unavailable", count: 2, retryAfter: 0 });
    const busy = await run([region(sim.url), machines([{ name: "node-2", maas: "system_id: aaa002" }]), deployment(`  - {name: deploy, action: maas.power, params: {state: query}}`)]);
    assert.equal(busy.status, "succeeded");
    assert.match(busy.rec.output_of("node-2", "deploy"), /503.*retrying/);
    assert.match(busy.rec.output_of("node-2", "deploy"), /power is (on|off)/);

    const refused = await run([region(sim.url), machines([{ name: "node-2", maas: "system_id: aaa002" }]), deployment(`  - {name: deploy, action: maas.deploy}`)], { MAAS_KEY: randomApiKey() });
    const r = refused.rec.steps("node-2", "deploy").at(-1)!;
    assert.equal(r.status, "failed");
    assert.match(r.message!, /401|refused/);
    assert.match(r.message!, /dc1/);

    const missing = await run([region(sim.url), machines([{ name: "ghost", maas: "system_id: zzz999" }]), deployment(`  - {name: deploy, action: maas.deploy}`)]);
    assert.match(missing.rec.steps("ghost", "deploy").at(-1)!.message!, /zzz999/);

    const none = await run([region(sim.url), machines([{ name: "big", maas: "pool: compute, tags: [gpu]" }]), deployment(`  - {name: deploy, action: maas.deploy}`)]);
    const n = none.rec.steps("big", "deploy").at(-1)!;
    assert.equal(n.status, "failed");
    assert.match(n.message!, /No available machine matches constraints/);

    const noKey = await run([region(sim.url), machines([{ name: "node-2", maas: "system_id: aaa002" }]), deployment(`  - {name: deploy, action: maas.deploy}`)], {});
    assert.match(noKey.rec.steps("node-2", "deploy").at(-1)!.message!, /api_key: 'env:MAAS_KEY': the environment variable MAAS_KEY is not set/);
    for (const c of [...busy.rec.chunks, ...refused.rec.chunks]) assert.ok(!c.data.includes(KEY.split(":")[2]!), "the key's secret never appears");
  });

  test("commission needs an admin key (403 explained) and follows the machine back to Ready", async () => {
    const files = [region(sim.url), machines([{ name: "node-2", maas: "system_id: aaa002" }]), deployment(`  - {name: commission, action: maas.commission}`)];
    const refused = await run(files);
    const r = refused.rec.steps("node-2", "commission").at(-1)!;
    assert.equal(r.status, "failed");
    assert.match(r.message!, /denied commission.*needs an admin key/);
    assert.match(r.message!, /node-2|aaa002/);
    const { status, rec } = await run(files, { MAAS_KEY: ADMIN_KEY });
    assert.equal(status, "succeeded", JSON.stringify(rec.steps().map((e) => [e.step, e.status, e.message])));
    assert.match(rec.output_of("node-2", "commission"), /Commissioning/);
    assert.equal(rec.steps("node-2", "commission").at(-1)!.message, "node-2 (aaa002) is Ready");
  });

  test("release and power act on the machine deploy used", async () => {
    const { status, rec } = await run([
      region(sim.url),
      machines([{ name: "node-2", maas: "system_id: aaa002" }]),
      deployment(`  - {name: deploy, action: maas.deploy}
  - {name: off, action: maas.power, params: {state: "off"}}
  - {name: release, action: maas.release}`),
    ]);
    assert.equal(status, "succeeded", JSON.stringify(rec.steps().map((e) => [e.step, e.status, e.message])));
    assert.equal(String(sim.machine("aaa002").status_name), "Ready");
    assert.match(rec.output_of("node-2", "release"), /Releasing/);
  });
});

describe("stages that hand over: MAAS deploys, SSH configures once the machine answers", () => {
  let fleet: Fleet;
  before(async () => {
    fleet = await startFleet({ hosts: 2, namePrefix: "metal-" });
    // The machines are "off" until MAAS has deployed them.
    for (const i of [0, 1]) await fleet.stopHost(i);
  });
  after(() => fleet.stop());

  test("wait.ssh waits for the deployed machine, then the next stage runs over SSH in the same run", async () => {
    const hand = await startMaasSimulator({
      machines: fleet.hosts.map((h, i) => ({ system_id: `bm000${i}`, hostname: h.name, ip_addresses: [h.address] })),
      keys: [{ key: KEY, username: "ops" }],
      timings: { deployMs: 150 },
    });
    try {
      const inventory = `kind: inventory
api_version: v1beta1
spec:
  hosts:
${fleet.hosts.map((h, i) => `  - name: ${h.name}\n    data: {maas: {region: dc1, system_id: bm000${i}}}\n    connection: {address: ${h.address}, port: ${h.port}}`).join("\n")}
  groups:
  - name: all
    connection: {user: ${fleet.user}, key_file: ${fleet.clientKeyPath}, known_hosts: ${fleet.knownHostsPath}, connect_timeout: 2s}
`;
      const workflow = `kind: blueprint
api_version: v1beta1
spec:
  name: metal
  steps: [{name: deploy, action: maas.deploy}]
---
kind: blueprint
api_version: v1beta1
spec:
  name: configure
  steps:
  - {name: wait, action: wait.ssh, params: {timeout: 30s, interval: 100ms}}
  - {name: hello, action: cmd.run, params: {cmd: "echo configured {{ host.name }}"}}
---
kind: deployment
api_version: v1beta1
spec:
  name: d
  stages:
  - {name: provision, operations: [{blueprints: [metal], targets: [all]}]}
  - {name: configure, operations: [{blueprints: [configure], targets: [all]}]}
`;
      // "Boot" each machine (start its sshd) once MAAS says it is Deployed.
      const booted = fleet.hosts.map((_, i) => hand.waitForStatus(`bm000${i}`, "Deployed", 20_000).then(() => fleet.startHost(i)));
      const site = siteOf(region(hand.url), inventory, workflow);
      const rec = new Recorder();
      const status = await execute({ site, plan: planDeployment(site), sink: rec, signal: new AbortController().signal, secrets: { env: { MAAS_KEY: KEY }, identities: () => Promise.resolve({ sources: [] }) } });
      await Promise.all(booted);
      assert.equal(status, "succeeded", JSON.stringify(rec.steps().map((e) => [e.host, e.step, e.status, e.message])));
      for (const h of fleet.hosts) {
        assert.deepEqual(rec.final(h.name), { deploy: "changed", wait: "ok", hello: "changed" });
        assert.equal(rec.output_of(h.name, "hello"), `configured ${h.name}\n`);
      }
      // Stage order: every deploy finished before any wait began.
      const lastDeploy = Math.max(...rec.steps(undefined, "deploy").filter((e) => e.status === "changed").map((e) => e.seq));
      const firstWait = Math.min(...rec.steps(undefined, "wait").map((e) => e.seq));
      assert.ok(lastDeploy < firstWait);
    } finally {
      await hand.close();
    }
  });
});
