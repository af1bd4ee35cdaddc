/**
 * Deployment targets: group names, host names, globs over both (`kvm-*`), and label selectors
 * (`role=web`, `role!=db`, several joined by ','). Hosts come back in inventory order, each once.
 */
import { ALL, type SiteModel } from "./model";
import type { Resolver } from "./resolve";

export function isLabelSelector(target: string): boolean {
  return target.includes("=");
}

/** A shell-style glob (`*`, `?`; everything else literal) as an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** The hosts one target names (empty when it matches nothing). */
export function matchTarget(model: SiteModel, resolver: Resolver, target: string): string[] {
  const hosts = [...model.hosts.keys()];
  if (target === ALL) return hosts;
  if (isLabelSelector(target)) {
    const terms = target.split(",").map((t) => {
      const negate = t.includes("!=");
      const [k, v] = t.split(negate ? "!=" : "=").map((x) => x.trim());
      return { k: k ?? "", v: v ?? "", negate };
    });
    return hosts.filter((h) => {
      const labels = model.hosts.get(h)!.labels;
      return terms.every(({ k, v, negate }) => (labels[k] === v) !== negate);
    });
  }
  const pattern = /[*?]/.test(target) ? globToRegExp(target) : null;
  const groupMatches = (g: string) => (pattern ? pattern.test(g) : g === target);
  const hostMatches = (h: string) => (pattern ? pattern.test(h) : h === target);
  const groups = [...model.groups.keys()].filter(groupMatches);
  return hosts.filter((h) => hostMatches(h) || (groups.length > 0 && resolver.groupsOf(h).some((g) => groups.includes(g))));
}

export function selectHosts(model: SiteModel, resolver: Resolver, targets: readonly string[]): string[] {
  const chosen = new Set<string>();
  for (const t of targets) for (const h of matchTarget(model, resolver, t)) chosen.add(h);
  return [...model.hosts.keys()].filter((h) => chosen.has(h));
}
