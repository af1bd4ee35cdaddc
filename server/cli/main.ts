/**
 * The `flightdeck` command line. It uses the same site model as the dashboard and never prints a stack
 * trace for bad input: usage problems exit 2, lint errors exit 1.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { execute, planDeployment, type Plan } from "../engine";
import { errorCode, isNamed } from "../errors";
import type { SecretsSource } from "../engine/secrets";
import { formatDiagnostic, hasErrors, loadSite, readSiteDir, readSiteDirectory, resolveAll, type Site } from "../inventory";
import { sortDiagnostics } from "../inventory/diagnostics";
// The secrets modules (and age) load only for the commands that use them: `lint` and `plan` start fast.
import { SecretsUsageError } from "../secrets/errors";
import { SECRETS_FILE_NAMES } from "../secrets/site";
import { LaunchError, UsageError } from "./errors";
import { jsonDisplay, lineDisplay, terminalDisplay } from "./progress";

const USAGE = `usage: flightdeck <command> [options]

commands:
  lint SITE                                   validate every document of a site, and the playbooks its
                                              steps name (ansible-playbook --syntax-check, sandboxed)
  resolve SITE [--host H] [--explain] [--reveal] --json
                                              every host's groups, connection and variables;
                                              secret: references as written (--reveal decrypts them)
  plan SITE [--deployment NAME] [--json]      the hosts, steps and batches a run would execute
  exec SITE [--deployment NAME] [--forks N] [--limit H,H] [--json]
                                              run a deployment from here
  launch SITE --server URL [--deployment NAME] [--reason TEXT] [--wait] [--json]
                                              request a run on a dashboard (SITE is the site's id there);
                                              it waits for approval; FLIGHTDECK_TOKEN holds an API token
  secrets <command> SITE ...                  the site's secrets.yml: keys, get, set, rm, edit, rotate,
                                              recipients (flightdeck secrets help)
  export ansible SITE -o FILE.tgz|FILE.zip|DIR [--limit TARGETS] [--reveal --vault-password-file F]
                                              an Ansible inventory bundle (ansible.cfg, hosts/); secret:
                                              references as written (--reveal: vault-encrypted values)
  inventory SITE --list | --host H            the site as an Ansible inventory script prints it
  import ansible PATH -o SITE_DIR [--vault-password-file F] [--age-recipient R]
                                              a new site from an Ansible inventory (file or directory, with
                                              group_vars/ and host_vars/): flightdeck import help
  serve [--no-worker]                         start the dashboard (same as npm start); --no-worker: runs are
                                              executed by worker processes (PostgreSQL only)
  worker                                      execute queued runs of a PostgreSQL installation
                                              (flightdeck worker --help)
  migrate                                     apply this build's database migrations and stop

exit status: 0 clean (exec: every host ok), 1 lint errors (exec: a host failed), 2 bad usage or input`;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** The terminal, when stdout is one: exec draws a live display there. */
  tty?: NodeJS.WriteStream;
  /** Aborted on Ctrl+C: exec cancels the run. */
  signal?: AbortSignal;
  /** The environment (FLIGHTDECK_TOKEN for launch); the process's own by default. */
  env?: Record<string, string | undefined>;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "lint":
        return await lint(rest, io);
      case "resolve":
        return await resolve(rest, io);
      case "plan":
        return await plan(rest, io);
      case "exec":
        return await exec(rest, io);
      case "launch":
        return await (await import("./launch")).launch(rest, { ...io, env: io.env ?? process.env });
      case "export":
        return await (await import("./export-ansible")).exportCommand(rest, io);
      case "inventory":
        return (await import("./export-ansible")).inventoryCommand(rest, io);
      case "import":
        return await (await import("./import-ansible")).importCommand(rest, io);
      case "secrets":
        return await (await import("../secrets/cli")).secretsCommand(rest, io);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof SecretsUsageError) {
      io.err(`flightdeck: ${e.message}\n\n${e.usage}`);
      return 2;
    }
    if (e instanceof UsageError || isNamed(e, "SiteNotFoundError") || isArgError(e)) {
      io.err(`flightdeck: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    // Secrets, plan and launch problems: the message says what is wrong and where.
    if (e instanceof LaunchError || errorCode(e)) {
      io.err(`flightdeck: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
}

function isArgError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

function siteArg(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(positionals.length ? "give exactly one SITE directory" : "missing SITE directory");
  return positionals[0]!;
}

async function lint(args: string[], io: Io): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const { files, binary } = readSiteDirectory(siteArg(positionals));
  const site = loadSite(files);
  // Ansible's own checks (sandboxed ansible-playbook --syntax-check), and binary files a site leaves out.
  const ansible = await (await import("../ansible/lint")).ansibleLint(site, binary, { path: (io.env ?? process.env).PATH });
  const diagnostics = ansible.length ? sortDiagnostics([...site.diagnostics, ...ansible]) : site.diagnostics;
  for (const d of diagnostics) io.out(formatDiagnostic(d));
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  io.err(`${site.model.hosts.size} hosts, ${site.model.groups.size} groups, ${site.model.profiles.size} profiles: ${errors} errors, ${warnings} warnings`);
  return errors ? 1 : 0;
}

