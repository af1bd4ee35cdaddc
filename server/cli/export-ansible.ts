/**
 * `flightdeck export ansible SITE -o OUT` (an Ansible bundle: .tgz, .zip or a directory) and
 * `flightdeck inventory SITE --list | --host H` (Ansible's inventory-script protocol). Both print lint errors
 * and exit 1 on a site with errors, as `resolve` does.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { bundleTgz, bundleZip, formatOf, writeBundleDir } from "../ansible/export/archive";
import { bundleFiles } from "../ansible/export/bundle";
import { referenceOf } from "../engine/secrets";
import { ExportError } from "../ansible/export/errors";
import { ansibleInventory, type AnsibleBundleOptions } from "../ansible/export/inventory";
import { inventoryHost, inventoryList } from "../ansible/export/script";
import { formatDiagnostic, hasErrors, loadSite, matchTarget, readSiteDir, type Site } from "../inventory";
import { UsageError } from "./errors";
import type { Io } from "./main";

export async function exportCommand(args: string[], io: Io): Promise<number> {
  const [what, ...rest] = args;
  if (what !== "ansible") throw new UsageError(what === undefined ? "export what? (flightdeck export ansible SITE -o OUT)" : `cannot export '${what}': only 'ansible'`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { output: { type: "string", short: "o" }, limit: { type: "string", multiple: true }, reveal: { type: "boolean" }, "vault-password-file": { type: "string" } },
  });
  const dir = siteDir(positionals);
  const out = values.output;
  if (!out) throw new UsageError("give the bundle's file or directory with -o (FILE.tgz, FILE.zip or DIR)");
  const passwordFile = values["vault-password-file"];
  if (values.reveal && !passwordFile) throw new UsageError("--reveal writes secrets vault-encrypted: give the vault password with --vault-password-file F");
  if (passwordFile && !values.reveal) throw new UsageError("--vault-password-file is for --reveal (without it, secrets stay secret: references)");

  const site = checkedSite(dir, io);
  if (!site) return 1;
  const options: AnsibleBundleOptions = {};
  if (values.limit?.length) options.hosts = limitHosts(site, values.limit);
  if (values.reveal) {
    Object.assign(options, await revealer(site, dir, options.hosts ?? [...site.model.hosts.keys()], passwordFile!));
    io.err(`flightdeck: --reveal: secrets are written vault-encrypted with the password in ${passwordFile}`);
  }
  const inv = ansibleInventory(site, options);
  const files = bundleFiles(inv, options);
  const format = formatOf(out);
  if (format === "dir") writeBundleDir(files, out);
  else writeAtomic(out, format === "tgz" ? bundleTgz(files) : bundleZip(files));
  io.err(`wrote ${out}: ${inv.hosts.length} hosts, ${inv.groups.length} groups, ${files.size} files`);
  return 0;
}

export function inventoryCommand(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { list: { type: "boolean" }, host: { type: "string" } } });
  if (!values.list === (values.host === undefined)) throw new UsageError("give --list or --host H (as Ansible calls an inventory script)");
  const site = checkedSite(siteDir(positionals), io, true);
  if (!site) return 1;
  if (values.host !== undefined) {
    if (!site.model.hosts.has(values.host)) throw new UsageError(`no host named '${values.host}' in the site`);
    io.out(inventoryHost(ansibleInventory(site, { hosts: [values.host] }), values.host));
  } else io.out(inventoryList(ansibleInventory(site)));
  return 0;
}

function siteDir(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(positionals.length ? "give exactly one SITE directory" : "missing SITE directory");
  return positionals[0]!;
}

/** The site, or undefined after printing its errors. Warnings are printed too, except for the inventory script (Ansible shows its stderr as an error). */
function checkedSite(dir: string, io: Io, quiet = false): Site | undefined {
  const site = loadSite(readSiteDir(dir));
  if (hasErrors(site.diagnostics)) {
    for (const d of site.diagnostics) if (d.severity === "error") io.err(formatDiagnostic(d));
    return undefined;
  }
  if (!quiet) for (const d of site.diagnostics) io.err(formatDiagnostic(d));
  return site;
}

