/**
 * What a server allows a site to use, checked by lint (and so by plan): `transport: local` (commands on the
 * server itself), `env:` references (the server's environment) and files named in connections (`key_file`,
 * `known_hosts`, read by the server). The CLI passes no policy: on one's own machine everything is one's own.
 * Plain data in, located diagnostics out; the server builds the policy (server/runs/policy.ts).
 */
import { isAbsolute, posix } from "node:path";
import { sortDiagnostics, type Diagnostic } from "./diagnostics";
import type { Data, Place } from "./model";
import type { Site } from "./site";
import { selectHosts } from "./targets";

export interface FilePolicy {
  /** Absolute directories that files named by the site may be in. */
  dirs: readonly string[];
  /** Absolute paths never readable, even inside `dirs` (the server's data directory). */
  deny: readonly string[];
  /**
   * The known_hosts of a site that names none: its own file on the server, so that one site's `accept-new` never
   * pins a host key that another site then trusts (the server user's ~/.ssh/known_hosts is nobody's to share).
   */
  knownHosts?: string;
}

export interface SitePolicy {
  /** Why `transport: local` is refused (naming the setting, or what the server must install); undefined: allowed. */
  localRefused?: string;
  /** The environment variables `env:` may read; undefined: any (the CLI). */
  envAllow?: readonly string[];
  /** Where `key_file` and `known_hosts` may point; undefined: anywhere (the CLI). */
  files?: FilePolicy;
}

/** The setting that lists the variables `env:` may read on a server. */
export const ENV_ALLOW_SETTING = "FLIGHTDECK_ENV_ALLOW";
/** The setting that lists the directories `key_file` and `known_hosts` may name on a server. */
export const KEY_DIRS_SETTING = "FLIGHTDECK_KEY_DIRS";

/** Names no site may read from a server's environment, whatever the allow-list says: the server's own settings and keys. */
export function serverOnlyVariable(name: string): boolean {
  return name.startsWith("FLIGHTDECK_") || name.startsWith("SOPS_AGE_");
}

/** Why `env:NAME` may not be read under `policy`, or undefined when it may. */
export function envRefusal(name: string, policy: SitePolicy | undefined): string | undefined {
  const allow = policy?.envAllow;
  if (!allow) return undefined;
  if (serverOnlyVariable(name)) return `env:${name} is refused: the server's own variables (FLIGHTDECK_*, SOPS_AGE_*) are never given to a site`;
  if (allow.includes(name)) return undefined;
  return `env:${name} is refused: the server lets sites read only the environment variables listed in ${ENV_ALLOW_SETTING} (${allow.length ? allow.join(", ") : "none"}); a server admin can add ${name} there`;
}

/** Why the file `path` (as written in a connection's `field`) may not be read under `policy`, or undefined when it may. */
export function fileRefusal(path: string, field: string, policy: SitePolicy | undefined): string | undefined {
  const files = policy?.files;
  if (!files) return undefined;
  const where = files.dirs.length ? `a directory listed in ${KEY_DIRS_SETTING} (${files.dirs.join(", ")})` : `a directory listed in ${KEY_DIRS_SETTING}, which is empty on this server`;
  const alternative = field === "key_file" ? "; or keep the key in the site's secrets (key_file: secret:NAME)" : "";
  if (!isAbsolute(path)) return `${field} ${path}: on the server a site has no directory of its own, so a path must be absolute and inside ${where}${alternative}`;
  const p = posix.normalize(path);
  if (files.deny.some((d) => inside(p, d))) return `${field} ${path} is inside the server's data directory, which no site may read`;
  if (!files.dirs.some((d) => inside(p, d))) return `${field} ${path} is outside the directories the server allows: use ${where}${alternative}`;
  return undefined;
}

/** `path` is `dir` or below it (both absolute, normalised). */
export function inside(path: string, dir: string): boolean {
  const d = posix.normalize(dir).replace(/\/+$/, "");
  return path === d || path.startsWith(`${d}/`) || d === "";
}

/** The site as a server with `policy` sees it: what the policy refuses is a lint error where it is written. */
export function withPolicy(site: Site, policy: SitePolicy | undefined): Site {
  const extra = policyDiagnostics(site, policy);
  return extra.length ? { ...site, diagnostics: sortDiagnostics([...site.diagnostics, ...extra]) } : site;
}

