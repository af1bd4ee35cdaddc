/**
 * Site-model speed: the whole `flightdeck resolve SITE --json` process on a 10,000-host site (target under
 * 1 s wall, from the bundled CLI), and an in-process lint of a ~2,000-line inventory (target under 50 ms,
 * what the editor pays on a keystroke). Also the in-process phases of the large site, to know where time goes.
 *
 *   npm run bench -- resolve [--runs N] [--keep]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { formatDiagnostic, loadSite, readSiteDir, resolveAll, type SiteFile } from "../server/inventory";
import { buildModel } from "../server/inventory/model";
import { Resolver, siblingConflicts } from "../server/inventory/resolve";
import { parseSite } from "../server/inventory/source";
import { validateDocs } from "../server/inventory/validate";
import { buildWorkflows } from "../server/inventory/workflows";
import { countLines, generateSite, LARGE, writeSite, type SiteShape } from "./generate-site";

export const description = "CLI `resolve --json` on 10,000 hosts (wall) and in-process lint of ~2,000 lines";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "flightdeck.mjs");
const BUNDLE = join(ROOT, "dist", "flightdeck.mjs");

/** About 2,000 lines: what one person edits in one file of a mid-sized site. */
const EDITOR: SiteShape = { hosts: 170, groups: 20, profiles: 20, hostFiles: 1 };

const CLI_TARGET_MS = 1000;
const LINT_TARGET_MS = 50;

interface Row {
  what: string;
  runs: number;
  min: number;
  median: number;
  target?: number;
}

