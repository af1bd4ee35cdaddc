/**
 * ansible.playbook on a server: it runs in the sandbox of local steps, so only on a site where a server admin
 * allowed local execution, and there ansible-playbook cannot read the server's identity, database, data
 * directory, ssh keys or environment (a task on a `transport: local` host tries, as an operator would), while
 * it still reaches the fleet over ssh with the site's own key and known_hosts (copied in from
 * FLIGHTDECK_KEY_DIRS). Cancel ends everything the sandbox started.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { findAnsiblePlaybook } from "../../server/ansible/syntax-check";
import { readEnv } from "../../server/env";
import { createServices, type Services } from "../../server/services";
import { findSandbox } from "../../server/transports/sandbox";
import { allowLocal, asUser, noApprovals } from "../api/callers";
import { fleetInventory } from "../engine/fleet-site";
import { startFleet, type Fleet } from "../fleet/fleet";
import { processesWith } from "./playbook-site";

const sandbox = findSandbox({ hide: [], runUser: "nobody" });
const skip = !findAnsiblePlaybook(process.env.PATH ?? "") ? "ansible-playbook is not installed (apt-get install ansible-core)" : !sandbox.ok ? `no sandbox on this machine: ${sandbox.message}` : false;
const MARKER = "server-env-marker-4f2a9c";
let fleet: Fleet;
let services: Services;
let api: Awaited<ReturnType<typeof asUser>>["api"];
const dir = mkdtempSync(join(tmpdir(), "fd-pb-server-"));

before(async () => {
  if (skip) return;
  fleet = await startFleet({ hosts: 2, namePrefix: "srv-", logLevel: "ERROR" });
  // A variable of the server's own environment: nothing of the playbook may see it.
  process.env.FD_PLAYBOOK_MARKER = MARKER;
  services = await createServices(readEnv({ FLIGHTDECK_DATA: join(dir, "data"), FLIGHTDECK_DEMO: "", FLIGHTDECK_KEY_DIRS: fleet.dir }));
  ({ api } = await asUser(services, "ana", { isAdmin: true }));
});
after(async () => {
  delete process.env.FD_PLAYBOOK_MARKER;
  await services?.close();
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function site(playbook: string, known = fleet.knownHostsPath): { path: string; content: string }[] {
  const inventory = fleetInventory(fleet)
    .replace("  groups:\n", "  - name: box\n    connection: {transport: local}\n  groups:\n")
    .replace(`known_hosts: ${fleet.knownHostsPath}`, known === fleet.knownHostsPath ? `known_hosts: ${known}` : `known_hosts: ${known}, host_key_checking: accept-new`);
  return [
    { path: "inventory.yml", content: inventory },
    {
      path: "deploy.yml",
      content: `kind: blueprint
api_version: v1beta1
spec:
  name: web
  steps:
  - {name: configure, action: ansible.playbook, params: {playbook: playbooks/site.yml}}
---
kind: deployment
api_version: v1beta1
spec: {name: d, stages: [{name: s, operations: [{blueprints: [web], targets: [all], run_options: {max_fail_percentage: 100}}]}]}
`,
    },
    { path: "playbooks/site.yml", content: playbook },
  ];
}

/** Each read says READ (with its content, base64) or DENIED. */
const PROBE = (data: string) => `D=${data}
for f in "$D/age-identity.txt" "$D/flightdeck.db" "$D/auth-secret" /proc/${process.pid}/environ ${homedir()}/.ssh/id_ed25519 ${homedir()}/.ssh/authorized_keys ${fleet.clientKeyPath}; do
  if out=$(base64 -w0 "$f" 2>/dev/null) && [ -n "$out" ]; then echo "READ $f $out"; else echo "DENIED $f"; fi
done
if ls -A "$D" >/dev/null 2>&1; then echo "LISTED $D"; else echo "DENIED-LIST"; fi
echo "ENV $(env | base64 -w0)"
echo "UID $(id -u)"`;

test("refused where local execution is not allowed, by lint and by the run", { skip, timeout: 60_000 }, async () => {
  await services.sites.create({ slug: "closed", name: "closed", files: site(`- hosts: all\n  tasks: []\n`), author: "t", message: "m" });
  await noApprovals(services, "closed");
  await assert.rejects(api.runs.launch({ slug: "closed", deployment: "d" }), /deploy\.yml:\d+:\d+: error: ansible\.playbook runs ansible-playbook on the Flightdeck server, so it needs what a local step needs: /);
});

