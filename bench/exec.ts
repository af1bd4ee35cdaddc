/**
 * `npm run bench -- exec`: hosts x 10 `cmd.run` steps (`true`) on a fleet of real sshd processes, at several
 * fleet sizes (10, 50, 200 hosts; forks = hosts), so the cost per host shows as a slope. At each size, runs
 * alternate (A B C A B C ...) between:
 *   - `flightdeck exec --json` (the whole CLI process, from its bundle),
 *   - the floor in a fresh process (bench/exec-floor.ts bundled: one connection per host, the same commands,
 *     no engine), which pays the same process start and cold JIT as the CLI,
 *   - the same floor inside this process (warm JIT, no start-up), the bench's original floor.
 * Each is timed in wall and CPU (user+sys) time: a child's from /proc's cutime/cstime, this process's from
 * process.cpuUsage(). The machine's load is printed with every size: other work on the cores shows in wall
 * times, much less in CPU times. At 50 hosts, ansible-playbook (Debian's ansible-core: forks 50, pipelining, no
 * facts; the `command` module as people use it, and `raw`, Ansible's fastest case) is timed too.
 *
 *   npm run bench -- exec [--hosts 10,50,200] [--steps 10] [--runs 3] [--no-ansible]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import type { ConnectionSettings } from "../server/transports/types";
import { startFleet, type Fleet } from "../test/fleet/fleet";
import { floor } from "./exec-floor";

export const description = "hosts x 10 `true` steps over ssh at 10, 50, 200 hosts: flightdeck exec vs an ssh floor (and ansible-playbook at 50)";

/** Where the bench keeps its own bundles (inside the repo, so they resolve ssh2 from node_modules). */
const BUNDLES = "dist/bench-exec";

interface Sample {
  wallMs: number;
  cpuMs: number;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
const secs = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "n/a");
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

/** CPU time (ms) of this process's children that have ended and been waited for (/proc: cutime + cstime). */
function childrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 16 and 17 of stat(5), counted from the state field (3): indexes 13 and 14; clock ticks of 10 ms.
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** Runs a child to its end and measures it; throws with its stderr when `ok` rejects its result. */
function child(command: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv }, ok: (status: number | null, stdout: string) => boolean): Sample {
  const cpu = childrenCpuMs();
  const t = performance.now();
  const r = spawnSync(command, args, { encoding: "utf8", maxBuffer: 1 << 28, input: options.input, env: options.env });
  const sample = { wallMs: performance.now() - t, cpuMs: childrenCpuMs() - cpu };
  if (!ok(r.status, r.stdout)) throw new Error(`${command} ${args.slice(0, 2).join(" ")} failed (status ${r.status}): ${(r.stderr || r.stdout).slice(-2000)}`);
  return sample;
}

async function inProcess(fn: () => Promise<void>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - t, cpuMs: (used.user + used.system) / 1000 };
}

/** The CLI bundle (as `npm run build:cli` makes it) and the floor's, copied/built under BUNDLES. */
async function bundles(): Promise<{ cli: string; floor: string }> {
  execFileSync(process.execPath, ["scripts/build-cli.mjs"]);
  mkdirSync(BUNDLES, { recursive: true });
  // A private copy: bin/flightdeck.mjs falls back to tsx when any file of server/ is newer than the bundle,
  // which would measure the TypeScript loader whenever someone edits a file during the bench.
  const cli = join(BUNDLES, "flightdeck.mjs");
  copyFileSync("dist/flightdeck.mjs", cli);
  const floorBundle = join(BUNDLES, "floor.mjs");
  await build({
    entryPoints: ["bench/exec-floor.ts"],
    outfile: floorBundle,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["ssh2", "cpu-features"],
    logLevel: "warning",
  });
  return { cli, floor: floorBundle };
}

