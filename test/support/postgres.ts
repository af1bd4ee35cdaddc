/**
 * A real PostgreSQL server for tests: Debian's binaries, a cluster in a temporary directory owned by an
 * unprivileged user (initdb refuses root), listening on 127.0.0.1 on a free port and on a unix socket in that
 * directory. fsync is off: a test cluster is thrown away, so durability buys nothing and costs seconds.
 *
 * One cluster per test command: scripts/test.sh starts it (`node --import tsx test/support/postgres.ts start DIR`,
 * printing its superuser URL) and exports FLIGHTDECK_TEST_PG_URL. A test file run on its own, without that
 * variable, starts its own cluster on first use and stops it (that cluster's postmaster only) when it exits.
 * Each test gets its own database from `createTestDatabase()`.
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

/** The superuser initdb creates; host connections as it need no password (trust), other roles need theirs. */
export const SUPERUSER = "flightdeck";

export interface PostgresServer {
  /** Superuser URL of the `postgres` database. */
  url: string;
  port: number;
  dir: string;
}

/** Debian installs each major version under /usr/lib/postgresql/<major>/bin; the newest wins. */
export function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!majors[0]) throw new Error("test/support/postgres: no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (install Debian's `postgresql`: apt-get install postgresql)");
  return join(root, majors[0], "bin");
}

/** uid/gid of the user the cluster runs as: Debian's `postgres` when installed, else `nobody`. */
function clusterUser(): { uid: number; gid: number; name: string } {
  for (const name of ["postgres", "nobody"]) {
    try {
      const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
      return { uid, gid, name };
    } catch {
      // not on this machine: try the next one
    }
  }
  throw new Error("test/support/postgres: neither a `postgres` nor a `nobody` user exists to run the cluster as");
}

/** Run one of the server binaries as the cluster user (when we are root; otherwise as ourselves). */
async function asClusterUser(binary: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const bin = join(postgresBin(), binary);
  if (process.getuid?.() !== 0) return run(bin, args, { env: { ...process.env, LC_ALL: "C" } });
  const { uid, gid } = clusterUser();
  return run("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", bin, ...args], { env: { ...process.env, LC_ALL: "C", HOME: "/tmp" } });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function failure(what: string, err: unknown, logFile?: string): Error {
  const e = err as { stderr?: string; message?: string };
  const log = logFile && existsSync(logFile) ? `\n--- server log ---\n${readFileSync(logFile, "utf8").slice(-4000)}` : "";
  return new Error(`test/support/postgres: ${what}: ${(e.stderr || e.message || String(err)).trim()}${log}`);
}

/** Create and start a cluster in `dir` (created when missing; it must be empty or absent). */
export async function startPostgres(dir = mkdtempSync(join(tmpdir(), "flightdeck-pg-"))): Promise<PostgresServer> {
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  if (process.getuid?.() === 0) {
    const { uid, gid } = clusterUser();
    chownSync(dir, uid, gid);
  }
  try {
    await asClusterUser("initdb", ["-D", data, "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--no-instructions", "--no-sync"]);
  } catch (err) {
    throw failure(`initdb in ${data} failed`, err);
  }
  // Host connections: the superuser without a password, every other role with its password (the store's tests
  // use such a role to see how a refused login is reported).
  writeFileSync(
    join(data, "pg_hba.conf"),
    ["local all all trust", `host all ${SUPERUSER} 127.0.0.1/32 trust`, "host all all 127.0.0.1/32 scram-sha-256", ""].join("\n"),
  );
  // A port taken between freePort() and the server's bind is retried with another one.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses=127.0.0.1",
      "-c fsync=off",
      "-c synchronous_commit=off",
      "-c full_page_writes=off",
      "-c max_connections=300",
      "-c shared_buffers=64MB",
    ].join(" ");
    try {
      await asClusterUser("pg_ctl", ["-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start"]);
      const server = { url: `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`, port, dir };
      writeFileSync(join(dir, "url"), `${server.url}\n`);
      return server;
    } catch (err) {
      const text = existsSync(log) ? readFileSync(log, "utf8") : "";
      if (attempt < 5 && /could not bind|Address already in use/i.test(text)) continue;
      throw failure(`the server in ${data} did not start`, err, log);
    }
  }
}

/** Stop the cluster in `dir` (fast shutdown: its postmaster, whose PID pg_ctl reads from the data directory). */
export async function stopPostgres(dir: string, options: { remove?: boolean } = {}): Promise<void> {
  const data = join(dir, "data");
  if (existsSync(join(data, "postmaster.pid"))) {
    try {
      await asClusterUser("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
    } catch (err) {
      throw failure(`stopping the server in ${data} failed`, err, join(dir, "server.log"));
    }
  }
  if (options.remove) rmSync(dir, { recursive: true, force: true });
}

// --- The cluster a test process uses: the test command's, else one of its own. ---

let own: { server: PostgresServer; stopped: boolean } | undefined;
let starting: Promise<string> | undefined;

/** Stop our own cluster synchronously: the only way left inside an `exit` handler. */
function stopOwnSync(): void {
  if (!own || own.stopped) return;
  own.stopped = true;
  const data = join(own.server.dir, "data");
  try {
    const args = ["-D", data, "-m", "fast", "-w", "stop"];
    const bin = join(postgresBin(), "pg_ctl");
    if (process.getuid?.() === 0) {
      const { uid, gid } = clusterUser();
      execFileSync("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", bin, ...args], { stdio: "ignore" });
    } else execFileSync(bin, args, { stdio: "ignore" });
  } catch {
    // already gone
  }
  rmSync(own.server.dir, { recursive: true, force: true });
}

/** The superuser URL of the test cluster: FLIGHTDECK_TEST_PG_URL, or a cluster this process starts once. */
export function testServerUrl(): Promise<string> {
  const shared = process.env.FLIGHTDECK_TEST_PG_URL;
  if (shared) return Promise.resolve(shared);
  starting ??= startPostgres().then((server) => {
    own = { server, stopped: false };
    process.once("exit", stopOwnSync);
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        stopOwnSync();
        process.exit(128 + (signal === "SIGINT" ? 2 : 15));
      });
    }
    return server.url;
  });
  return starting;
}

/** Stop the cluster this process started (if it started one); the test command's shared cluster is left alone. */
export async function stopOwnServer(): Promise<void> {
  if (!own || own.stopped) return;
  own.stopped = true;
  await stopPostgres(own.server.dir, { remove: true });
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on the test cluster; `drop()` removes it (closing whatever is still connected). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = await testServerUrl();
  const name = `fd_${randomBytes(6).toString("hex")}`;
  await admin(serverUrl, `create database ${name}`);
  return {
    url: withDatabase(serverUrl, name),
    name,
    drop: () => admin(serverUrl, `drop database if exists ${name} with (force)`),
  };
}

/** One statement as the superuser on the `postgres` database of the test cluster. */
export async function admin(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

// --- CLI for scripts/test.sh: `start DIR` prints the URL; `stop DIR` stops that cluster. ---

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, dir] = process.argv.slice(2);
  const main = async () => {
    if (command === "start" && dir) {
      const server = await startPostgres(dir);
      process.stdout.write(`${server.url}\n`);
    } else if (command === "stop" && dir) {
      await stopPostgres(dir);
    } else {
      throw new Error("usage: node --import tsx test/support/postgres.ts start|stop DIR");
    }
  };
  main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