test("the playbook reaches the fleet over ssh, and reads nothing of the server", { skip, timeout: 180_000 }, async () => {
  const data = join(dir, "data");
  await services.sites.create({
    slug: "lab",
    name: "lab",
    files: site(`- hosts: all:!box
  gather_facts: false
  tasks:
  - name: over ssh
    command: echo ssh {{ inventory_hostname }}
- hosts: box
  gather_facts: false
  tasks:
  - name: probe
    shell: |
${PROBE(data)
  .split("\n")
  .map((l) => `      ${l}`)
  .join("\n")}
`),
    author: "t",
    message: "m",
  });
  await noApprovals(services, "lab");
  await allowLocal(services, "lab");
  const { id } = await api.runs.launch({ slug: "lab", deployment: "d" });
  const status = await services.runner.done(id);
  const { snapshot, run } = await api.runs.get({ id });
  assert.deepEqual(
    run.plan.steps,
    ["configure", "configure/over ssh", "configure/probe"],
    "the frozen plan lists the tasks (ansible-playbook --list-tasks in the sandbox)",
  );
  const output = async (host: string, step: string) => (await api.runs.output({ id, host, step })).map((o) => o.data).join("");
  assert.equal(status, "succeeded", JSON.stringify(snapshot.hosts) + (await output("srv-1", "configure")));
  assert.equal(await output("srv-1", "configure/over ssh"), "ssh srv-1\n");
  assert.equal(await output("srv-2", "configure/over ssh"), "ssh srv-2\n");

  const probe = await output("box", "configure/probe");
  const lines = probe.trim().split("\n");
  assert.deepEqual(lines.filter((l) => !/^(DENIED|ENV|UID) /.test(l) && l !== "DENIED-LIST"), [], `everything was refused:\n${probe}`);
  assert.equal(lines.filter((l) => l.startsWith("DENIED ")).length, 7, probe);
  assert.notEqual(lines.find((l) => l.startsWith("UID ")), "UID 0", "not root");
  const env = Buffer.from(lines.find((l) => l.startsWith("ENV "))!.slice(4), "base64").toString("utf8");
  assert.ok(!env.includes(MARKER), `the server's environment leaked:\n${env}`);
  const names = env.trim().split("\n").map((l) => l.split("=")[0]!);
  assert.deepEqual(names.filter((n) => !/^(PATH|HOME|LANG|LC_[A-Z]+|PWD|SHLVL|_|OLDPWD|ANSIBLE_[A-Z_]+|FLIGHTDECK_EVENTS_FD|PYTHONUNBUFFERED)$/.test(n)), [], env);
  assert.match(env, /^HOME=\/home\/flightdeck$/m);
  assert.equal(snapshot.hosts.box!.steps["configure/probe"]!.status, "changed");
});

test("cancel ends ansible-playbook and every ssh process in its sandbox", { skip, timeout: 180_000 }, async () => {
  await services.sites.create({ slug: "slow", name: "slow", files: site(`- hosts: all:!box\n  gather_facts: false\n  tasks:\n  - {name: long, command: sleep 30}\n`), author: "t", message: "m" });
  await noApprovals(services, "slow");
  await allowLocal(services, "slow");
  const { id } = await api.runs.launch({ slug: "slow", deployment: "d" });
  const end = Date.now() + 60_000;
  while ((await api.runs.get({ id })).snapshot.hosts["srv-2"]!.steps["configure/long"]?.status !== "running") {
    assert.ok(Date.now() < end, "the task starts");
    await new Promise((r) => setTimeout(r, 100));
  }
  // What runs this playbook names its private directory as the sandbox shows it.
  const during = processesWith("/home/flightdeck/limit").concat(processesWith("/home/flightdeck/ssh/"));
  assert.ok(during.some((l) => l.includes("ansible-playbook")), during.join("\n"));
  await api.runs.cancel({ id });
  assert.equal(await services.runner.done(id), "cancelled");
  assert.deepEqual(processesWith("/home/flightdeck/limit").concat(processesWith("/home/flightdeck/ssh/")), []);
  const workspaces = readdirSync(tmpdir()).filter((d) => d.startsWith("flightdeck-runs-")).map((d) => join(tmpdir(), d));
  for (const w of workspaces) if (existsSync(w)) assert.deepEqual(processesWith(w), [], `bwrap of ${w} is gone`);
});

test("accept-new: keys ssh recorded in the sandbox's copy reach the site's known_hosts, with a notice", { skip, timeout: 120_000 }, async () => {
  const known = join(fleet.dir, "known_hosts_accept");
  writeFileSync(known, "");
  await services.sites.create({ slug: "accept", name: "accept", files: site(`- hosts: all:!box\n  gather_facts: false\n  tasks:\n  - {name: hi, command: "true"}\n`, known), author: "t", message: "m" });
  await noApprovals(services, "accept");
  await allowLocal(services, "accept");
  const { id } = await api.runs.launch({ slug: "accept", deployment: "d" });
  assert.equal(await services.runner.done(id), "succeeded");
  const recorded = readFileSync(known, "utf8");
  for (const h of fleet.hosts) assert.ok(recorded.includes(`[${h.address}]:${h.port}`), recorded);
  const notices = (await api.runs.events({ id, after: 0 })).filter((e) => e.type === "notice").map((e) => (e as { message: string }).message);
  assert.equal(notices.filter((m) => m.startsWith("accepted new host key for")).length, 2, notices.join("\n"));
});
