/**
 * Secrets at run time over ssh (a real sshd from the test fleet): the login key given as a `secret:` reference
 * (`connection.key_file`) and a secret var reach the host, never a `ps` line, an event or an output chunk.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { execute, planDeployment, type EngineEvent, type OutputChunk } from "../../server/engine";
import { MASK } from "../../server/engine/masking";
import { loadSite } from "../../server/inventory";
import { newIdentityFile, writeSecretsFile } from "../../server/secrets";
import { fleetInventory, workflow } from "../engine/fleet-site";
import { startFleet, type Fleet } from "../fleet/fleet";

const PASSWORD = "ssh-s3cr3t-Pa55";
let fleet: Fleet;

before(async () => {
  fleet = await startFleet({ hosts: 1, namePrefix: "sec-" });
});
after(async () => {
  await fleet.stop();
});

test("key_file as a secret: reference logs in; a secret var is used over ssh and masked everywhere", async () => {
  const key = await newIdentityFile();
  const privateKey = readFileSync(fleet.clientKeyPath, "utf8");
  const secrets = await writeSecretsFile(null, { ssh: { key: privateKey }, db: { password: PASSWORD } }, [key.recipient]);
  const inventory = fleetInventory(fleet)
    .replace(`key_file: ${fleet.clientKeyPath}`, "key_file: secret:ssh.key")
    .replace("  - name: all\n", "  - name: all\n    data: {password: secret:db.password}\n");
  const site = loadSite([
    { path: "inv.yml", content: inventory },
    { path: "wf.yml", content: workflow(`  - {name: use, action: cmd.run, params: {cmd: "echo {{ vars.password }}; test -n \\"{{ vars.password }}\\" && sleep 1"}}`) },
    { path: "secrets.yml", content: secrets },
  ]);
  assert.deepEqual(site.diagnostics.filter((d) => d.severity === "error"), []);
  const events: EngineEvent[] = [];
  const chunks: OutputChunk[] = [];
  const ps: string[] = [];
  let done = false;
  const poll = (async () => {
    while (!done) {
      ps.push(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const status = await execute({
    site,
    plan: planDeployment(site),
    sink: { event: (e) => events.push(e), output: (c) => chunks.push(c) },
    signal: new AbortController().signal,
    secrets: { file: { name: "secrets.yml", text: secrets }, identities: () => ({ sources: [{ label: "test", identities: [key.identity] }] }), env: {} },
  }).finally(() => (done = true));
  await poll;
  assert.equal(status, "succeeded", JSON.stringify(events));
  assert.equal(chunks.map((c) => c.data).join(""), `${MASK}\n`);
  assert.ok(ps.join("").includes("sleep 1"), "ps was polled while the step ran");
  const keyLine = privateKey.split("\n")[1]!;
  for (const [what, text] of [["events", JSON.stringify(events)], ["output", JSON.stringify(chunks)], ["ps", ps.join("")]] as const) {
    assert.ok(!text.includes(PASSWORD), `${what} contains the password`);
    assert.ok(!text.includes(keyLine), `${what} contains the private key`);
  }
});
