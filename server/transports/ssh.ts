/**
 * The ssh transport, on ssh2: one connection per host (optionally through a jump host) reused for every command,
 * keepalives, host keys checked against known_hosts by hand, commands run by the abortable script of ./script.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { homedir, userInfo } from "node:os";
import { isAbsolute, posix, resolve } from "node:path";
import type { Duplex } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import ssh2 from "ssh2";
import type { Client as SshClient, ClientChannel, ConnectConfig, SFTPWrapper, Stats, VerifyCallback } from "ssh2";
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  keyTypeOf,
  knownHostName,
  readKnownHosts,
  recordedKeyTypes,
  type KnownHostEntry,
} from "./known-hosts";
import {
  ABORT_SEQUENCE_MS,
  abortedResult,
  becomeUser,
  buildExecScript,
  commandLine,
  getArgv,
  GET_MISSING_STATUS,
  parseDuration,
  putArgv,
  shellArgv,
  shQuote,
} from "./script";
import type { FilePolicy } from "../inventory/policy";
import { allowedSiteFile } from "./site-files";
import { Slots } from "./slots";
import {
  HostKeyError,
  UnreachableError,
  type ConnectOptions,
  type Connection,
  type ConnectionSettings,
  type ExecOptions,
  type ExecResult,
  type PutOptions,
  type Transport,
} from "./types";

const { Client, utils } = ssh2;

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** SSH-level keepalives (like OpenSSH's ServerAliveInterval / ServerAliveCountMax): a dead peer is noticed in ~1 min. */
export const KEEPALIVE_INTERVAL_MS = 15_000;
export const KEEPALIVE_COUNT_MAX = 4;
/** OpenSSH allows 10 sessions per connection by default (MaxSessions); one is kept for SFTP. */
const MAX_EXEC_CHANNELS = 8;
/** After an abort, how long the remote script may take to end the command before the channel is closed anyway. */
const ABORT_FORCE_CLOSE_MS = ABORT_SEQUENCE_MS + 5_000;
const SFTP_NO_SUCH_FILE = 2;

/** ssh2's host key algorithm names for a known_hosts key type (so a host is asked for the key we know). */
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
  "ssh-dss": ["ssh-dss"],
};

function portOf(s: ConnectionSettings): number {
  return s.port ?? 22;
}

/** "kvm-1 (127.0.1.5:22)": how a host is named in every message. */
export function hostLabel(s: ConnectionSettings): string {
  return `${s.host} (${s.address}:${portOf(s)})`;
}

function loginUser(s: ConnectionSettings): string {
  return s.user ?? userInfo().username;
}

function sitePath(s: ConnectionSettings, path: string): string {
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(s.siteDir ?? process.cwd(), path);
}

