/**
 * The server's long-lived parts, created once per process. The custom server creates them at start; Next's
 * route handlers (bundled separately, same process) find the same instance on globalThis. Opening the store is
 * asynchronous (a PostgreSQL pool connects and migrates), so what is kept is the promise of the services.
 */
import { existsSync } from "node:fs";
import { AuthService } from "./auth";
import { Broadcaster } from "./broadcaster";
import { readEnv, type Env } from "./env";
import { readSiteDir } from "./inventory";
import { loadServerIdentity, type ServerIdentity } from "./secrets/keys";
import { ServerPolicies } from "./runs/policy";
import { RunService } from "./runs/service";
import { openSqliteStore } from "./store/sqlite";
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
  /** Stops what the services hold open (the store's connection). */
  close(): Promise<void>;
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

export async function createServices(env: Env): Promise<Services> {
  const store = openSqliteStore(env.FLIGHTDECK_DATA);
  const sites = store.sites;
  await seedDemo(env, sites);
  const broadcaster = new Broadcaster();
  const runs = store.runs;
  const serverIdentity = loadServerIdentity(env.FLIGHTDECK_DATA, { passphrase: process.env.FLIGHTDECK_AGE_PASSPHRASE });
  // A failure (a wrong passphrase) is reported by the first run that needs a secret, not as an unhandled rejection.
  serverIdentity.catch(() => undefined);
  const runner = new RunService(runs, sites, broadcaster, new ServerPolicies(env, sites), serverIdentity, env.FLIGHTDECK_URL ?? `http://${env.HOST}:${env.PORT}`, store.introspection);
  await runner.recover();
  const auth = new AuthService(store, env);
  broadcaster.boardsOf = async (site) => (await auth.access.boards()).filter((b) => b.sites.includes(site)).map((b) => b.slug);
  return { env, store, sites, broadcaster, runs, runner, serverIdentity, auth, close: () => store.close() };
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
