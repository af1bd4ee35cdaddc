/**
 * The server's long-lived parts, created once per process. The custom server creates them at start; Next's
 * route handlers (bundled separately, same process) find the same instance on globalThis. Opening the store is
 * asynchronous (a PostgreSQL pool connects and migrates), so what is kept is the promise of the services.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AuthService } from "./auth";
import { Broadcaster } from "./broadcaster";
import { readEnv, type Env } from "./env";
import { readSiteDir } from "./inventory";
import { startNotifications, type NotificationParts } from "./notify/setup";
import { loadServerIdentity, type ServerIdentity } from "./secrets/keys";
import { ServerPolicies } from "./runs/policy";
import { RunParts } from "./runs/queue/setup";
import { RunService } from "./runs/service";
import { hubDeps } from "./events/hub";
import { ownEventsOf } from "./events/own";
import { startReactions, type Reactions } from "./events/reactions";
import { Scheduler } from "./schedules/scheduler";
import type { Clock } from "./schedules/windows";
import { workerSettings } from "./runs/worker";
import { openStore } from "./store/open";
import type { RunStore, SiteStore, Store } from "./store/types";

export interface Services {
  env: Env;
  /** Everything kept: SQLite (the embedded default) or PostgreSQL. */
  store: Store;
  sites: SiteStore;
  broadcaster: Broadcaster;
  runs: RunStore;
  runner: RunService;
  /** The server's own age identity (created 0600 on first start); runs decrypt the site's secrets with it. */
  serverIdentity: Promise<ServerIdentity>;
  /** Users, sessions, roles, tokens and the audit log. */
  auth: AuthService;
  /** Control channel, queue, this process's worker (unless it executes nothing) and the lease sweeper (PostgreSQL). */
  runParts: RunParts;
  /** Fires schedules and releases runs whose maintenance window opened (every process runs it; a slot fires once). */
  scheduler: Scheduler;
  /** The notification outbox's dispatcher (every process; each delivery is sent by one). */
  notifications: NotificationParts;
  /** Reactions to site events, and the loop that fires their due waits (every process; a fire happens once). */
  reactions: Reactions;
  /**
   * Stops taking runs, lets running ones finish within FLIGHTDECK_WORKER_GRACE_SECONDS (then interrupts them,
   * saying `reason`), and closes what the services hold open (connections, the store).
   */
  close(reason?: string): Promise<void>;
}

export interface ServiceOptions {
  /**
   * Whether this process executes runs (default true). `serve --no-worker` on PostgreSQL: false, the dashboard
   * only queues them for `flightdeck worker` processes. On SQLite the one process always executes.
   */
  executes?: boolean;
  /** FLIGHTDECK_DATABASE_URL (default: the process's); unset or empty, the embedded SQLite file in FLIGHTDECK_DATA. */
  databaseUrl?: string;
  /** The clock schedules and maintenance windows are judged by (tests inject one). */
  clock?: Clock;
}

const KEY = Symbol.for("flightdeck.services");
type Holder = { [KEY]?: Promise<Services> };

export function services(): Promise<Services> {
  const holder = globalThis as Holder;
  holder[KEY] ??= createServices(readEnv());
  return holder[KEY];
}

/** Makes `svc` the process's services (the custom server, and tests that start one, after creating them). */
export function provideServices(svc: Services | Promise<Services>): void {
  (globalThis as Holder)[KEY] = Promise.resolve(svc);
}

export async function createServices(env: Env, options: ServiceOptions = {}): Promise<Services> {
  const databaseUrl = options.databaseUrl ?? process.env.FLIGHTDECK_DATABASE_URL ?? "";
  const settings = workerSettings(process.env);
  // The single SQLite process stops as it always did, at once (its runs now said interrupted on the way out rather
  // than at the next start), unless a grace period is asked for.
  if (!databaseUrl && !process.env.FLIGHTDECK_WORKER_GRACE_SECONDS) settings.graceMs = 0;
  const store = await openStore({ FLIGHTDECK_DATABASE_URL: databaseUrl, FLIGHTDECK_DATABASE_POOL: process.env.FLIGHTDECK_DATABASE_POOL, FLIGHTDECK_DATA: env.FLIGHTDECK_DATA });
  try {
    const sites = store.sites;
    await seedDemo(env, sites);
    const broadcaster = new Broadcaster();
    const serverIdentity = loadServerIdentity(env.FLIGHTDECK_DATA, { passphrase: process.env.FLIGHTDECK_AGE_PASSPHRASE });
    // A failure (a wrong passphrase) is reported by the first run that needs a secret, not as an unhandled rejection.
    serverIdentity.catch(() => undefined);
    const publicUrl = env.FLIGHTDECK_URL ?? `http://${env.HOST}:${env.PORT}`;
    const runParts = new RunParts({
      store,
      databaseUrl,
      broadcaster,
      // SQLite is one process: it executes, or nothing would.
      executes: store.dialect === "sqlite" || options.executes !== false,
      settings,
      publicUrl,
      version: flightdeckVersion(),
    });
    const runner = new RunService({ store, broadcaster, policies: new ServerPolicies(env, sites), serverIdentity, control: runParts.control, queue: runParts.queue, clock: options.clock });
    await runner.recover();
    const auth = new AuthService(store, env);
    broadcaster.boardsOf = async (site) => (await auth.access.boards()).filter((b) => b.sites.includes(site)).map((b) => b.slug);
    await runParts.start(runner);
    const notifications = startNotifications({ store, env, serverIdentity });
    const scheduler = new Scheduler({ store, broadcaster, queue: runParts.queue, runner, clock: options.clock });
    scheduler.start();
    const reactions = startReactions({ store, runner, hub: hubDeps({ store, broadcaster }), now: options.clock && (() => options.clock!.now()) });
    const close = async (reason = "the server was stopped") => {
      await scheduler.stop();
      await reactions.stop();
      await runParts.stop(reason);
      // The last runs' own events are recorded before the store closes.
      await ownEventsOf({ store, broadcaster }).flush();
      await notifications.stop();
      await store.close();
    };
    return { env, store, sites, broadcaster, runs: store.runs, runner, serverIdentity, auth, runParts, scheduler, reactions, notifications, close };
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}

/** What this build calls itself in the registry of live processes (workers of another version are told apart). */
export function flightdeckVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(process.cwd(), "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * A new installation opens on a real site: the demo is imported once, when there are no sites at all. Its
 * hosts run on this machine (sandboxed), so it comes with local execution turned on.
 */
async function seedDemo(env: Env, sites: SiteStore) {
  if (!env.FLIGHTDECK_DEMO || (await sites.list()).length > 0 || !existsSync(env.FLIGHTDECK_DEMO)) return;
  await sites.create({
    slug: "ha-kvm",
    name: "HA MAAS on KVM",
    description: "Demo: two KVM hypervisors and the MAAS controllers and compute nodes they host.",
    files: readSiteDir(env.FLIGHTDECK_DEMO),
    author: "flightdeck",
    message: `Imported the demo site from ${env.FLIGHTDECK_DEMO}`,
  });
  await sites.setLocalExecution("ha-kvm", true);
  // The first user is alone and nobody approves their own run: the demo runs when requested. Its Deployments
  // page says so and links to Members, where approvals can be required.
  await sites.setSettings("ha-kvm", { approvalsRequired: 0 });
}