export function knownHostsPath(s: ConnectionSettings): string {
  return s.known_hosts ? sitePath(s, s.known_hosts) : resolve(homedir(), ".ssh", "known_hosts");
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The ssh2 settings that do not depend on keys or host key checking (exported for tests). */
export function baseConnectConfig(s: ConnectionSettings): ConnectConfig {
  return {
    host: s.address,
    port: portOf(s),
    username: loginUser(s),
    readyTimeout: parseDuration(s.connect_timeout, DEFAULT_CONNECT_TIMEOUT_MS),
    keepaliveInterval: KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
  };
}

async function loadPrivateKey(s: ConnectionSettings, files: FilePolicy | undefined): Promise<{ key: Buffer; source: string } | undefined> {
  let key: Buffer;
  let source: string;
  if (s.private_key) {
    key = Buffer.from(s.private_key);
    source = "the private_key setting";
  } else if (s.key_file) {
    source = files ? await allowedSiteFile(s.key_file, "key_file", files).catch((e: Error) => Promise.reject(new UnreachableError(`${hostLabel(s)}: ${e.message}`))) : sitePath(s, s.key_file);
    try {
      key = await readFile(source);
    } catch (err) {
      throw new UnreachableError(`${hostLabel(s)}: cannot read key_file ${source}: ${(err as Error).message}`);
    }
  } else {
    return undefined;
  }
  const parsed = utils.parseKey(key);
  if (parsed instanceof Error) {
    const why = /passphrase/i.test(parsed.message) ? "it is encrypted (passphrase-protected keys are not supported: use an ssh-agent)" : parsed.message;
    throw new UnreachableError(`${hostLabel(s)}: cannot use the key in ${source}: ${why}`);
  }
  return { key, source };
}

function describeConnectError(s: ConnectionSettings, err: Error & { level?: string; code?: string }, timeoutMs: number, auth: string): string {
  const label = hostLabel(s);
  switch (err.code) {
    case "ECONNREFUSED":
      return `${label}: connection refused`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NODATA":
    case "EAI_NONAME":
      return `${label}: cannot resolve the address ${JSON.stringify(s.address)}`;
    case "EHOSTUNREACH":
      return `${label}: host unreachable`;
    case "ENETUNREACH":
      return `${label}: network unreachable`;
    case "ETIMEDOUT":
      return `${label}: timed out connecting`;
    case "ECONNRESET":
    case "EPIPE":
      return `${label}: connection reset during the SSH handshake`;
  }
  if (err.level === "client-timeout") return `${label}: timed out after ${formatMs(timeoutMs)} (connect_timeout) waiting for the SSH handshake`;
  if (err.level === "client-authentication")
    return `${label}: authentication failed for user ${loginUser(s)} (tried ${auth}); check that the key is in the user's authorized_keys`;
  return `${label}: ${err.message}`;
}

/** Connect one SSH hop (over `sock` when it comes through a jump host). */
async function dial(s: ConnectionSettings, options: ConnectOptions, sock?: Duplex): Promise<SshClient> {
  options.signal.throwIfAborted();
  const label = hostLabel(s);
  const base = baseConnectConfig(s);
  const timeoutMs = base.readyTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const key = await loadPrivateKey(s, options.files);
  // A server lends its own ssh-agent to no site: a site brings its key (a secret, or a file it is allowed).
  const agent = key || options.files ? undefined : process.env.SSH_AUTH_SOCK || undefined;
  if (!key && options.files) throw new UnreachableError(`${label}: no key to log in with: set key_file in the host's connection (secret:NAME, or a file in FLIGHTDECK_KEY_DIRS); the server's ssh-agent is not lent to sites`);
  if (!key && !agent)
    throw new UnreachableError(`${label}: no key to log in with: set key_file (or private_key) in the host's connection, or run an ssh-agent (SSH_AUTH_SOCK is not set)`);
  const auth = key ? `the key from ${key.source}` : `the keys of the ssh-agent at ${agent}`;

  const checking = s.host_key_checking ?? "strict";
  const knownPath =
    s.known_hosts && options.files
      ? await allowedSiteFile(s.known_hosts, "known_hosts", options.files).catch((e: Error) => Promise.reject(new HostKeyError(`${label}: ${e.message}`)))
      : (options.files?.knownHosts ?? knownHostsPath(s));
  const name = knownHostName(s.address, portOf(s));
  let entries: KnownHostEntry[] = [];
  if (checking !== "off") {
    try {
      entries = await readKnownHosts(knownPath);
    } catch (err) {
      throw new HostKeyError(`${label}: cannot read known_hosts ${knownPath}: ${(err as Error).message}`);
    }
  }
  const recordedTypes = recordedKeyTypes(entries, name);
  const algorithms = recordedTypes.flatMap((t) => HOST_KEY_ALGORITHMS[t] ?? []);

  let hostKeyError: HostKeyError | undefined;
  const hostVerifier = (hostKey: Buffer, verify: VerifyCallback): void => {
    const type = keyTypeOf(hostKey);
    const fp = fingerprint(hostKey);
    if (checking === "off") {
      options.onNotice?.(`host key checking is OFF for ${label}: its identity is not verified (it offered ${type} ${fp})`);
      verify(true);
      return;
    }
    const verdict = checkHostKey(entries, name, hostKey);
    switch (verdict.status) {
      case "match":
        verify(true);
        return;
      case "revoked":
        hostKeyError = new HostKeyError(
          `${label}: the host key ${type} ${fp} is marked @revoked in ${knownPath} (line ${verdict.entry.line}); refusing to connect`,
        );
        verify(false);
        return;
      case "mismatch":
        hostKeyError = new HostKeyError(
          `${label}: HOST KEY MISMATCH: the host offered ${type} ${fp}, which is not the key recorded for ${name} in ${knownPath} ` +
            `(line ${verdict.recorded.map((e) => e.line).join(", ")}). Someone may be intercepting the connection, or the host was reinstalled. ` +
            `If the change is expected, remove the old entry (ssh-keygen -R ${shQuote(name)} -f ${shQuote(knownPath)}) and connect again.`,
        );
        verify(false);
        return;
      case "unknown":
        if (checking === "strict") {
          hostKeyError = new HostKeyError(
            `${label}: unknown host key ${type} ${fp}: ${name} is not in ${knownPath} and host_key_checking is strict. ` +
              `Check the fingerprint with the host's owner, then add the key (e.g. ssh-keyscan -p ${portOf(s)} ${s.address} >> ${knownPath}), ` +
              `or connect once with host_key_checking: accept-new.`,
          );
          verify(false);
          return;
        }
        appendKnownHost(knownPath, name, hostKey).then(
          () => {
            options.onNotice?.(`accepted new host key for ${label}: ${type} ${fp} (recorded in ${knownPath})`);
            verify(true);
          },
          (err: Error) => {
            hostKeyError = new HostKeyError(`${label}: cannot record the new host key ${type} ${fp} in ${knownPath}: ${err.message}`);
            verify(false);
          },
        );
    }
  };

  const config: ConnectConfig = {
    ...base,
    ...(sock ? { sock } : {}),
    ...(key ? { privateKey: key.key } : { agent }),
    ...(algorithms.length > 0 ? { algorithms: { serverHostKey: algorithms as NonNullable<ConnectConfig["algorithms"]>["serverHostKey"] } } : {}),
    hostVerifier,
  };

  const client = new Client();
  return new Promise<SshClient>((resolvePromise, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal.removeEventListener("abort", onAbort);
      client.removeListener("ready", onReady);
      if (err) {
        client.destroy();
        reject(err);
      } else {
        // Commands are small request/response exchanges: do not let Nagle's algorithm hold them back.
        client.setNoDelay(true);
        resolvePromise(client);
      }
    };
    const onReady = () => finish();
    const onAbort = () => finish(options.signal.reason instanceof Error ? options.signal.reason : new Error("aborted"));
    // A second guard besides ssh2's readyTimeout, so nothing (a stalled jump stream, a slow DNS) outlives connect_timeout.
    const timer = setTimeout(() => finish(new UnreachableError(describeConnectError(s, Object.assign(new Error("timeout"), { level: "client-timeout" }), timeoutMs, auth))), timeoutMs + 250);
    client.on("ready", onReady);
    client.on("error", (err: Error & { level?: string; code?: string }) => {
      if (hostKeyError) return finish(hostKeyError);
      if (/no matching host key format/i.test(err.message) && algorithms.length > 0)
        return finish(
          new HostKeyError(
            `${label}: the host offers no key of the type(s) recorded for ${name} in ${knownPath} (${recordedTypes.join(", ")}); ` +
              `if the host was reinstalled, remove the old entry (ssh-keygen -R ${shQuote(name)} -f ${shQuote(knownPath)}) and connect again`,
          ),
        );
      finish(new UnreachableError(describeConnectError(s, err, timeoutMs, auth)));
    });
    client.on("close", () => finish(hostKeyError ?? new UnreachableError(`${label}: the connection closed during the SSH handshake`)));
    options.signal.addEventListener("abort", onAbort, { once: true });
    if (options.signal.aborted) return onAbort(); // aborted while the key and known_hosts were read
    client.connect(config);
  });
}

