/**
 * How ansible-playbook's ssh connects: exactly as Flightdeck's own transport (server/transports/ssh.ts) would.
 * Each host gets an ssh configuration file (`-F`, through ansible_ssh_common_args) that names its key (only
 * that key; the server's ssh-agent is never lent), its known_hosts (no global file), its host key policy
 * (strict unless the site says otherwise), keepalives, and its jump hosts, each with its own key, known_hosts
 * and policy. `-F` also keeps the system's ssh_config out, as ssh2 never reads it.
 *
 * On a server, key and known_hosts files are read only where the site may (FLIGHTDECK_KEY_DIRS, policy-checked
 * on their real paths, as native steps do) and copied into the private directory, which the sandbox can see;
 * a `secret:` key is written there 0600. Host keys that `accept-new` recorded in a copy are added to the real
 * file afterwards. In the CLI, files are used where they are. As natively, a key that cannot be used makes the
 * host unreachable (UnreachableError), a known_hosts that cannot be used fails it (HostKeyError).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import type { FilePolicy } from "../../inventory/policy";
import { knownHostsPath } from "../../transports/ssh";
import { allowedSiteFile } from "../../transports/site-files";
import { appendKnownHost, parseKnownHosts } from "../../transports/known-hosts";
import { HostKeyError, UnreachableError, type ConnectionSettings } from "../../transports/types";
import type { PrivateDir } from "./private-dir";

const POLICY = { strict: "yes", "accept-new": "accept-new", off: "no" } as const;
/** As the ssh2 transport: a dead peer is noticed in about a minute. */
const KEEPALIVE = ["ServerAliveInterval 15", "ServerAliveCountMax 4"];
const JUMP_PREFIX = "flightdeck-jump-";

/** A value ssh's configuration cannot carry: the host fails. */
export class SshSetupError extends Error {
  override name = "SshSetupError";
}

export class SshSetup {
  /** File contents already written, by hash: hosts with the same settings share one file. */
  private readonly configs = new Map<string, string>();
  private readonly keys = new Map<string, Promise<string>>();
  /** known_hosts copies (inside path) and the real file each came from, with what it held. */
  private readonly knownHosts = new Map<string, Promise<{ inside: string; original: string; text: string } | { inside: string }>>();

  constructor(
    private readonly dir: PrivateDir,
    /** On a server: which files a site may name (absent in the CLI). */
    private readonly files: FilePolicy | undefined,
    private readonly secret: (ref: string) => Promise<string>,
  ) {}

  /** The `-F` file for a host (inside path), written on first need. */
  async configFor(s: ConnectionSettings): Promise<string> {
    const jumps: ConnectionSettings[] = [];
    for (let j = s.jump; j; j = j.jump) jumps.push(j);
    const lines = ["# Written by Flightdeck for one ansible-playbook run: connect as Flightdeck's own ssh does."];
    for (const [i, j] of jumps.entries()) {
      lines.push(`Host ${JUMP_PREFIX}${i + 1}`, `  HostName ${j.address}`, `  Port ${j.port ?? 22}`);
      if (j.user) lines.push(`  User ${quote(j.user)}`);
      lines.push(...(await this.common(j)).map((l) => `  ${l}`));
      lines.push(`  ProxyJump ${i + 1 < jumps.length ? `${JUMP_PREFIX}${i + 2}` : "none"}`);
      const timeout = seconds(j.connect_timeout);
      lines.push(`  ConnectTimeout ${timeout}`);
    }
    lines.push(`Host * !${JUMP_PREFIX}*`, ...(await this.common(s)).map((l) => `  ${l}`));
    if (jumps.length) lines.push(`  ProxyJump ${JUMP_PREFIX}1`);
    const text = `${lines.join("\n")}\n`;
    const hash = createHash("sha256").update(text).digest("hex").slice(0, 16);
    let inside = this.configs.get(hash);
    if (!inside) {
      inside = await this.dir.write(`ssh/${hash}.conf`, text);
      this.configs.set(hash, inside);
    }
    return inside;
  }

  /** Key, known_hosts, host key policy, keepalives: the options every hop states for itself. */
  private async common(s: ConnectionSettings): Promise<string[]> {
    const out: string[] = [];
    const key = await this.key(s);
    if (key) out.push(`IdentityFile ${quote(key)}`, "IdentitiesOnly yes", "IdentityAgent none");
    const checking = s.host_key_checking ?? "strict";
    out.push(`StrictHostKeyChecking ${POLICY[checking]}`, "GlobalKnownHostsFile /dev/null");
    out.push(`UserKnownHostsFile ${checking === "off" ? "/dev/null" : quote(await this.knownHostsFile(s))}`);
    out.push(...KEEPALIVE, "BatchMode yes");
    return out;
  }

