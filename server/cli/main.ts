/**
 * The `flightdeck` command line. It uses the same site model as the dashboard and never prints a stack
 * trace for bad input: usage problems exit 2, lint errors exit 1.
 */
import { parseArgs } from "node:util";
import { formatDiagnostic, hasErrors, loadSite, readSiteDir, resolveAll, SiteNotFoundError, type Site } from "../inventory";

const USAGE = `usage: flightdeck <command> [options]

commands:
  lint SITE                                   validate every document of a site
  resolve SITE [--host H] [--explain] --json  every host's groups, connection and variables
  serve                                       start the dashboard (same as npm start)

exit status: 0 clean, 1 lint errors, 2 bad usage`;

export class UsageError extends Error {}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export function run(argv: string[], io: Io): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "lint":
        return lint(rest, io);
      case "resolve":
        return resolve(rest, io);
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
    if (e instanceof UsageError || e instanceof SiteNotFoundError || isArgError(e)) {
      io.err(`flightdeck: ${(e as Error).message}\n\n${USAGE}`);
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

function lint(args: string[], io: Io): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const site = loadSite(readSiteDir(siteArg(positionals)));
  for (const d of site.diagnostics) io.out(formatDiagnostic(d));
  const errors = site.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = site.diagnostics.length - errors;
  io.err(`${site.model.hosts.size} hosts, ${site.model.groups.size} groups, ${site.model.profiles.size} profiles: ${errors} errors, ${warnings} warnings`);
  return errors ? 1 : 0;
}

function resolve(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { host: { type: "string", multiple: true }, explain: { type: "boolean" }, json: { type: "boolean" } },
  });
  if (!values.json) throw new UsageError("resolve prints JSON: add --json");
  const site = loadSite(readSiteDir(siteArg(positionals)));
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
  io.out(JSON.stringify({ hosts }));
  return 0;
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
