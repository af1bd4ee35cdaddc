/**
 * ansible-playbook connects as Flightdeck's own ssh would (real sshd fleet, real ansible-playbook, through
 * `flightdeck exec --json`): through the host's jump host, recording a new host key under accept-new in the
 * site's known_hosts, and failing (not "unreachable") a host whose key is unknown under strict checking.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { findAnsiblePlaybook } from "../../server/ansible/syntax-check";
import { startFleet, type Fleet } from "../fleet/fleet";
import { Exec, writePlaybookSite } from "./playbook-site";

const skip = findAnsiblePlaybook(process.env.PATH ?? "") ? false : "ansible-playbook is not installed (apt-get install ansible-core)";
let fleet: Fleet;
const temp = mkdtempSync(join(tmpdir(), "fd-pb-ssh-"));
const PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
  - name: where
    command: sh -c 'echo "$SSH_CONNECTION"'
`;

before(async () => {
  if (!skip) fleet = await startFleet({ hosts: 2, namePrefix: "j-" });
});
after(async () => {
  await fleet?.stop();
  rmSync(temp, { recursive: true, force: true });
});

const logins = (i: number) => fleet.log(i).split("\n").filter((l) => l.startsWith("Accepted publickey for")).length;

test("a host behind a jump host is reached through it", { skip, timeout: 120_000 }, async () => {
  const site = writePlaybookSite(join(temp, "jump"), fleet, {
    playbook: PLAYBOOK,
    inventory: (text) => text.replace(/(name: j-2\n[\s\S]*?connection: \{[^}]*)\}/, "$1, jump: j-1}"),
  });
  writeFileSync(join(site, "deploy.yml"), readFileSync(join(site, "deploy.yml"), "utf8").replace("targets: [all]", "targets: [j-2]"));
  const before = logins(0);
  const run = new Exec(site);
  assert.equal(await run.exited, 0, run.stderr + JSON.stringify(run.events));
  const h2 = fleet.hosts[1]!;
  assert.match(run.output("j-2", "configure/where"), new RegExp(` ${h2.address.replaceAll(".", "\\.")} ${h2.port}\\n$`));
  assert.ok(logins(0) > before, "the jump host j-1 (not a target of the run) was logged in to");
});

test("accept-new records the host's key in the site's known_hosts; strict refuses an unknown key and fails the host", { skip, timeout: 120_000 }, async () => {
  const known = join(temp, "known_hosts_new");
  writeFileSync(known, "");
  const site = writePlaybookSite(join(temp, "accept"), fleet, {
    playbook: PLAYBOOK,
    inventory: (text) => text.replace(`known_hosts: ${fleet.knownHostsPath}`, `known_hosts: ${known}, host_key_checking: accept-new`),
  });
  const run = new Exec(site);
  assert.equal(await run.exited, 0, run.stderr + JSON.stringify(run.events));
  const recorded = readFileSync(known, "utf8");
  for (const h of fleet.hosts) assert.ok(recorded.includes(`[${h.address}]:${h.port}`), `${h.name}'s key is recorded:\n${recorded}`);

  const empty = join(temp, "known_hosts_empty");
  writeFileSync(empty, "");
  const strict = writePlaybookSite(join(temp, "strict"), fleet, {
    playbook: PLAYBOOK,
    inventory: (text) => text.replace(`known_hosts: ${fleet.knownHostsPath}`, `known_hosts: ${empty}`),
    runOptions: "{max_fail_percentage: 100}",
  });
  const refused = new Exec(strict);
  assert.equal(await refused.exited, 1);
  for (const h of ["j-1", "j-2"]) {
    assert.equal(refused.summary.hosts[h]!.status, "failed", "a refused host key fails the host, as with Flightdeck's own ssh");
    assert.match(String(refused.steps(h, "configure").at(-1)!.message), /^failed at 'where': .*No ED25519 host key is known for .* strict checking\.$/);
  }
  assert.equal(readFileSync(empty, "utf8"), "", "strict checking records nothing");
});
