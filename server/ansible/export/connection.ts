/**
 * A host's Flightdeck `connection` as Ansible inventory variables. Only fields the site sets are written:
 * Flightdeck's defaults (ssh, port 22, the host's name as address, strict host keys, ~/.ssh/known_hosts) are
 * Ansible's and ssh's defaults too, so leaving them out connects the same way and keeps an imported Ansible
 * inventory's variables as they were.
 *
 *   transport: local        -> ansible_connection: local (ssh, when set, -> ansible_connection: ssh)
 *   address / port / user   -> ansible_host / ansible_port / ansible_user
 *   key_file                -> ansible_ssh_private_key_file
 *   connect_timeout         -> ansible_timeout (whole seconds; Ansible passes its own ConnectTimeout first)
 *   known_hosts, host_key_checking, jump
 *                           -> ansible_ssh_common_args: -o UserKnownHostsFile=... -o StrictHostKeyChecking=...
 *                              -o ProxyJump=user@address:port (or a ProxyCommand, see jumpArgs)
 */
import { mergeLayer, type Data, type Layer } from "../../inventory/merge";
import type { Site } from "../../inventory";
import { ExportError } from "./errors";

export type PathKind = "key_file" | "known_hosts";

export interface ConnectionHooks {
  path: (kind: PathKind, value: string, host: string) => string;
}

const POLICY: Record<string, string> = { strict: "yes", "accept-new": "accept-new", off: "no" };
const DEFAULT_PORT = 22;

/** The connection fields a host's levels set (without the defaults `resolve` fills in), cached per level set; and jump hosts' resolved connections. */
export class ExplicitConnections {
  private readonly bases = new Map<string[], Map<string, Data>>();
  private readonly jumps = new Map<string, Data>();

  constructor(private readonly site: Site) {}

  /** A jump host's resolved connection (many hosts share a few jump hosts). */
  resolved(host: string): Data {
    let c = this.jumps.get(host);
    if (!c) this.jumps.set(host, (c = this.site.resolver.resolve(host).connection));
    return c;
  }

  of(host: string): Data {
    const { model, resolver } = this.site;
    const def = model.hosts.get(host)!;
    const groups = resolver.groupsOf(host);
    let byProfile = this.bases.get(groups);
    if (!byProfile) this.bases.set(groups, (byProfile = new Map<string, Data>()));
    let base = byProfile.get(def.profile ?? "");
    if (!base) {
      // The same levels, in the same order, as Resolver.resolve: the `all` group, the other groups, the profiles.
      const levels: (Data | undefined)[] = [
        ...groups.map((g) => model.groups.get(g)?.connection),
        ...resolver.profileChain(def.profile).map((p) => model.profiles.get(p)?.connection),
      ];
      let layer: Layer = { value: {} };
      levels.forEach((l, i) => {
        if (l) layer = mergeLayer(layer, l, i);
      });
      base = layer.value;
      byProfile.set(def.profile ?? "", base);
    }
    return def.connection ? mergeLayer({ value: base }, def.connection, 0).value : base;
  }
}

/** The Ansible variables of a host's connection, in a fixed order. */
export function connectionVars(site: Site, explicit: ExplicitConnections, host: string, resolved: Data, hooks: ConnectionHooks): Data {
  const set = explicit.of(host);
  // A field set to null is back at its default: nothing to write.
  const given = (key: string): unknown => (set[key] === null ? undefined : set[key]);
  const out: Data = {};
  const transport = given("transport");
  if (transport !== undefined) out.ansible_connection = transport;
  if (given("address") !== undefined) out.ansible_host = given("address");
  if (given("port") !== undefined) out.ansible_port = given("port");
  if (given("user") !== undefined) out.ansible_user = given("user");
  const key = given("key_file");
  if (typeof key === "string") out.ansible_ssh_private_key_file = hooks.path("key_file", key, host);
  const timeout = given("connect_timeout");
  if (timeout !== undefined) out.ansible_timeout = seconds(timeout);
  if (resolved.transport !== "local") {
    const args = sshArgs(site, explicit, host, set, resolved, hooks);
    if (args.length) out.ansible_ssh_common_args = args.join(" ");
  }
  return out;
}

/** `-o` options for known_hosts, the host key policy and the jump host, each one shell word (Ansible splits them with shlex). */
function sshArgs(site: Site, explicit: ExplicitConnections, host: string, set: Data, resolved: Data, hooks: ConnectionHooks): string[] {
  const args: string[] = [];
  if (typeof set.known_hosts === "string") args.push(...option("UserKnownHostsFile", sshPath(hooks.path("known_hosts", resolved.known_hosts as string, host), host)));
  if (typeof set.host_key_checking === "string") args.push(...option("StrictHostKeyChecking", POLICY[resolved.host_key_checking as string]!));
  if (typeof set.jump === "string") args.push(...jumpArgs(site, explicit, host, resolved, hooks));
  return args.map(shellWord);
}

function option(name: string, value: string): string[] {
  return ["-o", `${name}=${value}`];
}