function forwardOut(jump: SshClient, s: ConnectionSettings, via: string, signal: AbortSignal): Promise<Duplex> {
  const timeoutMs = parseDuration(s.connect_timeout, DEFAULT_CONNECT_TIMEOUT_MS);
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const done = (err: Error | undefined, stream?: Duplex) => {
      if (settled) {
        stream?.destroy();
        return;
      }
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      if (err || !stream) reject(err ?? new Error("no stream"));
      else resolvePromise(stream);
    };
    const onAbort = () => done(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    const timer = setTimeout(() => done(new UnreachableError(`${hostLabel(s)}: timed out after ${formatMs(timeoutMs)} (connect_timeout) connecting via ${via}`)), timeoutMs);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) return onAbort();
    jump.forwardOut("127.0.0.1", 0, s.address, portOf(s), (err, stream) => {
      if (err) {
        const reason = /refused/i.test(err.message) ? "connection refused" : err.message.replace(/^\(SSH\) /, "");
        done(new UnreachableError(`${hostLabel(s)}: ${reason} (connecting via ${via})`));
      } else {
        done(undefined, stream);
      }
    });
  });
}

/** Connect `s`, hop by hop through its jump hosts; every client made is pushed on `chain` (outermost first). */
async function connectChain(s: ConnectionSettings, options: ConnectOptions, chain: SshClient[]): Promise<SshClient> {
  let sock: Duplex | undefined;
  if (s.jump) {
    const jumpSettings: ConnectionSettings = { ...s.jump, siteDir: s.jump.siteDir ?? s.siteDir };
    const jump = await connectChain(jumpSettings, options, chain);
    sock = await forwardOut(jump, s, hostLabel(jumpSettings), options.signal);
  }
  const client = await dial(s, options, sock);
  chain.push(client);
  return client;
}

