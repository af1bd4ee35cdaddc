/**
 * `npm run bench -- ansible`: the same 10-task playbook (the `command` module, no facts) on 50 hosts of the sshd
 * fleet, run by plain `ansible-playbook` and by Flightdeck's ansible.playbook step, alternating (A B C A B C ...):
 *   - plain: ansible-playbook with the same settings Flightdeck gives it (forks 50, ControlPersist, strict host
 *     keys against the fleet's known_hosts, the fleet's key), its usual output to a pipe; its ControlPersist
 *     masters are closed after each run (not timed), so every run starts as cold as Flightdeck's;
 *   - `flightdeck exec --json` (the CLI from its bundle): planning with `--list-tasks`, the private directory,
 *     the run's inventory, the callback's events turned into step events and printed as JSON lines;
 *   - a server run (in this process: the run service, the SQLite event store, the bubblewrap sandbox), from
 *     approval to the end, with the events it stored per second.
 * Flightdeck's overhead is (its wall time - plain's) / plain's wall time, medians; target <= 10 %.
 *
 *   npm run bench -- ansible [--hosts 50] [--tasks 10] [--runs 3] [--no-server]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { closeMasters } from "../server/ansible/playbook/process";
import { findAnsiblePlaybook } from "../server/ansible/syntax-check";
import { readEnv } from "../server/env";
import { createServices } from "../server/services";
import { findSandbox } from "../server/transports/sandbox";
import { startFleet, type Fleet } from "../test/fleet/fleet";

export const description = "a 10-task playbook on 50 fleet hosts: plain ansible-playbook vs Flightdeck running it (CLI and server), overhead and events stored per second";

const BUNDLES = "dist/bench-ansible";
const SERVER = "flightdeck server run (sandbox, SQLite)";
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
const secs = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "n/a");
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

interface Sample {
  wallMs: number;
  cpuMs: number;
  /** Flightdeck's runs: the events it printed (CLI) or stored (server). */
  events?: number;
  /** The most of them in any one second (by their `t`). */
  peak?: number;
}

/** The most events whose times fall within one second of each other. */
function peakPerSecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j]! - t[i]! >= 1000) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

function childrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv, check: (status: number | null, stdout: string) => string | undefined): Sample & { stdout: string } {
  const cpu = childrenCpuMs();
  const t = performance.now();
  const r = spawnSync(command, args, { encoding: "utf8", maxBuffer: 1 << 28, env });
  const sample = { wallMs: performance.now() - t, cpuMs: childrenCpuMs() - cpu, stdout: r.stdout };
  const problem = check(r.status, r.stdout);
  if (problem) throw new Error(`${command}: ${problem} (status ${r.status}): ${(r.stderr || r.stdout).slice(-2000)}`);
  return sample;
}

const playbook = (tasks: number) =>
  `- hosts: all\n  gather_facts: false\n  tasks:\n${Array.from({ length: tasks }, (_, i) => `  - name: task ${i + 1}\n    command: "true"\n`).join("")}`;