interface Hop {
  host: string;
  connection: Data;
}

/**
 * The jump chain, nearest first: the host's jump host, that one's jump host, and so on. A chain that loops or
 * names no host of the site cannot connect (Flightdeck's own SSH refuses that host alone), so it is written as
 * a ProxyCommand that fails with the reason: Ansible then finds the host unreachable, saying why.
 */
function jumpChain(site: Site, explicit: ExplicitConnections, host: string, resolved: Data): Hop[] | string {
  const chain: Hop[] = [];
  const seen = new Set([host]);
  for (let next = resolved.jump; typeof next === "string"; ) {
    if (seen.has(next)) return `jump host loop: ${[host, ...chain.map((h) => h.host), next].join(" -> ")}`;
    if (!site.model.hosts.has(next)) return `${host}: jump host '${next}' is not a host of the site`;
    seen.add(next);
    const connection = explicit.resolved(next);
    chain.push({ host: next, connection });
    next = connection.jump;
  }
  return chain;
}

/**
 * ProxyJump when every hop needs nothing but user@address:port. ssh gives command-line options to the last
 * hop only, so a hop with its own key, known_hosts, host key policy or timeout is reached through a
 * ProxyCommand running `ssh -W` with those options instead (nested for a hop behind another hop).
 */
function jumpArgs(site: Site, explicit: ExplicitConnections, host: string, resolved: Data, hooks: ConnectionHooks): string[] {
  const chain = jumpChain(site, explicit, host, resolved);
  if (typeof chain === "string") return option("ProxyCommand", ["sh", "-c", `echo ${shellWord(`flightdeck: ${chain}`)} >&2; exit 1`].map(shellWord).join(" "));
  if (!chain.length) return [];
  const plain = chain.every((h) => !hopOptions(h, hooks).length);
  if (plain) return option("ProxyJump", [...chain].reverse().map((h) => destination(h.connection, true)).join(","));
  return option("ProxyCommand", proxyCommand(chain, 0, resolved, hooks));
}

/** `ssh -W target` through hop `i` of the chain (its own hops nested inside). Addresses are literal: ssh expands `%` tokens once, in the outermost command. */
function proxyCommand(chain: Hop[], i: number, target: Data, hooks: ConnectionHooks): string {
  const hop = chain[i]!;
  const words = ["ssh", "-W", `${bracket(target.address as string)}:${portOf(target)}`, ...hopOptions(hop, hooks)];
  if (chain[i + 1]) words.push("-o", `ProxyCommand=${proxyCommand(chain, i + 1, hop.connection, hooks)}`);
  if (portOf(hop.connection) !== DEFAULT_PORT) words.push("-p", String(portOf(hop.connection)));
  words.push(destination(hop.connection, false));
  return words.map(shellWord).join(" ");
}

function hopOptions(hop: Hop, hooks: ConnectionHooks): string[] {
  const c = hop.connection;
  const words: string[] = [];
  if (typeof c.key_file === "string") words.push("-i", hooks.path("key_file", c.key_file, hop.host));
  if (typeof c.known_hosts === "string") words.push(...option("UserKnownHostsFile", sshPath(hooks.path("known_hosts", c.known_hosts, hop.host), hop.host)));
  if (typeof c.host_key_checking === "string" && c.host_key_checking !== "strict") words.push(...option("StrictHostKeyChecking", POLICY[c.host_key_checking]!));
  if (c.connect_timeout !== undefined && c.connect_timeout !== null) words.push(...option("ConnectTimeout", String(seconds(c.connect_timeout))));
  return words;
}

/** `user@address:port` for ProxyJump (port only when not 22), `user@address` for ssh's destination. */
function destination(c: Data, withPort: boolean): string {
  const user = typeof c.user === "string" ? `${c.user}@` : "";
  const port = withPort && portOf(c) !== DEFAULT_PORT ? `:${portOf(c)}` : "";
  return `${user}${port ? bracket(c.address as string) : (c.address as string)}${port}`;
}

function portOf(c: Data): number {
  return typeof c.port === "number" ? c.port : DEFAULT_PORT;
}

function bracket(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

/** ssh splits a file option's value at whitespace unless it is double-quoted. */
function sshPath(path: string, host: string): string {
  if (/["\n\r]/.test(path)) throw new ExportError(`host '${host}': the path '${path}' holds a quote or a line break, which ssh options cannot carry`);
  return /\s/.test(path) ? `"${path}"` : path;
}

/** One word for a POSIX shell (and Python's shlex): quoted only when it must be. */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

/** A connect_timeout (seconds, or a duration such as 10s, 500ms, 1m) in whole seconds, rounded up. */
export function seconds(value: unknown): number {
  if (typeof value === "number") return Math.max(1, Math.ceil(value));
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(String(value));
  if (!m) return Math.max(1, Math.ceil(Number(value)));
  const n = Number(m[1]);
  const s = m[2] === "ms" ? n / 1000 : m[2] === "m" ? n * 60 : n;
  return Math.max(1, Math.ceil(s));
}