function describe(s: ConnectionSettings): string {
  const hop = (h: ConnectionSettings): string => `${loginUser(h)}@${h.address}:${portOf(h)}${h.jump ? ` via ${hop(h.jump)}` : ""}`;
  return `ssh ${hop(s)}`;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("aborted");
}

/** Settles with `promise`, or rejects with the abort reason as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolvePromise(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function sftpCall<T>(fn: (cb: (err: Error | undefined | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => fn((err, value) => (err ? reject(err) : resolvePromise(value))));
}

class SshConnection implements Connection {
  readonly description: string;
  private readonly label: string;
  private readonly user: string;
  private readonly slots = new Slots(MAX_EXEC_CHANNELS);
  private sftpSession?: Promise<SFTPWrapper>;
  private closing = false;
  private lost?: UnreachableError;
  private readonly onLost = new Set<(err: UnreachableError) => void>();
  private readonly ended = new WeakSet<SshClient>();

  constructor(
    private readonly client: SshClient,
    private readonly chain: SshClient[],
    settings: ConnectionSettings,
  ) {
    this.description = describe(settings);
    this.label = hostLabel(settings);
    this.user = loginUser(settings);
    for (const c of chain) c.once("close", () => this.ended.add(c));
    client.on("error", (err: Error) => {
      this.lost ??= new UnreachableError(`${this.label}: connection lost: ${err.message}`);
    });
    client.on("close", () => {
      this.lost ??= new UnreachableError(this.closing ? `${this.label}: connection closed` : `${this.label}: connection lost`);
      for (const cb of [...this.onLost]) cb(this.lost);
    });
  }

  private openExec(command: string): Promise<ClientChannel> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise((resolvePromise, reject) => {
      this.client.exec(command, (err, channel) => {
        if (err) reject(this.lost ?? new UnreachableError(`${this.label}: cannot start a command: ${err.message}`));
        else resolvePromise(channel);
      });
    });
  }

  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    const started = performance.now();
    const { signal } = options;
    const script = buildExecScript({ command, env: options.env, cwd: options.cwd });
    const shell = commandLine(shellArgv(becomeUser(options.become, this.user)));
    if (signal.aborted) return { exitCode: null, signal: "SIGTERM", durationMs: 0 };
    let release: () => void;
    try {
      release = await this.slots.acquire(signal);
    } catch {
      return { exitCode: null, signal: "SIGTERM", durationMs: performance.now() - started };
    }
    try {
      const channel = await this.openExec(shell);
      return await this.runScript(channel, script, options, started);
    } finally {
      release();
    }
  }

  private runScript(channel: ClientChannel, script: string, options: ExecOptions, started: number): Promise<ExecResult> {
    const { signal } = options;
    return new Promise<ExecResult>((resolvePromise, reject) => {
      const stdout = new StringDecoder("utf8");
      const stderr = new StringDecoder("utf8");
      let exitCode: number | null = null;
      let exitSignal: string | undefined;
      let sawExit = false;
      let aborted = false;
      let forceClose: NodeJS.Timeout | undefined;
      const emit = (text: string, cb: ((chunk: string) => void) | undefined) => {
        if (text) cb?.(text);
      };
      const onAbort = () => {
        if (aborted) return;
        aborted = true;
        // End of stdin is the remote script's signal to end the command's process group (see ./script).
        channel.end();
        forceClose = setTimeout(() => channel.close(), ABORT_FORCE_CLOSE_MS);
      };
      const onLost = (err: UnreachableError) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        clearTimeout(forceClose);
        signal.removeEventListener("abort", onAbort);
        this.onLost.delete(onLost);
      };
      channel.on("data", (chunk: Buffer) => emit(stdout.write(chunk), options.onStdout));
      channel.stderr.on("data", (chunk: Buffer) => emit(stderr.write(chunk), options.onStderr));
      channel.on("exit", (code: number | null, sig?: string) => {
        sawExit = true;
        exitCode = code;
        exitSignal = sig ?? undefined;
      });
      channel.on("close", () => {
        cleanup();
        emit(stdout.end(), options.onStdout);
        emit(stderr.end(), options.onStderr);
        const durationMs = performance.now() - started;
        if (aborted) return resolvePromise({ ...abortedResult(exitCode, exitSignal), durationMs });
        if (!sawExit && this.lost) return reject(this.lost);
        if (exitSignal) return resolvePromise({ exitCode: null, signal: exitSignal.startsWith("SIG") ? exitSignal : `SIG${exitSignal}`, durationMs });
        resolvePromise({ exitCode, durationMs });
      });
      this.onLost.add(onLost);
      signal.addEventListener("abort", onAbort, { once: true });
      channel.write(script);
      if (signal.aborted) onAbort();
    });
  }

  /** Run a command line with `stdin` as its whole input; collects stdout as bytes. */
  private async runRaw(command: string, stdin: Buffer | undefined, signal: AbortSignal): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
    const release = await this.slots.acquire(signal);
    try {
      const channel = await this.openExec(command);
      return await new Promise((resolvePromise, reject) => {
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let code: number | null = null;
        const onAbort = () => channel.close();
        const onLost = (e: UnreachableError) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        };
        channel.on("data", (b: Buffer) => out.push(b));
        channel.stderr.on("data", (b: Buffer) => err.push(b));
        channel.on("exit", (c: number | null) => {
          code = c;
        });
        channel.on("close", () => {
          signal.removeEventListener("abort", onAbort);
          this.onLost.delete(onLost);
          if (signal.aborted) return reject(abortError(signal));
          resolvePromise({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8").trim() });
        });
        this.onLost.add(onLost);
        signal.addEventListener("abort", onAbort, { once: true });
        channel.end(stdin);
      });
    } finally {
      release();
    }
  }

  private sftp(): Promise<SFTPWrapper> {
    if (this.lost) return Promise.reject(this.lost);
    this.sftpSession ??= new Promise<SFTPWrapper>((resolvePromise, reject) => {
      this.client.sftp((err, sftp) => {
        if (err) {
          this.sftpSession = undefined;
          reject(new Error(`${this.label}: cannot start SFTP: ${err.message}`));
        } else {
          sftp.on("close", () => {
            this.sftpSession = undefined;
          });
          resolvePromise(sftp);
        }
      });
    });
    return this.sftpSession;
  }

  async putFile(path: string, content: Buffer | string, options: PutOptions): Promise<void> {
    const { signal } = options;
    signal.throwIfAborted();
    const data = typeof content === "string" ? Buffer.from(content) : content;
    const become = becomeUser(options.become, this.user);
    if (become !== undefined) {
      const r = await this.runRaw(commandLine(putArgv(become, path, options.mode, options.owner, options.group)), data, signal);
      if (r.code !== 0) throw new Error(`${this.label}: cannot write ${path} as ${become}: ${r.stderr || `exit status ${r.code}`}`);
      return;
    }
    const sftp = await abortable(this.sftp(), signal);
    const tmp = posix.join(posix.dirname(path), `.${posix.basename(path)}.fd-${randomBytes(6).toString("hex")}`);
    const fail = (what: string, err: unknown): Error => new Error(`${this.label}: cannot ${what} ${path}: ${(err as Error).message}`);
    let existing: Stats | undefined;
    try {
      existing = await abortable(sftpCall<Stats>((cb) => sftp.stat(path, cb)), signal);
    } catch (err) {
      if ((err as { code?: number }).code !== SFTP_NO_SUCH_FILE) throw signal.aborted ? err : fail("stat", err);
    }
    try {
      await abortable(sftpCall<void>((cb) => sftp.writeFile(tmp, data, { mode: 0o600 }, (e) => cb(e, undefined))), signal);
    } catch (err) {
      throw signal.aborted ? err : fail("upload", err);
    }
    try {
      if (options.owner !== undefined || options.group !== undefined) {
        const spec = `${options.owner ?? ""}${options.group !== undefined ? `:${options.group}` : ""}`;
        const r = await this.runRaw(`chown -- ${shQuote(spec)} ${shQuote(tmp)}`, undefined, signal);
        if (r.code !== 0) throw new Error(`chown ${spec}: ${r.stderr || `exit status ${r.code}`}`);
      } else if (existing) {
        const { uid, gid } = existing;
        await sftpCall<void>((cb) => sftp.chown(tmp, uid, gid, (e) => cb(e, undefined))).catch(() => undefined); // keep the old owner when allowed
      }
      const mode = options.mode ?? (existing ? existing.mode & 0o7777 : 0o644);
      await abortable(sftpCall<void>((cb) => sftp.chmod(tmp, mode, (e) => cb(e, undefined))), signal);
      await abortable(sftpCall<void>((cb) => sftp.ext_openssh_rename(tmp, path, (e) => cb(e, undefined))), signal).catch(async (err: Error) => {
        if (signal.aborted || !/not supported|unsupported/i.test(err.message)) throw err;
        const r = await this.runRaw(`mv -f -- ${shQuote(tmp)} ${shQuote(path)}`, undefined, signal);
        if (r.code !== 0) throw new Error(r.stderr || `mv: exit status ${r.code}`);
      });
    } catch (err) {
      await sftpCall<void>((cb) => sftp.unlink(tmp, (e) => cb(e, undefined))).catch(() => undefined);
      throw signal.aborted ? err : fail("write", err);
    }
  }

  async getFile(path: string, options: { become?: boolean | string; signal: AbortSignal }): Promise<Buffer | null> {
    const { signal } = options;
    signal.throwIfAborted();
    const become = becomeUser(options.become, this.user);
    if (become !== undefined) {
      const r = await this.runRaw(commandLine(getArgv(become, path)), undefined, signal);
      if (r.code === GET_MISSING_STATUS) return null;
      if (r.code !== 0) throw new Error(`${this.label}: cannot read ${path} as ${become}: ${r.stderr || `exit status ${r.code}`}`);
      return r.stdout;
    }
    const sftp = await abortable(this.sftp(), signal);
    try {
      return await abortable(sftpCall<Buffer>((cb) => sftp.readFile(path, cb)), signal);
    } catch (err) {
      if ((err as { code?: number }).code === SFTP_NO_SUCH_FILE) return null;
      throw signal.aborted ? err : new Error(`${this.label}: cannot read ${path}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const clients = [...this.chain].reverse().filter((c) => !this.ended.has(c));
    for (const c of clients) {
      await new Promise<void>((resolvePromise) => {
        const timer = setTimeout(() => {
          c.destroy();
          resolvePromise();
        }, 2_000);
        c.once("close", () => {
          clearTimeout(timer);
          resolvePromise();
        });
        c.end();
      });
    }
  }
}

export const sshTransport: Transport = {
  name: "ssh",
  async connect(settings: ConnectionSettings, options: ConnectOptions): Promise<Connection> {
    const chain: SshClient[] = [];
    try {
      const client = await connectChain(settings, options, chain);
      return new SshConnection(client, chain, settings);
    } catch (err) {
      for (const c of chain.reverse()) c.destroy();
      throw err;
    }
  },
};