async function resolve(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { host: { type: "string", multiple: true }, explain: { type: "boolean" }, reveal: { type: "boolean" }, json: { type: "boolean" } },
  });
  if (!values.json) throw new UsageError("resolve prints JSON: add --json");
  const dir = siteArg(positionals);
  const site = loadSite(readSiteDir(dir));
  if (hasErrors(site.diagnostics)) return report(site, io);
  for (const d of site.diagnostics) io.err(formatDiagnostic(d));
  let hosts: Record<string, unknown>;
  if (values.host?.length) {
    hosts = {};
    for (const name of values.host) {
      if (!site.model.hosts.has(name)) throw new UsageError(`no host named '${name}' in the site`);
      hosts[name] = strip(values.explain ? site.resolver.resolve(name, true) : site.resolver.resolve(name));
    }
  } else {
    const all = values.explain ? resolveAll(site, true) : resolveAll(site);
    hosts = {};
    for (const [name, host] of Object.entries(all)) hosts[name] = strip(host);
  }
  if (values.reveal) hosts = await reveal(dir, hosts, io);
  io.out(JSON.stringify({ hosts }, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
  return 0;
}

/** `resolve --reveal`: every `secret:` reference in connections and vars replaced by its decrypted value. */
async function reveal(dir: string, hosts: Record<string, unknown>, io: Io): Promise<Record<string, unknown>> {
  const { readSecretsFile, revealReferences } = await import("../secrets");
  const { cliIdentities } = await import("../secrets/cli");
  const { siteSecretsFile } = await import("../secrets/site");
  const file = siteSecretsFile(dir);
  if (!file.exists) {
    io.err("flightdeck: --reveal: the site has no secrets.yml; nothing to reveal");
    return hosts;
  }
  const { values } = await readSecretsFile(readFileSync(file.path, "utf8"), cliIdentities(process.env), { file: file.name });
  io.err(`flightdeck: --reveal: printing decrypted secrets from ${file.name}; do not paste this output anywhere`);
  const out: Record<string, unknown> = {};
  for (const [name, host] of Object.entries(hosts)) {
    out[name] = Object.fromEntries(
      Object.entries(host as Record<string, unknown>).map(([k, v]) => [k, k === "connection" || k === "vars" ? revealReferences(v, values, file.name) : v]),
    );
  }
  return out;
}

function report(site: Site, io: Io): number {
  for (const d of site.diagnostics) io.err(formatDiagnostic(d));
  return 1;
}

/** The host's name is the key of the output map; it is not repeated inside. */
function strip<T extends { name: string }>(host: T): Omit<T, "name"> {
  const { name: _, ...rest } = host;
  return rest;
}

async function plan(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { deployment: { type: "string" }, json: { type: "boolean" } } });
  const dir = siteArg(positionals);
  const site = loadSite(readSiteDir(dir));
  const p = await playbookTasks(site, planDeployment(site, { deployment: values.deployment }), dir);
  if (values.json) io.out(JSON.stringify(p));
  else io.out(describePlan(p));
  return 0;
}

/** The plan with its playbook steps' tasks listed by Ansible (only sites with ansible.playbook steps load it). */
async function playbookTasks(site: Site, p: Plan, dir: string): Promise<Plan> {
  if (!p.stages.some((s) => s.operations.some((op) => op.steps.some((st) => st.action === "ansible.playbook")))) return p;
  const { withPlaybookTasks } = await import("../ansible/playbook/list-tasks");
  // Listings are kept between runs by the content of the site's Ansible files (a listing costs an Ansible start).
  const cache = process.env.XDG_CACHE_HOME || (process.env.HOME ? join(process.env.HOME, ".cache") : undefined);
  return withPlaybookTasks(site, p, { siteDir: dir, cacheDir: cache && join(cache, "flightdeck", "ansible-tasks") });
}