function flightdeckSite(fleet: Fleet, hosts: number, dir: string, steps: number) {
  const list = fleet.hosts
    .slice(0, hosts)
    .map((h) => `  - {name: ${h.name}, connection: {address: ${h.address}, port: ${h.port}}}`)
    .join("\n");
  const stepList = Array.from({ length: steps }, (_, i) => `  - {name: step ${i + 1}, action: cmd.run, params: {cmd: "true"}}`).join("\n");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "site.yml"),
    `kind: inventory
api_version: v1beta1
spec:
  hosts:
${list}
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

function ansibleFiles(fleet: Fleet, hosts: number, dir: string, steps: number) {
  const inv = fleet.hosts
    .slice(0, hosts)
    .map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}`)
    .join("\n");
  writeFileSync(
    join(dir, "hosts.ini"),
    `${inv}\n\n[all:vars]\nansible_user=${fleet.user}\nansible_ssh_private_key_file=${fleet.clientKeyPath}\nansible_python_interpreter=/usr/bin/python3\n`,
  );
  mkdirSync(join(dir, "cp"), { recursive: true });
  writeFileSync(
    join(dir, "ansible.cfg"),
    `[defaults]\nforks = ${hosts}\nhost_key_checking = True\ngathering = explicit\nretry_files_enabled = False\nstdout_callback = minimal\ninterpreter_python = /usr/bin/python3\n\n[ssh_connection]\npipelining = True\nssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${fleet.knownHostsPath} -o StrictHostKeyChecking=yes\ncontrol_path_dir = ${join(dir, "cp")}\n`,
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

interface Point {
  hosts: number;
  loadBefore: string;
  loadAfter: string;
  rows: Map<string, Sample[]>;
}

const FLIGHTDECK = "flightdeck exec (CLI process)";
const FLOOR = "floor, fresh process";
const FLOOR_WARM = "floor, in this process (warm)";

async function measure(fleet: Fleet, hosts: number, steps: number, runs: number, dir: string, paths: { cli: string; floor: string }, ansible: boolean): Promise<Point> {
  const site = join(dir, `site-${hosts}`);
  flightdeckSite(fleet, hosts, site, steps);
  const settings: ConnectionSettings[] = fleet.hosts.slice(0, hosts).map((_, i) => fleet.settings(i, { connect_timeout: 30 }));
  const floorInput = JSON.stringify({ hosts: settings, steps });
  const rows = new Map<string, Sample[]>([FLIGHTDECK, FLOOR, FLOOR_WARM].map((k) => [k, []]));
  const add = (name: string, s: Sample) => {
    rows.get(name)!.push(s);
    process.stderr.write(`  ${hosts} hosts, ${name}: ${secs(s.wallMs)} wall, ${secs(s.cpuMs)} CPU\n`);
  };
  const loadBefore = load();
  for (let r = 0; r < runs; r++) {
    add(
      FLIGHTDECK,
      child(process.execPath, [paths.cli, "exec", site, "--json", "--forks", String(hosts)], {}, (status, stdout) => {
        const last = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { status?: string; hosts?: Record<string, unknown> };
        return status === 0 && last.status === "succeeded" && Object.keys(last.hosts ?? {}).length === hosts;
      }),
    );
    add(FLOOR, child(process.execPath, [paths.floor], { input: floorInput }, (status) => status === 0));
    add(FLOOR_WARM, await inProcess(() => floor(settings, steps)));
  }
  if (ansible && ensureAnsible()) {
    ansibleFiles(fleet, hosts, dir, steps);
    for (const module of ["command", "raw"]) {
      const name = `ansible-playbook, ${module}`;
      rows.set(name, []);
      for (let r = 0; r < runs; r++)
        add(
          name,
          child("ansible-playbook", ["-i", join(dir, "hosts.ini"), join(dir, `${module}.yml`)], { env: { ...process.env, ANSIBLE_CONFIG: join(dir, "ansible.cfg") } }, (status) => status === 0),
        );
    }
  } else if (ansible) {
    process.stderr.write("bench: ansible-playbook is not installed and cannot be (needs root and apt): Ansible rows are n/a\n");
  }
  return { hosts, loadBefore, loadAfter: load(), rows };
}

function report(points: Point[], steps: number, runs: number) {
  console.log(`\nexec bench: hosts x ${steps} steps (\`true\`), forks = hosts, ${runs} alternating runs each; ${cpus().length} CPUs; medians\n`);
  for (const p of points) {
    const fd = p.rows.get(FLIGHTDECK)!;
    const fl = p.rows.get(FLOOR)!;
    const warm = p.rows.get(FLOOR_WARM)!;
    console.log(`${p.hosts} hosts (load ${p.loadBefore} before, ${p.loadAfter} after)`);
    console.log(`  ${"what".padEnd(34)} ${"wall".padStart(9)} ${"CPU".padStart(9)} ${"CPU/host-step".padStart(14)}`);
    for (const [name, samples] of p.rows) {
      const wall = median(samples.map((s) => s.wallMs));
      const cpu = median(samples.map((s) => s.cpuMs));
      console.log(`  ${name.padEnd(34)} ${secs(wall).padStart(9)} ${secs(cpu).padStart(9)} ${`${((cpu / (p.hosts * steps)) * 1000).toFixed(0)} µs`.padStart(14)}`);
    }
    const ratio = (a: Sample[], b: Sample[], k: keyof Sample) => (median(a.map((s) => s[k])) / median(b.map((s) => s[k]))).toFixed(2);
    console.log(`  flightdeck vs fresh floor: ${ratio(fd, fl, "wallMs")}x wall, ${ratio(fd, fl, "cpuMs")}x CPU; vs warm floor: ${ratio(fd, warm, "wallMs")}x wall, ${ratio(fd, warm, "cpuMs")}x CPU (target <= 1.2x wall)`);
    const command = p.rows.get("ansible-playbook, command");
    const raw = p.rows.get("ansible-playbook, raw");
    if (command?.length && raw?.length) console.log(`  ansible command vs flightdeck: ${ratio(command, fd, "wallMs")}x slower (target >= 10x); raw: ${ratio(raw, fd, "wallMs")}x`);
    console.log("");
  }
  if (points.length > 1) {
    // The slope: extra CPU per added host-step between the smallest and the largest fleet.
    const [a, b] = [points[0]!, points.at(-1)!];
    const slope = (name: string) => {
      const cpu = (p: Point) => median(p.rows.get(name)!.map((s) => s.cpuMs));
      return (((cpu(b) - cpu(a)) / ((b.hosts - a.hosts) * steps)) * 1000).toFixed(0);
    };
    console.log(`CPU per added host-step (${a.hosts} -> ${b.hosts} hosts): flightdeck ${slope(FLIGHTDECK)} µs, fresh floor ${slope(FLOOR)} µs, warm floor ${slope(FLOOR_WARM)} µs`);
  }
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { hosts: { type: "string", default: "10,50,200" }, steps: { type: "string", default: "10" }, runs: { type: "string", default: "3" }, "no-ansible": { type: "boolean" } },
  });
  const sizes = values.hosts.split(",").map(Number);
  const steps = Number(values.steps);
  const runs = Number(values.runs);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(steps) || steps < 1 || !Number.isInteger(runs) || runs < 1) {
    console.error("bench exec: --hosts is a list of whole numbers (10,50,200); --steps and --runs are whole numbers");
    return 2;
  }
  const paths = await bundles();
  const fleet = await startFleet({ hosts: Math.max(...sizes), logLevel: "ERROR" });
  const dir = mkdtempSync(join(tmpdir(), "fd-bench-exec-"));
  const points: Point[] = [];
  let wrong = 0;
  try {
    for (const hosts of sizes) {
      try {
        points.push(await measure(fleet, hosts, steps, runs, dir, paths, hosts === 50 && !values["no-ansible"]));
      } catch (err) {
        wrong++;
        process.stderr.write(`bench exec: ${hosts} hosts: ${(err as Error).message}\n`);
      }
    }
    report(points, steps, runs);
  } finally {
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return wrong ? 1 : 0;
}