function files(fleet: Fleet, hosts: number, tasks: number, dir: string) {
  const list = fleet.hosts.slice(0, hosts);
  // Flightdeck's site: the fleet's hosts, one ansible.playbook step.
  const site = join(dir, "site");
  mkdirSync(join(site, "playbooks"), { recursive: true });
  writeFileSync(join(site, "playbooks", "bench.yml"), playbook(tasks));
  const inventory = `kind: inventory
api_version: v1beta1
spec:
  hosts:
${list.map((h) => `  - {name: ${h.name}, connection: {address: ${h.address}, port: ${h.port}}}`).join("\n")}
  groups:
  - {name: all, connection: {user: ${fleet.user}, key_file: ${fleet.clientKeyPath}, known_hosts: ${fleet.knownHostsPath}, connect_timeout: 30s}}
---
kind: blueprint
api_version: v1beta1
spec:
  name: play
  steps: [{name: bench, action: ansible.playbook, params: {playbook: playbooks/bench.yml}}]
---
kind: deployment
api_version: v1beta1
spec: {name: bench, stages: [{name: all, operations: [{blueprints: [play], targets: [all]}]}]}
`;
  writeFileSync(join(site, "site.yml"), inventory);
  // Plain Ansible: the same playbook, inventory and settings.
  const plain = join(dir, "plain");
  mkdirSync(join(plain, "cp"), { recursive: true });
  writeFileSync(join(plain, "bench.yml"), playbook(tasks));
  writeFileSync(
    join(plain, "hosts.ini"),
    `${list.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}`).join("\n")}\n\n[all:vars]\nansible_user=${fleet.user}\nansible_ssh_private_key_file=${fleet.clientKeyPath}\nansible_timeout=30\n`,
  );
  writeFileSync(
    join(plain, "ansible.cfg"),
    `[defaults]\nforks = ${hosts}\nhost_key_checking = True\nretry_files_enabled = False\ninterpreter_python = auto_silent\nnocolor = True\n\n[ssh_connection]\nssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${fleet.knownHostsPath} -o StrictHostKeyChecking=yes\ncontrol_path_dir = ${join(plain, "cp")}\n`,
  );
  return { site, plain, inventory };
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { hosts: { type: "string", default: "50" }, tasks: { type: "string", default: "10" }, runs: { type: "string", default: "3" }, "no-server": { type: "boolean" } } });
  const hosts = Number(values.hosts);
  const tasks = Number(values.tasks);
  const runs = Number(values.runs);
  if (![hosts, tasks, runs].every((n) => Number.isInteger(n) && n >= 1)) {
    console.error("bench ansible: --hosts, --tasks and --runs are whole numbers");
    return 2;
  }
  if (!findAnsiblePlaybook(process.env.PATH ?? "")) {
    console.error("bench ansible: ansible-playbook is not installed (apt-get install ansible-core)");
    return 2;
  }
  execFileSync(process.execPath, ["scripts/build-cli.mjs"]);
  mkdirSync(BUNDLES, { recursive: true });
  // A private copy: bin/flightdeck.mjs would fall back to tsx if a source file changed during the bench.
  const cli = join(BUNDLES, "flightdeck.mjs");
  copyFileSync("dist/flightdeck.mjs", cli);

  const fleet = await startFleet({ hosts, logLevel: "ERROR" });
  const dir = mkdtempSync(join(tmpdir(), "fd-bench-ansible-"));
  const sandbox = findSandbox({ hide: [], runUser: "nobody" });
  const server = !values["no-server"] && sandbox.ok;
  const services = server ? await createServices(readEnv({ FLIGHTDECK_DATA: join(dir, "data"), FLIGHTDECK_DEMO: "", FLIGHTDECK_KEY_DIRS: fleet.dir })) : undefined;
  const rows = new Map<string, Sample[]>([
    ["plain ansible-playbook", []],
    ["flightdeck exec (CLI)", []],
    ...(server ? ([[SERVER, []]] as [string, Sample[]][]) : []),
  ]);
  const add = (name: string, s: Sample) => {
    rows.get(name)!.push(s);
    process.stderr.write(`  ${name}: ${secs(s.wallMs)} wall, ${secs(s.cpuMs)} CPU${s.events !== undefined ? `, ${s.events} events` : ""}\n`);
  };
  const loadBefore = load();
  const launches: number[] = [];
  let wrong = 0;
  try {
    const { site, plain, inventory } = files(fleet, hosts, tasks, dir);
    if (services) {
      await services.sites.create({ slug: "bench", name: "bench", files: [{ path: "site.yml", content: inventory }, { path: "playbooks/bench.yml", content: playbook(tasks) }], author: "bench", message: "bench" });
      await services.sites.setSettings("bench", { approvalsRequired: 0 });
      await services.sites.setLocalExecution("bench", true);
    }
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ANSIBLE_"))) as NodeJS.ProcessEnv;
    for (let r = 0; r < runs; r++) {
      const p = timed("ansible-playbook", ["-i", join(plain, "hosts.ini"), join(plain, "bench.yml")], { ...env, ANSIBLE_CONFIG: join(plain, "ansible.cfg") }, (status, out) =>
        status === 0 && out.includes(`ok=${tasks}`) ? undefined : "did not finish every task",
      );
      add("plain ansible-playbook", p);
      await closeMasters(join(plain, "cp"));

      // Its own cache directory: the first run lists the tasks cold (an Ansible start), the next ones find them.
      const f = timed(process.execPath, [cli, "exec", site, "--json", "--forks", String(hosts)], { ...env, XDG_CACHE_HOME: join(dir, "cache") }, (status, out) => {
        const last = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { status?: string; hosts?: Record<string, { steps: Record<string, string> }> };
        const stepsEach = Object.values(last.hosts ?? {}).map((h) => Object.keys(h.steps).length);
        return status === 0 && last.status === "succeeded" && stepsEach.length === hosts && stepsEach.every((n) => n === tasks + 1) ? undefined : "did not succeed on every host with every task";
      });
      const lines = f.stdout.trim().split("\n").map((l) => JSON.parse(l) as { t: number });
      add("flightdeck exec (CLI)", { ...f, events: lines.length, peak: peakPerSecond(lines.map((l) => l.t)) });

      if (services) {
        const cpu = process.cpuUsage();
        const childCpu = childrenCpuMs();
        const t = performance.now();
        // Requesting plans the run (with --list-tasks, cached by content), before any approval: timed apart.
        const id = await services.runner.launch({ site: "bench", deployment: "bench", requestedBy: "bench", forks: hosts });
        const approved = performance.now();
        launches.push(approved - t);
        const status = await services.runner.done(id);
        const wallMs = performance.now() - approved;
        const used = process.cpuUsage(cpu);
        const stored = await services.runs.events(id);
        if (status !== "succeeded") throw new Error(`server run ${id} ${status}`);
        // This process only (the engine, the event store): ansible-playbook runs in the sandbox, whose CPU is not
        // counted here (bwrap's pid namespace reaps it).
        add(SERVER, { wallMs, cpuMs: (used.user + used.system) / 1000 + childrenCpuMs() - childCpu, events: stored.length, peak: peakPerSecond(stored.map((e) => e.t)) });
      }
    }
  } catch (e) {
    wrong++;
    process.stderr.write(`bench ansible: ${(e as Error).message}\n`);
  } finally {
    await services?.close();
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const plainWall = median(rows.get("plain ansible-playbook")!.map((s) => s.wallMs));
  console.log(`\nansible bench: ${tasks}-task playbook (command: true, no facts) on ${hosts} fleet hosts, forks ${hosts}, ${runs} alternating runs; ${cpus().length} CPUs; load ${loadBefore} before, ${load()} after; medians\n`);
  console.log(`  ${"what".padEnd(42)} ${"wall".padStart(9)} ${"(min-max)".padStart(17)} ${"CPU".padStart(9)} ${"overhead".padStart(9)} ${"events".padStart(7)} ${"/s".padStart(5)} ${"peak/s".padStart(7)}`);
  for (const [name, samples] of rows) {
    if (!samples.length) continue;
    const walls = samples.map((s) => s.wallMs);
    const wall = median(walls);
    const cpu = median(samples.map((s) => s.cpuMs));
    const range = `${(Math.min(...walls) / 1000).toFixed(1)}-${(Math.max(...walls) / 1000).toFixed(1)} s`;
    const overhead = name.startsWith("plain") ? "" : `${(((wall - plainWall) / plainWall) * 100).toFixed(1)} %`;
    const events = samples[0]!.events === undefined ? "" : String(median(samples.map((s) => s.events!)));
    const rate = samples[0]!.events === undefined ? "" : median(samples.map((s) => (s.events! / s.wallMs) * 1000)).toFixed(0);
    const peak = samples[0]!.peak === undefined ? "" : String(median(samples.map((s) => s.peak!)));
    console.log(`  ${name.padEnd(42)} ${secs(wall).padStart(9)} ${range.padStart(17)} ${`${secs(cpu)}${name === SERVER ? "*" : ""}`.padStart(9)} ${overhead.padStart(9)} ${events.padStart(7)} ${rate.padStart(5)} ${peak.padStart(7)}`);
  }
  console.log(`\n  overhead = (Flightdeck's wall time - plain's) / plain's, medians (target <= 10 %)`);
  console.log(`  CPU: the process and what it started; * the server's own process only (engine, event store), Ansible runs in the sandbox`);
  console.log(`  flightdeck exec: its first run listed the playbook's tasks cold (--list-tasks), the others found them in its cache`);
  if (launches.length) console.log(`  server run: from approval to the end; requesting it (planning, --list-tasks in the sandbox) took ${launches.map((ms) => secs(ms)).join(", ")} before`);
  console.log(`  events: the CLI's printed JSON lines, the server's stored events; /s over the run's wall time; peak/s: the most within one second`);
  if (!server) console.log(`  server run: ${values["no-server"] ? "left out (--no-server)" : `no sandbox here (${sandbox.ok ? "" : sandbox.message})`}`);
  return wrong ? 1 : 0;
}