/** The site directory's secrets file and the CLI's usual identity sources (asked for only if a step uses a secret). */
function siteSecrets(dir: string): SecretsSource {
  const found = SECRETS_FILE_NAMES.map((name) => join(dir, name)).find((path) => existsSync(path));
  return {
    file: found ? { name: basename(found), text: readFileSync(found, "utf8") } : undefined,
    identities: async () => (await import("../secrets/cli")).cliIdentities(process.env),
    env: process.env,
  };
}

export function describePlan(p: Plan): string {
  const lines = [`deployment ${p.deployment}${p.title !== p.deployment ? ` (${p.title})` : ""}: ${p.stages.length} stages, ${p.hosts.length} hosts, ${p.steps.length} steps`];
  p.stages.forEach((stage, s) => {
    lines.push(`stage ${s + 1}/${p.stages.length}: ${stage.name}`);
    for (const op of stage.operations) {
      lines.push(`  ${op.name}: ${op.hosts.length} hosts, max_fail_percentage ${op.maxFailPercentage}%`);
      op.batches.forEach((b, i) => lines.push(`    batch ${i + 1}/${op.batches.length}${op.serial !== null ? ` (serial ${op.serial})` : ""}: ${b.join(", ")}`));
      // A playbook's tasks (sub-steps) are listed under their step.
      const top = op.steps.filter((st) => st.parent === undefined);
      top.forEach((st, i) => {
        const notes = [
          st.action,
          st.requires.length && !(i > 0 && st.requires.length === 1 && st.requires[0] === top[i - 1]!.id) ? `after ${st.requires.join(", ")}` : "",
          st.when ? `when ${st.when}` : "",
          st.sync ? "sync" : "",
          st.runOnce ? "run_once" : "",
          st.retry ? `retry ${st.retry.limit}x every ${st.retry.intervalMs} ms` : "",
          st.timeoutMs !== undefined ? `timeout ${st.timeoutMs} ms` : "",
          st.success ? `success ${st.success}` : "",
          st.continue ? `continue ${st.continue.condition} (${st.continue.limit + 1} checks, ${st.continue.intervalMs} ms apart)` : "",
          st.become ? `become ${st.become === true ? "root" : st.become}` : "",
        ].filter(Boolean);
        lines.push(`    ${String(i + 1).padStart(2)}. ${st.id} (${notes.join(", ")})`);
        for (const sub of op.steps) if (sub.parent === st.id) lines.push(`          task: ${sub.id}`);
      });
    }
  });
  if (p.machines) {
    lines.push("machines:");
    for (const [host, machine] of Object.entries(p.machines)) lines.push(`  ${host} -> ${machine}`);
  }
  return lines.join("\n");
}

async function exec(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { deployment: { type: "string" }, forks: { type: "string" }, limit: { type: "string" }, json: { type: "boolean" } },
  });
  const forks = values.forks === undefined ? 50 : Number(values.forks);
  if (!Number.isInteger(forks) || forks < 1 || forks > 10000) throw new UsageError(`--forks must be a whole number from 1 to 10000, not '${values.forks}'`);
  const dir = siteArg(positionals);
  const site = loadSite(readSiteDir(dir));
  const limit = values.limit?.split(",").map((h) => h.trim()).filter(Boolean);
  for (const h of limit ?? []) if (!site.model.hosts.has(h)) throw new UsageError(`--limit: no host named '${h}' in the site`);
  const p = await playbookTasks(site, planDeployment(site, { deployment: values.deployment, limit }), dir);
  for (const d of site.diagnostics) io.err(formatDiagnostic(d));
  const display = values.json ? jsonDisplay(p, io.out) : io.tty ? terminalDisplay(p, io.tty) : lineDisplay(p, io.out);
  const status = await execute({ site, plan: p, sink: display, signal: io.signal ?? new AbortController().signal, forks, siteDir: dir, secrets: siteSecrets(dir) });
  display.finish();
  return status === "succeeded" ? 0 : 1;
}