  /** The key file ssh reads (inside path), or undefined when the CLI's ssh-agent is to be used. */
  async key(s: ConnectionSettings): Promise<string | undefined> {
    const label = `${s.host} (${s.address}:${s.port ?? 22})`;
    const value = s.private_key ?? s.key_file;
    if (value === undefined) {
      if (this.files) throw new UnreachableError(`${label}: no key to log in with: set key_file in the host's connection (secret:NAME, or a file in FLIGHTDECK_KEY_DIRS); the server's ssh-agent is not lent to sites`);
      return undefined;
    }
    const cacheKey = s.private_key !== undefined ? `private:${s.host}` : value;
    let written = this.keys.get(cacheKey);
    if (!written) {
      written = (async () => {
        let text: string;
        if (s.private_key !== undefined) text = s.private_key;
        else if (value.startsWith("secret:") || value.startsWith("env:")) text = await this.secret(value).catch((e: Error) => Promise.reject(new UnreachableError(`${label}: key_file: ${e.message}`)));
        else if (this.files) {
          const real = await allowedSiteFile(value, "key_file", this.files).catch((e: Error) => Promise.reject(new UnreachableError(`${label}: ${e.message}`)));
          text = await readFile(real, "utf8").catch((e: Error) => Promise.reject(new UnreachableError(`${label}: cannot read key_file ${real}: ${e.message}`)));
        } else return sitePath(s, value);
        // OpenSSH refuses a key file without its final newline.
        return this.dir.write(`keys/${createHash("sha256").update(cacheKey).digest("hex").slice(0, 16)}`, text.endsWith("\n") ? text : `${text}\n`);
      })();
      this.keys.set(cacheKey, written);
    }
    return written;
  }

  /** The known_hosts file ssh reads and (under accept-new) writes: the real one in the CLI, a copy on a server. */
  async knownHostsFile(s: ConnectionSettings): Promise<string> {
    const label = `${s.host} (${s.address}:${s.port ?? 22})`;
    if (!this.files) return knownHostsPath(s);
    const original = s.known_hosts ? await allowedSiteFile(s.known_hosts, "known_hosts", this.files).catch((e: Error) => Promise.reject(new HostKeyError(`${label}: ${e.message}`))) : this.files.knownHosts;
    if (!original) throw new HostKeyError(`${label}: no known_hosts to check the host key against: set known_hosts in the host's connection`);
    let copy = this.knownHosts.get(original);
    if (!copy) {
      copy = (async () => {
        const text = await readFile(original, "utf8").catch((e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? "" : Promise.reject(new HostKeyError(`${label}: cannot read known_hosts ${original}: ${e.message}`))));
        const inside = await this.dir.write(`known_hosts/${createHash("sha256").update(original).digest("hex").slice(0, 16)}`, text);
        return { inside, original, text };
      })();
      this.knownHosts.set(original, copy);
    }
    return (await copy).inside;
  }

  /**
   * Host keys that ssh recorded in the copies (accept-new) go to the real files, as Flightdeck's own ssh would
   * have recorded them. Returns what was added, for the run's notices.
   */
  async recordAccepted(): Promise<string[]> {
    const added: string[] = [];
    for (const pending of this.knownHosts.values()) {
      const copy = await pending.catch(() => undefined);
      if (!copy || !("original" in copy)) continue;
      const now = await readFile(`${this.dir.outside}${copy.inside.slice(this.dir.inside.length)}`, "utf8").catch(() => copy.text);
      if (now === copy.text) continue;
      const before = new Set(parseKnownHosts(copy.text).map((e) => `${e.hosts} ${e.key.toString("base64")}`));
      for (const e of parseKnownHosts(now)) {
        if (e.marker || before.has(`${e.hosts} ${e.key.toString("base64")}`)) continue;
        await appendKnownHost(copy.original, e.hosts, e.key);
        added.push(`accepted new host key for ${e.hosts} (recorded in ${copy.original})`);
      }
    }
    return added;
  }
}

/** A connection's path as the ssh2 transport resolves it: `~` is the home directory, relative is the site's. */
function sitePath(s: ConnectionSettings, path: string): string {
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(s.siteDir ?? process.cwd(), path);
}

/** ssh_config splits at whitespace unless the value is double-quoted. */
function quote(value: string): string {
  if (/["\n\r]/.test(value)) throw new SshSetupError(`'${value}' holds a quote or a line break, which an ssh option cannot carry`);
  return /[\s#]/.test(value) ? `"${value}"` : value;
}

/** connect_timeout in whole seconds (Flightdeck's default is 10 s). */
function seconds(value: number | string | undefined): number {
  if (value === undefined) return 10;
  if (typeof value === "number") return Math.max(1, Math.ceil(value));
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) return 10;
  const n = Number(m[1]);
  return Math.max(1, Math.ceil(m[2] === "ms" ? n / 1000 : m[2] === "m" ? n * 60 : n));
}
