/**
 * `npm run bench -- exec`: 50 hosts x 10 `cmd.run` steps (`true`) on a fleet of real sshd processes, timed
 * for `flightdeck exec` (the whole CLI process), for ansible-playbook (Debian's ansible-core: forks 50,
 * pipelining, no facts; the `command` module as people use it, and `raw`, Ansible's fastest case), and for a
 * floor: a minimal ssh2 script, one connection per host, the same commands.
 *
 *   npm run bench -- exec [--hosts 50] [--steps 10] [--runs 3]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { setMaxListeners } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { sshTransport } from "../server/transports/ssh";
import { startFleet, type Fleet } from "../test/fleet/fleet";

export const description = "50 hosts x 10 `true` steps over ssh: flightdeck exec vs ansible-playbook (command, raw) vs an ssh2 floor";

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
const fmt = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "n/a");

function time(label: string, fn: () => void, runs: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
    process.stderr.write(`  ${label} run ${i + 1}: ${fmt(out.at(-1)!)}\n`);
  }
  return out;
}

async function floor(fleet: Fleet, steps: number, runs: number): Promise<number[]> {
  const out: number[] = [];
  const signal = new AbortController().signal;
  setMaxListeners(0, signal);
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    await Promise.all(
      fleet.hosts.map(async (_, i) => {
        const c = await sshTransport.connect(fleet.settings(i, { connect_timeout: 30 }), { signal });
        for (let k = 0; k < steps; k++) if ((await c.exec("true", { signal })).exitCode !== 0) throw new Error("floor: a command failed");
        await c.close();
      }),
    );
    out.push(performance.now() - t);
    process.stderr.write(`  floor run ${r + 1}: ${fmt(out.at(-1)!)}\n`);
  }
  return out;
}

function flightdeckSite(fleet: Fleet, dir: string, steps: number) {
  const hosts = fleet.hosts.map((h) => `  - {name: ${h.name}, connection: {address: ${h.address}, port: ${h.port}}}`).join("\n");
  const stepList = Array.from({ length: steps }, (_, i) => `  - {name: step ${i + 1}, action: cmd.run, params: {cmd: "true"}}`).join("\n");
  writeFileSync(
    join(dir, "site.yml"),
    `kind: inventory
api_version: v1beta1
spec:
  hosts:
${hosts}
  groups:
  - {name: all, connection: {user: ${fleet.user}, key_file: ${fleet.clientKeyPath}, known_hosts: ${fleet.knownHostsPath}, connect_timeout: 30s}}
---
kind: blueprint
api_version: v1beta1
spec:
  name: trues
  steps:
${stepList}
---
kind: deployment
api_version: v1beta1
spec:
  name: bench
  stages: [{name: all, operations: [{blueprints: [trues], targets: [all]}]}]
`,
  );
}

function ansibleFiles(fleet: Fleet, dir: string, steps: number) {
  const inv = fleet.hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}`).join("\n");
  writeFileSync(
    join(dir, "hosts.ini"),
    `${inv}\n\n[all:vars]\nansible_user=${fleet.user}\nansible_ssh_private_key_file=${fleet.clientKeyPath}\nansible_python_interpreter=/usr/bin/python3\n`,
  );
  writeFileSync(
    join(dir, "ansible.cfg"),
    `[defaults]\nforks = 50\nhost_key_checking = True\ngathering = explicit\nretry_files_enabled = False\nstdout_callback = minimal\ninterpreter_python = /usr/bin/python3\n\n[ssh_connection]\npipelining = True\nssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${fleet.knownHostsPath} -o StrictHostKeyChecking=yes\ncontrol_path_dir = ${join(dir, "cp")}\n`,
  );
  for (const module of ["command", "raw"]) {
    const tasks = Array.from({ length: steps }, (_, i) => `    - name: step ${i + 1}\n      ${module}: "true"\n`).join("");
    writeFileSync(join(dir, `${module}.yml`), `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`);
  }
}

function ensureAnsible(): boolean {
  if (existsSync("/usr/bin/ansible-playbook")) return true;
  if (process.getuid?.() !== 0) return false;
  process.stderr.write("bench: installing ansible-core with apt-get…\n");
  return spawnSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ansible-core >/dev/null"], { stdio: "inherit" }).status === 0;
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { hosts: { type: "string", default: "50" }, steps: { type: "string", default: "10" }, runs: { type: "string", default: "3" } } });
  const hosts = Number(values.hosts);
  const steps = Number(values.steps);
  const runs = Number(values.runs);
  execFileSync(process.execPath, ["scripts/build-cli.mjs"]);
  const fleet = await startFleet({ hosts, logLevel: "ERROR" });
  const dir = mkdtempSync(join(tmpdir(), "fd-bench-exec-"));
  mkdirSync(join(dir, "cp"));
  let wrong = 0;
  try {
    flightdeckSite(fleet, dir, steps);
    const fd = time(
      "flightdeck exec",
      () => {
        const r = spawnSync(process.execPath, ["bin/flightdeck.mjs", "exec", dir, "--json", "--forks", "50"], { encoding: "utf8", maxBuffer: 1 << 28 });
        const last = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as { status?: string; hosts?: Record<string, unknown> };
        if (r.status !== 0 || last.status !== "succeeded" || Object.keys(last.hosts ?? {}).length !== hosts) {
          wrong++;
          process.stderr.write(`flightdeck exec failed: ${r.stderr.slice(0, 2000)}\n`);
        }
      },
      runs,
    );
    const fl = await floor(fleet, steps, runs);
    let ansibleCommand: number[] = [];
    let ansibleRaw: number[] = [];
    if (ensureAnsible()) {
      ansibleFiles(fleet, dir, steps);
      const playbook = (module: string) => () => {
        const r = spawnSync("ansible-playbook", ["-i", join(dir, "hosts.ini"), join(dir, `${module}.yml`)], {
          encoding: "utf8",
          env: { ...process.env, ANSIBLE_CONFIG: join(dir, "ansible.cfg") },
          maxBuffer: 1 << 28,
        });
        if (r.status !== 0) {
          wrong++;
          process.stderr.write(`ansible-playbook (${module}) failed: ${(r.stdout + r.stderr).slice(-2000)}\n`);
        }
      };
      ansibleCommand = time("ansible command", playbook("command"), runs);
      ansibleRaw = time("ansible raw", playbook("raw"), runs);
    } else {
      process.stderr.write("bench: ansible-playbook is not installed and cannot be (needs root and apt): Ansible rows are n/a\n");
    }
    const rows: [string, number[]][] = [
      ["flightdeck exec (whole CLI process)", fd],
      ["floor: ssh2, one connection per host", fl],
      ["ansible-playbook, command module", ansibleCommand],
      ["ansible-playbook, raw", ansibleRaw],
    ];
    console.log(`\n${hosts} hosts x ${steps} steps (\`true\`), ${runs} runs each; ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}\n`);
    console.log(`${"what".padEnd(40)} ${"min".padStart(8)} ${"median".padStart(8)}`);
    for (const [name, t] of rows) console.log(`${name.padEnd(40)} ${fmt(Math.min(...t)).padStart(8)} ${fmt(median(t)).padStart(8)}`);
    const m = median(fd);
    console.log(`\nflightdeck vs floor: ${(m / median(fl)).toFixed(2)}x (target <= 1.5x)`);
    if (ansibleCommand.length) console.log(`ansible command vs flightdeck: ${(median(ansibleCommand) / m).toFixed(1)}x slower (target >= 10x); raw: ${(median(ansibleRaw) / m).toFixed(1)}x`);
  } finally {
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return wrong ? 1 : 0;
}