/**
 * `--limit`: targets as deployments name them (groups, hosts, globs such as `web-*`, label selectors such as
 * `role=web`). A value without `=` may list several, separated by commas; a label selector is one value (its
 * terms are joined by commas); `--limit` may be repeated.
 */
export function limitHosts(site: Site, limits: readonly string[]): string[] {
  const targets = limits.flatMap((l) => (l.includes("=") ? [l] : l.split(",")).map((t) => t.trim()).filter(Boolean));
  if (!targets.length) throw new UsageError("--limit: no targets given");
  const chosen = new Set<string>();
  for (const t of targets) {
    const hosts = matchTarget(site.model, site.resolver, t);
    if (!hosts.length) throw new UsageError(`--limit: '${t}' matches no host`);
    for (const h of hosts) chosen.add(h);
  }
  return [...site.model.hosts.keys()].filter((h) => chosen.has(h));
}

/**
 * The hooks for --reveal: each reference decrypted (or read from the environment) once and vault-encrypted once;
 * a value that is not a string (a number, a map) keeps its type in a vars file encrypted whole.
 */
async function revealer(site: Site, dir: string, hosts: readonly string[], passwordFile: string): Promise<Pick<AnsibleBundleOptions, "secret" | "vaultFile">> {
  const { passwordFromFile, vaultEncrypt } = await import("../ansible/vault");
  const password = passwordFromFile(readFileSync(passwordFile), passwordFile);
  const { readSecretsFile, secretValue } = await import("../secrets");
  const { cliIdentities } = await import("../secrets/cli");
  const { siteSecretsFile } = await import("../secrets/site");
  const file = siteSecretsFile(dir);
  // Decrypted when the first secret: reference is met, so a site without any needs no identity.
  let values: Promise<Record<string, unknown>> | undefined;
  const open = () => (values ??= readSecretsFile(readFileSync(file.path, "utf8"), cliIdentities(process.env), { file: file.name }).then((c) => c.values));
  // The hook is synchronous: every value it may be asked for is decrypted here, before the bundle is built.
  const plain = new Map<string, unknown>();
  for (const ref of references(site, hosts)) {
    if (ref.startsWith("env:")) {
      const name = ref.slice(4);
      if (process.env[name] === undefined) throw new ExportError(`${ref}: the environment variable ${name} is not set`);
      plain.set(ref, process.env[name]);
    } else {
      if (!file.exists) throw new ExportError(`${ref}: the site has no secrets.yml`);
      plain.set(ref, secretValue(await open(), ref.slice("secret:".length), file.name));
    }
  }
  const memo = new Map<string, { vault: string } | { vaultFile: unknown }>();
  return {
    secret: (ref) => {
      let v = memo.get(ref);
      if (!v) {
        const value = plain.get(ref);
        memo.set(ref, (v = typeof value === "string" ? { vault: vaultEncrypt(value, password) } : { vaultFile: value }));
      }
      return v;
    },
    vaultFile: (text) => vaultEncrypt(text, password),
  };
}

/** Every `secret:`/`env:` reference the hosts' variables hold (and their connections, but for key and known_hosts paths, which are not revealed). */
function references(site: Site, hosts: readonly string[]): Set<string> {
  const refs = new Set<string>();
  const walk = (v: unknown) => {
    const ref = referenceOf(v);
    if (ref !== undefined) refs.add(ref);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
  };
  for (const h of hosts) {
    const { vars, connection } = site.resolver.resolve(h);
    walk(vars);
    walk({ ...connection, key_file: undefined, known_hosts: undefined });
  }
  return refs;
}

/** A file written whole or not at all: a temporary file beside it, renamed over it. */
function writeAtomic(path: string, data: Uint8Array) {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  try {
    writeFileSync(temp, data, { mode: 0o644 });
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}