export function run(args: string[]): number {
  const { values } = parseArgs({ args, options: { runs: { type: "string", default: "7" }, keep: { type: "boolean" } } });
  const runs = Math.max(1, Number(values.runs) || 7);
  const problems: string[] = [];
  const rows: Row[] = [];

  const dir = mkdtempSync(join(tmpdir(), "flightdeck-bench-"));
  try {
    const files = generateSite(LARGE);
    writeSite(dir, files);
    const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
    console.log(`site: ${fmt(LARGE.hosts)} hosts, ${LARGE.groups} groups (+ all), ${LARGE.profiles} profiles; ${files.length} files, ${fmt(countLines(files))} lines, ${(bytes / 1e6).toFixed(1)} MB in ${dir}`);

    buildBundle(problems);
    rows.push(cliResolve(dir, runs, problems));
    rows.push(inProcessLint(problems));
    rows.push(inProcessLintWithError(problems));
    const phases = inProcessPhases(dir, problems);

    console.log("");
    printTable(rows);
    // Wall times depend on what else runs: say so next to them.
    console.log(`(${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}; node ${process.version})`);
    console.log(`\nin-process phases, ${fmt(LARGE.hosts)} hosts (median of 3, ms):`);
    for (const [name, ms] of phases) console.log(`  ${name.padEnd(34)} ${ms.toFixed(1).padStart(8)}`);
  } finally {
    if (values.keep) console.log(`\nkept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  for (const p of problems) console.error(`bench: ${p}`);
  return problems.length ? 1 : 0;
}

/** The CLI starts from dist/ only when the bundle is newer than every source under server/. */
function buildBundle(problems: string[]) {
  const r = spawnSync(process.execPath, ["scripts/build-cli.mjs"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) problems.push("building the CLI bundle failed");
  const built = statSync(BUNDLE, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built <= newest(join(ROOT, "server"))) problems.push("the CLI bundle is older than server/: the timings below went through tsx");
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function cliResolve(dir: string, runs: number, problems: string[]): Row {
  const times: number[] = [];
  let expected: string | undefined;
  for (let i = 0; i <= runs; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, [BIN, "resolve", dir, "--json"], { encoding: "utf8", maxBuffer: 1 << 30 });
    const ms = performance.now() - start;
    if (r.status !== 0 || r.stderr) {
      problems.push(`resolve exited ${r.status} with: ${r.stderr.slice(0, 500)}`);
      break;
    }
    if (expected === undefined) {
      expected = r.stdout;
      checkResolved(r.stdout, problems);
    } else if (r.stdout !== expected) {
      problems.push("resolve printed different output on different runs");
    }
    if (i > 0) times.push(ms); // the first run warms the file system cache
  }
  return { what: `CLI resolve --json, ${fmt(LARGE.hosts)} hosts (wall)`, runs: times.length, ...stats(times), target: CLI_TARGET_MS };
}

/** The output is complete and right where the generator made it interesting. */
function checkResolved(stdout: string, problems: string[]) {
  type Host = { groups: string[]; profile: string; connection: Record<string, unknown>; vars: Record<string, unknown> };
  let hosts: Record<string, Host>;
  try {
    hosts = (JSON.parse(stdout) as { hosts: Record<string, Host> }).hosts;
  } catch {
    problems.push("resolve did not print JSON");
    return;
  }
  const names = Object.keys(hosts);
  if (names.length !== LARGE.hosts) problems.push(`resolve printed ${names.length} hosts, not ${LARGE.hosts}`);
  const expect = (what: string, ok: boolean) => ok || problems.push(`resolve output: ${what}`);
  const first = hosts["node-00001"];
  const removed = hosts["node-00004"]; // i = 3: "!ntp": ~
  const sysctl = hosts["node-00008"]; // i = 7: "!vm.swappiness": ~
  expect("node-00001 missing", first !== undefined);
  if (!first || !removed || !sysctl) return;
  expect("groups are all, region, datacenter, rack, role", first.groups.length === 5 && first.groups[0] === "all");
  expect("the rack's ntp reaches hosts", Array.isArray(first.vars.ntp) && String(first.vars.ntp[0]).startsWith("ntp1.dc-"));
  expect("'!ntp' removes ntp", removed.vars.ntp === undefined);
  const sc = sysctl.vars.sysctl as Record<string, unknown>;
  expect("'!vm.swappiness' removes only that key", !("vm.swappiness" in sc) && sc["net.core.somaxconn"] === 4096 && sc["fs.file-max"] === 1048576);
  expect("nested maps merge", (first.vars.dns as { options?: { ndots?: number } }).options?.ndots === 2);
  expect("connection defaults", first.connection.port === 22 && first.connection.transport === "ssh");
}

function inProcessLint(problems: string[]): Row {
  const files = generateSite(EDITOR);
  const lines = countLines(files);
  const lintOnce = () => loadSite(files).diagnostics.map(formatDiagnostic);
  for (let i = 0; i < 5; i++) lintOnce();
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    const out = lintOnce();
    times.push(performance.now() - start);
    if (out.length) problems.push(`the lint site is not clean: ${out[0]}`);
  }
  return { what: `in-process lint, ${fmt(lines)} lines (loadSite)`, runs: times.length, ...stats(times), target: LINT_TARGET_MS };
}

/**
 * The same site with one mistake, as while typing: a diagnostic needs positions, so the file it is in is parsed
 * by `yaml` (fast-yaml.ts gives data only). No target: this is what an edit in progress costs.
 */
function inProcessLintWithError(problems: string[]): Row {
  const files = generateSite(EDITOR).map((f, i) => (i === 0 ? { ...f, content: f.content.replace("    profile: ", "    profil: ") } : f));
  const lintOnce = () => loadSite(files).diagnostics.map(formatDiagnostic);
  for (let i = 0; i < 5; i++) lintOnce();
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    const out = lintOnce();
    times.push(performance.now() - start);
    if (out.length !== 1) problems.push(`the lint site with one mistake gave ${out.length} diagnostics`);
  }
  return { what: `  the same with one error (positions from yaml)`, runs: times.length, ...stats(times) };
}

/** Where the time of a large resolve goes, step by step as `loadSite` and the CLI do it. */
function inProcessPhases(dir: string, problems: string[]): [string, number][] {
  const samples = new Map<string, number[]>();
  const time = <T>(name: string, fn: () => T): T => {
    const start = performance.now();
    const out = fn();
    const list = samples.get(name) ?? [];
    list.push(performance.now() - start);
    samples.set(name, list);
    return out;
  };
  for (let i = 0; i < 4; i++) {
    const files: SiteFile[] = time("read files", () => readSiteDir(dir));
    const parsed = time("parse YAML", () => parseSite(files));
    const validated = time("validate (zod)", () => validateDocs(parsed.docs));
    const built = time("build model", () => buildModel(validated.valid));
    const resolver = new Resolver(built.model);
    const conflicts = time("sibling-group check", () => siblingConflicts(built.model, resolver));
    const workflows = time("blueprints and deployments", () => buildWorkflows(validated.valid, built.model, resolver));
    const site = { files, docs: parsed.docs, model: built.model, diagnostics: conflicts, resolver, workflows };
    const hosts = time("resolve every host", () => resolveAll(site));
    time("JSON.stringify", () => JSON.stringify({ hosts }));
    if (parsed.diagnostics.length + validated.diagnostics.length + built.diagnostics.length + conflicts.length + workflows.diagnostics.length) problems.push("the large site has diagnostics");
    if (i === 0) samples.clear(); // warm-up
  }
  const out: [string, number][] = [...samples].map(([name, list]) => [name, stats(list).median]);
  out.push(["total", out.reduce((n, [, ms]) => n + ms, 0)]);
  return out;
}

function stats(times: number[]): { min: number; median: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0] ?? NaN, median };
}

function printTable(rows: Row[]) {
  const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(3)} s` : `${v.toFixed(1)} ms`);
  const header = ["measure", "runs", "min", "median", "target", ""];
  const body = rows.map((r) => [r.what, String(r.runs), ms(r.min), ms(r.median), r.target ? `< ${ms(r.target)}` : "", r.target ? (r.median < r.target ? "ok" : "MISSED") : ""]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  ").trimEnd());
  for (const b of body) console.log(line(b));
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}
