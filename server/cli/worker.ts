/**
 * `flightdeck worker`: a process that executes runs and serves nothing. It takes queued runs from the PostgreSQL
 * installation that FLIGHTDECK_DATABASE_URL names (pg-boss nudges, claims in the runs table), at most
 * FLIGHTDECK_WORKER_RUNS at once, holds a lease on each, stores and broadcasts their events (socket.io's
 * PostgreSQL emitter: browsers on every dashboard replica see them), and sweeps the runs of workers that died.
 * SIGTERM or SIGINT: no new runs; running ones get FLIGHTDECK_WORKER_GRACE_SECONDS to finish, then end
 * interrupted. A second signal leaves at once.
 *
 * It refuses to start (one line, exit 2) without PostgreSQL (the embedded SQLite file has one process, `serve`),
 * and on a database this build's migrations do not match (the dashboard migrates; workers never do).
 */
import { hubDeps } from "../events/hub";
import { ownEventsOf } from "../events/own";
import { startReactions } from "../events/reactions";
import { boardsShowing, PostgresEmitterBroadcaster } from "../broadcast";
import { readEnv } from "../env";
import { startNotifications } from "../notify/setup";
import { loadServerIdentity } from "../secrets/keys";
import { ServerPolicies } from "../runs/policy";
import { RunParts } from "../runs/queue/setup";
import { RunService } from "../runs/service";
import { Scheduler } from "../schedules/scheduler";
import { workerSettings } from "../runs/worker";
import { flightdeckVersion } from "../services";
import { openStore } from "../store/open";
import { describeServer } from "../store/pg";
import type { Store } from "../store/types";

const USAGE = `usage: flightdeck worker

Executes queued runs of the PostgreSQL installation named by FLIGHTDECK_DATABASE_URL.
  FLIGHTDECK_WORKER_RUNS           runs at once in this process (default 8)
  FLIGHTDECK_LEASE_SECONDS         lease on each run, renewed every third of it (default 15)
  FLIGHTDECK_WORKER_GRACE_SECONDS  on SIGTERM, how long running runs may go on (default 30)
  FLIGHTDECK_URL                   the dashboard's public URL (machines' introspection requests go there)
  FLIGHTDECK_DATA                  where the server's age identity is (copy it from the dashboard's data directory)`;

export interface WorkerIo {
  out(line: string): void;
  err(line: string): void;
}

