/**
 * A Flightdeck cluster of real processes on one PostgreSQL database, for tests, the e2e suite and the bench:
 * N web replicas (the production build's `server/main.ts`, each on its own port) and M run workers
 * (`flightdeck worker`). Every process is started as users start it, reads its readiness from its own output
 * (a web replica prints "dashboard on http://…" once its socket.io server hears the other processes; a worker
 * prints that it is ready), can be SIGKILLed or stopped by its PID, and keeps its output for the test to read.
 * No sleeps: everything waits for a line, an exit or a deadline.
 *
 * The processes share one data directory, as replicas on several machines share their configuration: the
 * session-signing secret (FLIGHTDECK_AUTH_SECRET, set here) and the server's age identity must be the same
 * everywhere, or a session made on one replica is refused on another and secrets open on one worker only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "./postgres";

export const CLUSTER_ADMIN_PASSWORD = "cluster-admin-pw";
const ROOT = new URL("../..", import.meta.url).pathname;

/** Why a cluster cannot start here (no production build), or undefined. */
export function clusterSkipReason(): string | undefined {
  return existsSync(join(ROOT, ".next", "BUILD_ID")) ? undefined : "no production build (.next/BUILD_ID): run `flock /tmp/flightdeck-ui.lock npm run build` first";
}

export interface ClusterProcess {
  readonly name: string;
  readonly role: "web" | "worker";
  readonly pid: number;
  /** A web replica's base URL. */
  readonly url: string | undefined;
  /** Everything it printed so far, stdout and stderr together. */
  log(): string;
  /** Resolves with the first line (already printed or to come) that matches; rejects when it exits first or after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Exit code or signal once it has exited, else null. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Sends the signal (SIGKILL: a lost machine) and waits for the process to be gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, as a supervisor stops it, and waits (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export interface ClusterOptions {
  /** Web replicas started at once (default 2; 0 to start them with `startWeb` as the test needs). */
  web?: number;
  /** Run workers (default 0 until `flightdeck worker` exists; web replicas then run with --no-worker). */
  workers?: number;
  /** Environment for every process (on top of the cluster's own). */
  env?: Record<string, string>;
  /** An existing database (else a fresh one of the test PostgreSQL server, dropped at close). */
  databaseUrl?: string;
  /** Start web replicas with `--no-worker` (default: when there are workers). */
  noWorker?: boolean;
}

export interface Cluster {
  databaseUrl: string;
  data: string;
  web: ClusterProcess[];
  workers: ClusterProcess[];
  /** Another web replica (`noWorker`: the cluster's choice unless given). */
  startWeb(options?: { env?: Record<string, string>; noWorker?: boolean }): Promise<ClusterProcess>;
  startWorker(env?: Record<string, string>): Promise<ClusterProcess>;
  /** Every process still running is stopped, the database dropped (if the cluster made it), the data removed. */
  close(): Promise<void>;
}

/** How a worker says it is ready (server/cli/worker.ts). */
export const WORKER_READY = /worker \S+ (is )?ready/i;
const WEB_READY = /dashboard on (http:\/\/[\d.]+:\d+)/;

const running = new Set<ChildProcess>();
// A test process that dies leaves no server behind (by PID, each one this module started).
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const database: TestDatabase | undefined = options.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = options.databaseUrl ?? database!.url;
  const data = mkdtempSync(join(tmpdir(), "fd-cluster-"));
  const workersWanted = options.workers ?? 0;
  const noWorker = options.noWorker ?? workersWanted > 0;
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: data,
    NEXT_TELEMETRY_DISABLED: "1",
    HOST: "127.0.0.1",
    PORT: "0",
    FLIGHTDECK_DATA: data,
    FLIGHTDECK_DEMO: "",
    FLIGHTDECK_DATABASE_URL: databaseUrl,
    FLIGHTDECK_ADMIN_PASSWORD: CLUSTER_ADMIN_PASSWORD,
    FLIGHTDECK_AUTH_SECRET: randomBytes(24).toString("hex"),
    FLIGHTDECK_LOGIN_LIMIT: "1000",
    ...options.env,
  };
  const web: ClusterProcess[] = [];
  const workers: ClusterProcess[] = [];
  let count = 0;

  const start = (role: "web" | "worker", env: Record<string, string>, executes = !noWorker) => {
    const name = `${role}-${++count}`;
    const args = role === "web" ? ["--import", "tsx", "server/main.ts", ...(executes ? [] : ["--no-worker"])] : ["--import", "tsx", "server/cli/worker.ts"];
    return launch(name, role, args, { ...baseEnv, ...env });
  };

  const cluster: Cluster = {
    databaseUrl,
    data,
    web,
    workers,
    async startWeb({ env = {}, noWorker: none = noWorker } = {}) {
      const p = await start("web", env, !none);
      web.push(p);
      return p;
    },
    async startWorker(env = {}) {
      const p = await start("worker", env);
      workers.push(p);
      return p;
    },
    async close() {
      await Promise.all([...web, ...workers].map((p) => p.stop()));
      await database?.drop();
      rmSync(data, { recursive: true, force: true });
    },
  };

  try {
    // The first replica alone: it migrates the database and creates the admin user and nothing races it.
    const replicas = options.web ?? 2;
    if (replicas > 0) await cluster.startWeb();
    await Promise.all([
      ...Array.from({ length: Math.max(0, replicas - 1) }, () => cluster.startWeb()),
      ...Array.from({ length: workersWanted }, () => cluster.startWorker()),
    ]);
  } catch (err) {
    await cluster.close().catch(() => undefined);
    throw err;
  }
  return cluster;
}

async function launch(name: string, role: "web" | "worker", args: string[], env: Record<string, string>): Promise<ClusterProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...env, NODE_ENV: "production" }, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const l of [...listeners]) l();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const gone = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      running.delete(child);
      for (const l of [...listeners]) l();
      resolve();
    }),
  );

  const waitForLog = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = output.split("\n").find((l) => pattern.test(l));
        if (line !== undefined) return finish(() => resolve(line));
        if (exit) finish(() => reject(new Error(`${name} exited (${exit!.signal ?? exit!.code}) before printing ${pattern}:\n${output.slice(-4000)}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${name} did not print ${pattern} within ${timeoutMs / 1000} s:\n${output.slice(-4000)}`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  const ready = await waitForLog(role === "web" ? WEB_READY : WORKER_READY, 90_000).catch(async (err: Error) => {
    child.kill("SIGKILL");
    await gone;
    throw err;
  });
  const url = role === "web" ? WEB_READY.exec(ready)![1] : undefined;

  return {
    name,
    role,
    pid: child.pid!,
    url,
    log: () => output,
    waitForLog,
    exited: () => exit,
    async kill(signal = "SIGKILL") {
      if (exit) return;
      process.kill(child.pid!, signal);
      await gone;
    },
    async stop(graceMs = 10_000) {
      if (exit) return;
      process.kill(child.pid!, "SIGTERM");
      const timer = setTimeout(() => !exit && process.kill(child.pid!, "SIGKILL"), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
}
