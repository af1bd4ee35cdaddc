/**
 * The server's long-lived parts, created once per process. The custom server creates them at start; Next's
 * route handlers (bundled separately, same process) find the same instance on globalThis.
 */
import { existsSync } from "node:fs";
import { AuthService } from "./auth";
import { Broadcaster } from "./broadcaster";
import { openDb, type Db } from "./db";
import { readEnv, type Env } from "./env";
import { readSiteDir } from "./inventory";
import { loadServerIdentity, type ServerIdentity } from "./secrets/keys";
import { ServerPolicies } from "./runs/policy";
import { RunService } from "./runs/service";
import { RunStore } from "./runs/store";
import { SiteStore } from "./store/sites";

export interface Services {
  env: Env;
  db: Db;
  sites: SiteStore;
  broadcaster: Broadcaster;
  runs: RunStore;
  runner: RunService;
  /** The server's own age identity (created 0600 on first start); runs decrypt the site's secrets with it. */
  serverIdentity: Promise<ServerIdentity>;
  /** Users, sessions, roles, tokens and the audit log. */
  auth: AuthService;
}

const KEY = Symbol.for("flightdeck.services");
type Holder = { [KEY]?: Services };

export function services(): Services {
  const holder = globalThis as Holder;
  holder[KEY] ??= createServices(readEnv());
  return holder[KEY];
}

export function createServices(env: Env): Services {
  const db = openDb(env.FLIGHTDECK_DATA);
  const sites = new SiteStore(db);
  seedDemo(env, sites);
  const broadcaster = new Broadcaster();
  const runs = new RunStore(db);
  const serverIdentity = loadServerIdentity(env.FLIGHTDECK_DATA, { passphrase: process.env.FLIGHTDECK_AGE_PASSPHRASE });
  // A failure (a wrong passphrase) is reported by the first run that needs a secret, not as an unhandled rejection.
  serverIdentity.catch(() => undefined);
  const runner = new RunService(runs, sites, broadcaster, new ServerPolicies(env, sites), serverIdentity, env.FLIGHTDECK_URL ?? `http://${env.HOST}:${env.PORT}`);
  runner.recover();
  const auth = new AuthService(db, env);
  broadcaster.boardsOf = (site) => auth.access.boards().filter((b) => b.sites.includes(site)).map((b) => b.slug);
  return { env, db, sites, broadcaster, runs, runner, serverIdentity, auth };
}

/**
 * A new installation opens on a real site: the demo is imported once, when there are no sites at all. Its
 * hosts run on this machine (sandboxed), so it comes with local execution turned on.
 */
function seedDemo(env: Env, sites: SiteStore) {
  if (!env.FLIGHTDECK_DEMO || sites.list().length > 0 || !existsSync(env.FLIGHTDECK_DEMO)) return;
  sites.create({
    slug: "ha-kvm",
    name: "HA MAAS on KVM",
    description: "Demo: two KVM hypervisors and the MAAS controllers and compute nodes they host.",
    files: readSiteDir(env.FLIGHTDECK_DEMO),
    author: "flightdeck",
    message: `Imported the demo site from ${env.FLIGHTDECK_DEMO}`,
  });
  sites.setLocalExecution("ha-kvm", true);
  // The first user is alone and nobody approves their own run: the demo runs when requested. Its Deployments
  // page says so and links to Members, where approvals can be required.
  sites.setSettings("ha-kvm", { approvalsRequired: 0 });
}