/** What `become` in a local step is told on a server (the transport says the same if a run gets that far). */
export const LOCAL_BECOME_REFUSED =
  "become is refused in a local step on the server: local steps run sandboxed as an unprivileged user, with no way to gain privileges (sudo would leave the sandbox); run this step over ssh instead";

/** The diagnostics `policy` adds to a site: one at each place that uses what the server does not allow. */
export function policyDiagnostics(site: Pick<Site, "model" | "design" | "resolver" | "workflows">, policy: SitePolicy | undefined): Diagnostic[] {
  if (!policy) return [];
  const out: Diagnostic[] = [];
  const places: (Place & { data?: Data; connection?: Data })[] = [...site.model.hosts.values(), ...site.model.groups.values(), ...site.model.profiles.values()];
  for (const place of places) {
    const connection = place.connection ?? {};
    const at = (field: string) => [...place.path, "connection", field];
    if (connection.transport === "local" && policy.localRefused) out.push(place.src.diagnostic(at("transport"), "error", policy.localRefused));
    for (const field of ["key_file", "known_hosts"]) {
      const value = connection[field];
      if (typeof value !== "string" || value.startsWith("secret:") || value.startsWith("env:")) continue;
      const refused = fileRefusal(value, field, policy);
      if (refused) out.push(place.src.diagnostic(at(field), "error", refused));
    }
    for (const field of ["data", "connection"] as const) walkStrings(place[field], [...place.path, field], (value, path) => envReference(place, path, value, policy, out));
  }
  for (const region of site.design.regions.values()) envReference(region, ["spec", "api_key"], region.api_key, policy, out);
  if (!policy.localRefused) out.push(...localBecome(site));
  else out.push(...playbooksRefused(site, policy.localRefused));
  // A macro's command on the controller runs where a local step would.
  if (policy.localRefused) {
    for (const m of site.workflows.macros.values()) if (m.on === "controller") out.push(m.src.diagnostic([...m.path, "on"], "error", `a macro on the controller runs on the Flightdeck server, so it needs what a local step needs: ${policy.localRefused}`));
  }
  return out;
}

/** What an ansible.playbook step is told where local steps are refused: ansible-playbook would run on the server. */
export function playbookRefusal(localRefused: string): string {
  return `ansible.playbook runs ansible-playbook on the Flightdeck server, so it needs what a local step needs: ${localRefused}`;
}

/** Every ansible.playbook step, refused where it says so. */
function playbooksRefused(site: Pick<Site, "workflows">, localRefused: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const blueprint of site.workflows.blueprints.values()) {
    blueprint.steps.forEach((step, i) => {
      if (step.action === "ansible.playbook") out.push(blueprint.src.diagnostic([...blueprint.path, "steps", i, "action"], "error", playbookRefusal(localRefused)));
    });
  }
  return out;
}

/** A step with `become` that a deployment runs on a `transport: local` host: refused where `become` is written. */
function localBecome(site: Pick<Site, "model" | "resolver" | "workflows">): Diagnostic[] {
  const out = new Map<string, Diagnostic>();
  const isLocal = (h: string) => site.resolver.resolve(h).connection.transport === "local";
  for (const deployment of site.workflows.deployments.values()) {
    for (const stage of deployment.stages) {
      for (const op of stage.operations) {
        const local = selectHosts(site.model, site.resolver, op.targets).find(isLocal);
        if (!local) continue;
        for (const name of op.blueprints) {
          const blueprint = site.workflows.blueprints.get(name);
          blueprint?.steps.forEach((step, i) => {
            if (step.become === undefined || step.become === false) return;
            const path = [...blueprint.path, "steps", i, "become"];
            const key = `${blueprint.src.file}\0${path.join("/")}`;
            if (!out.has(key)) out.set(key, blueprint.src.diagnostic(path, "error", `${LOCAL_BECOME_REFUSED} (${local} has transport: local)`));
          });
        }
      }
    }
  }
  return [...out.values()];
}

function envReference(place: Place, path: (string | number)[], value: string, policy: SitePolicy, out: Diagnostic[]) {
  if (!value.startsWith("env:") || value.length === "env:".length) return;
  const refused = envRefusal(value.slice("env:".length), policy);
  if (refused) out.push(place.src.diagnostic(path, "error", refused));
}

function walkStrings(value: unknown, path: (string | number)[], visit: (value: string, path: (string | number)[]) => void) {
  if (typeof value === "string") visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, [...path, i], visit));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], visit);
}
