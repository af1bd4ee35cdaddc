/**
 * GET /api/v1/introspect with `Authorization: Bearer fdi_...`: a deploying machine's own resolved variables at
 * its run's frozen revision, and nothing else. `secret:` and `env:` values are withheld (their paths listed)
 * unless the host's MAAS region document says `introspection: {secrets: true}`.
 */
import { bearerToken } from "../auth/tokens";
import { hostNetworks, machineSelector } from "../inventory";
import { MaskingSink } from "../engine/masking";
import { referenceOf, RunSecrets } from "../engine/secrets";
import type { Services } from "../services";
import { loadRevision } from "../site-cache";
import { UnauthorizedError } from "../store/errors";
import { json } from "./respond";

export async function introspect(svc: Services, req: Request): Promise<Response> {
  const token = bearerToken(req.headers);
  const grant = token ? await svc.runner.introspection.lookup(token) : undefined;
  if (!grant) throw new UnauthorizedError("send the introspection token from your user_data as 'Authorization: Bearer <token>'; tokens end with their run");
  const { site } = await loadRevision(svc.sites, grant.site, grant.revision);
  const resolved = site.resolver.resolve(grant.host);
  const withheld: string[] = [];
  const selector = machineSelector(resolved.vars);
  const allowed = selector ? (site.design.regions.get(selector.region)?.introspection_secrets ?? false) : false;
  let vars = strip(resolved.vars, [], withheld);
  if (allowed && withheld.length) {
    const secrets = new RunSecrets(await svc.runner.secretsSource(grant.site, grant.revision), new MaskingSink({ event: () => undefined, output: () => undefined }));
    vars = await reveal(resolved.vars, (ref) => secrets.resolve(ref));
    withheld.length = 0;
  }
  const networks = Object.fromEntries(
    Object.entries(hostNetworks(resolved.vars)).map(([name, attachment]) => {
      const n = site.design.networks.get(name);
      return [name, { ...attachment, ...(n ? { cidr: n.cidr, vlan: n.vlan, gateway: n.gateway, dns_servers: n.dns_servers, mtu: n.mtu } : {}) }];
    }),
  );
  return json({
    host: grant.host,
    site: grant.site,
    revision: grant.revision,
    run: grant.run,
    groups: resolved.groups,
    labels: resolved.labels,
    profile: resolved.profile,
    maas: selector ?? null,
    networks,
    vars,
    withheld,
  });
}

/** The data with every secret reference removed, its path recorded. */
function strip(value: unknown, path: string[], withheld: string[]): unknown {
  if (referenceOf(value) !== undefined) {
    withheld.push(path.join("."));
    return undefined;
  }
  if (Array.isArray(value)) return value.map((v, i) => strip(v, [...path, String(i)], withheld) ?? null);
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => {
      const s = strip(v, [...path, k], withheld);
      return s === undefined ? [] : [[k, s]];
    }));
  }
  return value;
}

/** The data with every secret reference replaced by its value (the region allows it). */
async function reveal(value: unknown, resolve: (ref: string) => Promise<string>): Promise<unknown> {
  const ref = referenceOf(value);
  if (ref !== undefined) return resolve(ref);
  if (Array.isArray(value)) return Promise.all(value.map((v) => reveal(v, resolve)));
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await reveal(v, resolve)] as const)));
  }
  return value;
}