/** Runs the worker until a signal stops it; resolves with the exit code. */
export async function runWorker(args: string[], io: WorkerIo = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(USAGE);
    return 0;
  }
  if (args.length) {
    io.err(`flightdeck worker: unexpected argument '${args[0]}'\n${USAGE}`);
    return 2;
  }
  const fail = (message: string) => {
    io.err(`flightdeck worker: ${message}`);
    return 2;
  };
  const url = process.env.FLIGHTDECK_DATABASE_URL?.trim();
  if (!url) {
    return fail("workers need PostgreSQL: set FLIGHTDECK_DATABASE_URL=postgres://user:password@host:port/database (on the embedded SQLite file, `flightdeck serve` executes runs itself)");
  }
  let env: ReturnType<typeof readEnv>;
  let settings: ReturnType<typeof workerSettings>;
  try {
    env = readEnv();
    settings = workerSettings();
  } catch (e) {
    return fail((e as Error).message);
  }

  let store: Store;
  try {
    // Never migrates: a database at another schema is refused (the dashboard of this build migrates it).
    store = await openStore(process.env, { migrate: false });
  } catch (e) {
    return fail((e as Error).message);
  }
  if (store.dialect !== "postgres") {
    await store.close();
    return fail("workers need PostgreSQL (FLIGHTDECK_DATABASE_URL)");
  }
  let broadcaster: PostgresEmitterBroadcaster;
  try {
    broadcaster = await PostgresEmitterBroadcaster.open(url, { log: (l) => io.err(`flightdeck worker: ${l}`) });
  } catch (e) {
    await store.close();
    return fail((e as Error).message);
  }
  broadcaster.boardsOf = boardsShowing(store.accounts);

  // Processes of one installation run one build: a worker of another version could read the plans, events and
  // queue of this one differently. (The schema itself was checked when the store opened.)
  const version = flightdeckVersion();
  try {
    const others = (await store.workers.live(new Date(Date.now() - 3 * settings.leaseMs))).filter((w) => w.version !== version);
    if (others.length) {
      await broadcaster.close().catch(() => undefined);
      await store.close();
      const versions = [...new Set(others.map((w) => w.version))].join(", ");
      return fail(`this worker is Flightdeck ${version}, but live processes of this installation run ${versions} (${others.map((w) => w.id).join(", ")}): start workers from the same build as the dashboard`);
    }
  } catch (e) {
    await broadcaster.close().catch(() => undefined);
    await store.close();
    return fail((e as Error).message);
  }

  // The dashboard's identity, never a new one: secrets encrypted to it must open here too.
  const serverIdentity = loadServerIdentity(env.FLIGHTDECK_DATA, { passphrase: process.env.FLIGHTDECK_AGE_PASSPHRASE, create: false });
  serverIdentity.catch((e: Error) => io.err(`flightdeck worker: ${e.message}: runs that use secret: values fail until the dashboard's age identity is in ${env.FLIGHTDECK_DATA} (or given by SOPS_AGE_KEY)`));

  const parts = new RunParts({
    store,
    databaseUrl: url,
    broadcaster,
    executes: true,
    settings,
    publicUrl: env.FLIGHTDECK_URL ?? `http://${env.HOST}:${env.PORT}`,
    version,
    log: (l) => io.err(`flightdeck worker: ${l}`),
  });
  const runner = new RunService({ store, broadcaster, policies: new ServerPolicies(env, store.sites), serverIdentity, control: parts.control, queue: parts.queue });
  try {
    await parts.start(runner);
  } catch (e) {
    await parts.abandon().catch(() => undefined);
    await broadcaster.close().catch(() => undefined);
    await store.close();
    return fail(`cannot start: ${(e as Error).message}`);
  }
  const notifications = startNotifications({ store, env, serverIdentity });
  // Schedules fire and held runs are released from every process (a slot is claimed once in the database).
  const scheduler = new Scheduler({ store, broadcaster, queue: parts.queue, runner, log: (l) => io.err(`flightdeck worker: scheduler: ${l}`) });
  scheduler.start();
  // The own events of the runs executed here are reacted to here, and due reaction waits fire from here too.
  const reactions = startReactions({ store, runner, hub: hubDeps({ store, broadcaster }), log: (l) => io.err(`flightdeck worker: reactions: ${l}`) });
  if (!env.FLIGHTDECK_URL) io.err("flightdeck worker: FLIGHTDECK_URL is not set: machines deployed by this worker's runs are told to reach introspection at " + `http://${env.HOST}:${env.PORT}`);
  io.out(
    `flightdeck worker ${parts.worker!.id} is ready: executing runs of ${describeServer(url)} (${settings.capacity} at once, lease ${settings.leaseMs / 1000} s, grace ${settings.graceMs / 1000} s)`,
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => resolve(s));
  });
  const running = parts.worker!.runs().length;
  io.out(`flightdeck worker: stopping (${signal})${running ? `: ${running} run${running > 1 ? "s" : ""} may finish within ${settings.graceMs / 1000} s; again to stop at once` : ""}`);
  const again = () => process.exit(1);
  process.once("SIGTERM", again);
  process.once("SIGINT", again);
  await scheduler.stop();
  await reactions.stop();
  await parts.stop(`the worker was stopped (${signal})`);
  await ownEventsOf({ store, broadcaster }).flush();
  await notifications.stop();
  await broadcaster.close().catch(() => undefined);
  await store.close();
  io.out("flightdeck worker: stopped");
  return 0;
}

// Run directly (`node --import tsx server/cli/worker.ts`, or through bin/flightdeck.mjs `worker`).
if (import.meta.url === `file://${process.argv[1]}`) {
  runWorker(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`flightdeck worker: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(3);
    },
  );
}
