/**
 * What this server lets each site use, from its configuration and the site's settings: lint, plan and the
 * executor all ask here, so what lint refuses is what a run refuses. A run reaches only its own site: local
 * steps only where a server admin turned on "Local execution" and only in the sandbox, `env:` only for the
 * variables FLIGHTDECK_ENV_ALLOW lists, files only in FLIGHTDECK_KEY_DIRS and never in the data directory.
 */
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Env } from "../env";
import type { SitePolicy } from "../inventory";
import { identityPaths, prepareWorkspaces, sandboxFinder, type Sandbox, type SandboxStatus } from "../transports/sandbox";
import type { SiteStore } from "../store/types";

/** The site setting's name, as the Members page shows it. */
export const LOCAL_EXECUTION_SETTING = "Local execution";

export const LOCAL_REFUSED =
  `transport: local runs commands on the Flightdeck server itself, and this site may not do that: ` +
  `a server admin can turn on "${LOCAL_EXECUTION_SETTING}" for the site (on its Members page)`;

export type PolicyEnv = Pick<Env, "FLIGHTDECK_DATA" | "FLIGHTDECK_ENV_ALLOW" | "FLIGHTDECK_KEY_DIRS" | "FLIGHTDECK_RUN_USER">;

/**
 * What a sandboxed step must not see even where it lies inside the system directories it is shown: the data
 * directory, the identity files the server's environment names, and the key directories (a step of one site
 * must not read another's keys; a non-root server owns them all). For `/keys/{site}`, all of `/keys`.
 */
export function hiddenPaths(env: Pick<Env, "FLIGHTDECK_DATA" | "FLIGHTDECK_KEY_DIRS">): string[] {
  const keyDirs = env.FLIGHTDECK_KEY_DIRS.map((d) => (d.includes("{site}") ? dirname(`${d.split("{site}")[0]}x`) : d));
  return [env.FLIGHTDECK_DATA, ...identityPaths(process.env), ...keyDirs];
}

export class ServerPolicies {
  /** The sandbox, probed on first need (only sites with local execution need it). */
  readonly sandbox: () => SandboxStatus;

  constructor(
    private readonly env: PolicyEnv,
    private readonly sites: SiteStore,
  ) {
    // One directory of workspaces per data directory (one server), emptied at start.
    const workspaces = prepareWorkspaces(join(tmpdir(), `flightdeck-runs-${createHash("sha256").update(env.FLIGHTDECK_DATA).digest("hex").slice(0, 12)}`));
    this.sandbox = sandboxFinder({
      hide: hiddenPaths(env),
      runUser: env.FLIGHTDECK_RUN_USER,
      lang: process.env.LANG,
      workspaces,
    });
  }

  /** What `slug` may use, and the sandbox its local steps run in when they may run at all. */
  async forSite(slug: string): Promise<{ policy: SitePolicy; sandbox?: Sandbox }> {
    let localRefused: string | undefined = LOCAL_REFUSED;
    let sandbox: Sandbox | undefined;
    if ((await this.sites.get(slug)).localExecution) {
      const status = this.sandbox();
      if (status.ok) {
        localRefused = undefined;
        sandbox = status.sandbox;
      } else localRefused = status.message;
    }
    const policy: SitePolicy = {
      localRefused,
      envAllow: this.env.FLIGHTDECK_ENV_ALLOW,
      files: {
        dirs: this.env.FLIGHTDECK_KEY_DIRS.map((d) => d.replaceAll("{site}", slug)),
        deny: [this.env.FLIGHTDECK_DATA],
        knownHosts: join(resolve(this.env.FLIGHTDECK_DATA), "known_hosts", slug),
      },
    };
    return { policy, sandbox };
  }

  /** The server's environment as `env:` references see it: only the allowed names. */
  allowedEnv(): Record<string, string | undefined> {
    return Object.fromEntries(this.env.FLIGHTDECK_ENV_ALLOW.map((name) => [name, process.env[name]]));
  }
}
