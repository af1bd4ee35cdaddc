/**
 * A fleet of real OpenSSH servers on loopback, for tests, benchmarks and browser tests.
 *
 *   const fleet = await startFleet({ hosts: 3 });
 *   const conn = await sshTransport.connect(fleet.settings(0), { signal });
 *   ...
 *   await fleet.stop();
 *
 * Host i listens on 127.0.1.(i+1) (Linux routes all of 127/8 to lo) on a free port, or on 127.0.0.1 when those
 * addresses cannot be bound. Each has its own ed25519 host key; one client key is authorised everywhere, and one
 * known_hosts file lists every host. Everything lives in a temp dir that stop() removes; stop() ends only the sshd
 * processes started here.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile, access } from "node:fs/promises";
import { connect as netConnect, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ConnectionSettings } from "../../server/transports/types";

const run = promisify(execFile);

export const SSHD = "/usr/sbin/sshd";

export interface FleetHost {
  name: string;
  address: string;
  port: number;
  /** The host's public key line, as in its .pub file ("ssh-ed25519 AAAA... comment"). */
  hostKeyPub: string;
  hostKeyPath: string;
  configPath: string;
  /** sshd's log (stderr, `-e`). */
  logPath: string;
}

export interface Fleet {
  hosts: FleetHost[];
  /** The user every host accepts (the one running the tests). */
  user: string;
  clientKeyPath: string;
  knownHostsPath: string;
  dir: string;
  /** Connection settings for host i (strict host key checking against the fleet's known_hosts). */
  settings(i: number, extra?: Partial<ConnectionSettings>): ConnectionSettings;
  /** What host i's sshd has logged so far. */
  log(i: number): string;
  stop(): Promise<void>;
  /** Stop host i's sshd (open sessions continue; new connections are refused). */
  stopHost(i: number): Promise<void>;
  startHost(i: number): Promise<void>;
}

