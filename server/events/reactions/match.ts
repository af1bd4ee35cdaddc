/**
 * Which reactions an event is for (name glob, label globs), and the host a reaction's `targets_from_label`
 * names (an alert's `instance` is "host:port": the host part, matched by host name or connection address).
 */
import type { Site } from "../../inventory";
import type { ReactionDef } from "../../inventory/reactions";

export function matches(def: ReactionDef, event: { name: string; labels: Record<string, string> }): boolean {
  if (!def.enabled || !def.event.pattern.test(event.name)) return false;
  return def.labels.every(({ key, pattern }) => event.labels[key] !== undefined && pattern.test(event.labels[key]));
}

/** "db-1:9100" -> "db-1", "[::1]:9100" -> "::1", "10.0.0.5" -> "10.0.0.5", "::1" -> "::1". */
export function hostPart(value: string): string {
  const v = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(v);
  if (bracketed) return bracketed[1]!;
  const colons = v.split(":").length - 1;
  return colons === 1 ? v.replace(/:\d*$/, "") : v;
}

/** The site's host a label value names, by name first, then by connection address; undefined: none. */
export function hostFromLabel(site: Pick<Site, "model" | "resolver">, value: string): string | undefined {
  const wanted = hostPart(value);
  if (site.model.hosts.has(wanted)) return wanted;
  for (const name of site.model.hosts.keys()) {
    if (site.resolver.resolve(name).connection.address === wanted) return name;
  }
  return undefined;
}