export interface FleetOptions {
  hosts: number;
  /** Host names are `${namePrefix}${i + 1}`; default "host-". */
  namePrefix?: string;
  /** sshd LogLevel; default VERBOSE. */
  logLevel?: "QUIET" | "FATAL" | "ERROR" | "INFO" | "VERBOSE" | "DEBUG";
  /** Bounded wait for each sshd to accept connections; default 10 s. */
  readyTimeoutMs?: number;
  /**
   * Let the login shell read the account's rc file for each command, as a real host's would. Default false: bash
   * reads ~/.bashrc even for `ssh host cmd` (Debian builds it with SSH_SOURCE_BASHRC), and the test machine's own
   * root .bashrc (pyenv init: ~100 ms of CPU per command) would then be measured on every "host" of the fleet.
   * Off means `SetEnv SHLVL=1`, which makes bash skip it.
   */
  shellRc?: boolean;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** 127.0.1.1, ..., 127.0.1.254, 127.0.2.1, ... */
function loopbackAddress(i: number): string {
  return `127.0.${1 + Math.floor(i / 254)}.${(i % 254) + 1}`;
}

/** A port that is free on `address` now (the kernel picks it), or an error when the address cannot be bound. */
function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: address, port: 0, exclusive: true }, () => {
      const addr = server.address();
      server.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function tryConnect(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: address, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  log: WriteStream;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const count = options.hosts;
  if (!Number.isInteger(count) || count < 1) throw new Error(`startFleet: hosts must be a positive integer, got ${count}`);
  if (!(await exists(SSHD))) throw new Error(`startFleet: ${SSHD} not found: install OpenSSH's server (apt-get install openssh-server)`);
  const isRoot = process.getuid?.() === 0;
  // sshd's privilege separation directory; the Debian package creates it only when the service starts.
  if (isRoot) await mkdir("/run/sshd", { recursive: true, mode: 0o755 });

  const prefix = options.namePrefix ?? "host-";
  const logLevel = options.logLevel ?? "VERBOSE";
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const user = userInfo().username;
  const dir = await mkdtemp(join(tmpdir(), "flightdeck-fleet-"));
  const running = new Map<number, Running>();
  const logs: string[] = [];

  const stopOne = async (i: number): Promise<void> => {
    const r = running.get(i);
    if (!r) return;
    running.delete(i);
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGTERM");
    const timer = setTimeout(() => r.child.kill("SIGKILL"), 3_000);
    await r.exited;
    clearTimeout(timer);
    await new Promise<void>((resolve) => r.log.end(resolve));
  };

  const hosts: FleetHost[] = [];
  try {
    const clientKeyPath = join(dir, "client_ed25519");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "flightdeck-fleet-client", "-f", clientKeyPath]);
    const authorizedKeysPath = join(dir, "authorized_keys");
    await writeFile(authorizedKeysPath, await readFile(`${clientKeyPath}.pub`), { mode: 0o600 });

    let useLoopbackRange = true;
    try {
      await freePort(loopbackAddress(0));
    } catch {
      useLoopbackRange = false;
    }

    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const hostDir = join(dir, `host${i + 1}`);
        await mkdir(hostDir);
        const hostKeyPath = join(hostDir, "ssh_host_ed25519_key");
        await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${prefix}${i + 1}`, "-f", hostKeyPath]);
        const address = useLoopbackRange ? loopbackAddress(i) : "127.0.0.1";
        const port = await freePort(address);
        const configPath = join(hostDir, "sshd_config");
        await writeFile(
          configPath,
          [
            `ListenAddress ${address}:${port}`,
            `HostKey ${hostKeyPath}`,
            "PidFile none",
            "UsePAM no",
            "StrictModes no",
            `AuthorizedKeysFile ${authorizedKeysPath}`,
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "MaxSessions 100",
            "MaxStartups 200",
            "AllowTcpForwarding yes",
            "PrintMotd no",
            "UseDNS no",
            ...(options.shellRc ? [] : ["SetEnv SHLVL=1"]),
            `LogLevel ${logLevel}`,
            "Subsystem sftp internal-sftp",
            "",
          ].join("\n"),
        );
        hosts[i] = {
          name: `${prefix}${i + 1}`,
          address,
          port,
          hostKeyPub: (await readFile(`${hostKeyPath}.pub`, "utf8")).trim(),
          hostKeyPath,
          configPath,
          logPath: join(hostDir, "sshd.log"),
        };
        logs[i] = "";
      }),
    );
    await run(SSHD, ["-t", "-f", hosts[0]!.configPath]).catch((err: Error & { stderr?: string }) => {
      throw new Error(`startFleet: sshd rejects the generated config: ${err.stderr ?? err.message}`);
    });

    const knownHostsPath = join(dir, "known_hosts");
    await writeFile(
      knownHostsPath,
      hosts.map((h) => `[${h.address}]:${h.port} ${h.hostKeyPub.split(" ").slice(0, 2).join(" ")}\n`).join(""),
      { mode: 0o600 },
    );

    const startOne = async (i: number): Promise<void> => {
      const host = hosts[i];
      if (!host) throw new Error(`startFleet: no host ${i}`);
      if (running.has(i)) return;
      const log = createWriteStream(host.logPath, { flags: "a" });
      const child = spawn(SSHD, ["-D", "-e", "-f", host.configPath], { stdio: ["ignore", "ignore", "pipe"] });
      let exitInfo: string | undefined;
      const exited = new Promise<void>((resolve) => {
        child.once("exit", (code, sig) => {
          exitInfo = sig ? `signal ${sig}` : `status ${code}`;
          resolve();
        });
        child.once("error", (err) => {
          exitInfo = err.message;
          resolve();
        });
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        logs[i] += chunk.toString("utf8");
        log.write(chunk);
      });
      running.set(i, { child, exited, log });
      // Ready when the port accepts a TCP connection: bounded polling, short pauses that grow.
      const deadline = Date.now() + readyTimeoutMs;
      for (let attempt = 0; ; attempt++) {
        if (exitInfo !== undefined) {
          running.delete(i);
          throw new Error(`startFleet: sshd for ${host.name} (${host.address}:${host.port}) exited (${exitInfo}):\n${logs[i]}`);
        }
        if (await tryConnect(host.address, host.port, 1_000)) return;
        if (Date.now() > deadline) {
          await stopOne(i);
          throw new Error(`startFleet: sshd for ${host.name} did not accept connections within ${readyTimeoutMs} ms:\n${logs[i]}`);
        }
        await delay(Math.min(5 * 2 ** attempt, 100));
      }
    };

    await Promise.all(hosts.map((_, i) => startOne(i)));

    const fleet: Fleet = {
      hosts,
      user,
      clientKeyPath,
      knownHostsPath,
      dir,
      settings(i, extra = {}) {
        const h = hosts[i];
        if (!h) throw new Error(`fleet: no host ${i}`);
        return {
          host: h.name,
          transport: "ssh",
          address: h.address,
          port: h.port,
          user,
          key_file: clientKeyPath,
          known_hosts: knownHostsPath,
          host_key_checking: "strict",
          connect_timeout: 5,
          ...extra,
        };
      },
      log: (i) => logs[i] ?? "",
      stopHost: (i) => stopOne(i),
      startHost: (i) => startOne(i),
      async stop() {
        await Promise.all([...running.keys()].map((i) => stopOne(i)));
        await rm(dir, { recursive: true, force: true });
      },
    };
    return fleet;
  } catch (err) {
    await Promise.all([...running.keys()].map((i) => stopOne(i)));
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
