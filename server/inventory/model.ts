/**
 * The site model: hosts, the group tree (with the implicit `all` root), and profile chains, built from
 * validated documents. Structural problems (duplicates, missing references, cycles) become diagnostics;
 * the model keeps only what is sound, so resolution never meets a dangling name or a loop.
 */
import type { Diagnostic } from "./diagnostics";
import type { Path, SourceDoc } from "./source";
import { didYouMean } from "../template/suggest";
import type { ValidDoc } from "./validate";

export type Data = Record<string, unknown>;

/** Where a definition lives: its document and the path of its entry in it. */
export interface Place {
  src: SourceDoc;
  path: Path;
}

export interface HostDef extends Place {
  name: string;
  profile?: string;
  labels: Record<string, string>;
  connection?: Data;
  data?: Data;
}

export interface GroupDef extends Place {
  name: string;
  members: string[];
  children: string[];
  connection?: Data;
  data?: Data;
}

export interface ProfileDef extends Place {
  name: string;
  parent?: string;
  connection?: Data;
  data?: Data;
}

export interface SiteModel {
  hosts: Map<string, HostDef>;
  /** Declared groups in declaration order (`all` included when declared). */
  groups: Map<string, GroupDef>;
  profiles: Map<string, ProfileDef>;
  /** The parent of every group that is some group's child (a tree: one parent at most). */
  parentOf: Map<string, string>;
  /** Depth-first order of the group tree: parents before children, siblings as declared. */
  groupOrder: Map<string, number>;
  /** Groups each host is directly a member of. */
  directGroups: Map<string, string[]>;
}

export const ALL = "all";

export function buildModel(docs: readonly ValidDoc[]): { model: SiteModel; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const hosts = new Map<string, HostDef>();
  const groups = new Map<string, GroupDef>();
  const profiles = new Map<string, ProfileDef>();
  // Names whose entries failed validation: they exist, so references to them are not reported again.
  const brokenNames = new Set<string>();

  const duplicate = (what: string, name: string, place: Place, first: Place) =>
    diagnostics.push(place.src.diagnostic([...place.path, "name"], "error", `duplicate ${what} '${name}' (first defined at ${first.src.where([...first.path, "name"])})`));

  for (const { src, kind, value, invalid } of docs) {
    if (kind !== "inventory" && kind !== "profile") continue; // ./workflows and ./design read the others
    const spec = (value.spec ?? {}) as Data;
    // `hosts: {}` or `groups: web` was reported by validation: there is no list to read.
    const list = (field: "hosts" | "groups") => (invalid.has(`spec.${field}`) ? [] : ((spec[field] ?? []) as Data[]));
    if (kind === "profile") {
      const name = spec.name as string;
      if (invalid.has("spec")) {
        brokenNames.add(name);
        continue;
      }
      const def: ProfileDef = { src, path: ["spec"], name, parent: spec.parent as string | undefined, connection: spec.connection as Data | undefined, data: spec.data as Data | undefined };
      const first = profiles.get(name);
      if (first) duplicate("profile", name, def, first);
      else profiles.set(name, def);
      continue;
    }
    // (`invalid.size` first: most documents have no broken entry, and 10,000 keys are not free.)
    list("hosts").forEach((h, i) => {
      if (invalid.size && invalid.has(`spec.hosts.${i}`)) {
        if (typeof h?.name === "string") brokenNames.add(h.name);
        return;
      }
      const def: HostDef = {
        src,
        path: ["spec", "hosts", i],
        name: h.name as string,
        profile: h.profile as string | undefined,
        labels: Object.fromEntries(Object.entries((h.labels ?? {}) as Data).map(([k, v]) => [k, String(v)])),
        connection: h.connection as Data | undefined,
        data: h.data as Data | undefined,
      };
      const first = hosts.get(def.name);
      if (first) duplicate("host", def.name, def, first);
      else hosts.set(def.name, def);
    });
    list("groups").forEach((g, i) => {
      if (invalid.size && invalid.has(`spec.groups.${i}`)) {
        if (typeof g?.name === "string") brokenNames.add(g.name);
        return;
      }
      const def: GroupDef = {
        src,
        path: ["spec", "groups", i],
        name: g.name as string,
        members: (g.members ?? []) as string[],
        children: (g.children ?? []) as string[],
        connection: g.connection as Data | undefined,
        data: g.data as Data | undefined,
      };
      const first = groups.get(def.name);
      if (first) duplicate("group", def.name, def, first);
      else groups.set(def.name, def);
    });
  }

  checkProfiles(profiles, hosts, brokenNames, diagnostics);
  const { parentOf, directGroups } = checkGroups(groups, hosts, brokenNames, diagnostics);
  for (const [name, host] of hosts) {
    if (groups.has(name)) {
      diagnostics.push(host.src.diagnostic([...host.path, "name"], "warning", `host '${name}' has the same name as a group; targets naming it are ambiguous`));
    }
  }
  const groupOrder = orderGroups(groups, parentOf);
  return { model: { hosts, groups, profiles, parentOf, groupOrder, directGroups }, diagnostics };
}

function checkProfiles(profiles: Map<string, ProfileDef>, hosts: Map<string, HostDef>, broken: Set<string>, out: Diagnostic[]) {
  for (const host of hosts.values()) {
    if (host.profile !== undefined && !profiles.has(host.profile)) {
      if (!broken.has(host.profile)) {
        out.push(host.src.diagnostic([...host.path, "profile"], "error", `profile '${host.profile}' does not exist${didYouMean(host.profile, profiles.keys())}`));
      }
      host.profile = undefined;
    }
  }
  for (const profile of profiles.values()) {
    if (profile.parent !== undefined && !profiles.has(profile.parent)) {
      if (!broken.has(profile.parent)) {
        out.push(profile.src.diagnostic([...profile.path, "parent"], "error", `parent profile '${profile.parent}' does not exist${didYouMean(profile.parent, profiles.keys())}`));
      }
      profile.parent = undefined;
    }
  }
  // Cycles: walk each chain; a profile met twice closes a loop. Report once per loop, then cut it.
  const done = new Set<string>();
  for (const start of profiles.keys()) {
    const seen: string[] = [];
    let name: string | undefined = start;
    while (name !== undefined && !done.has(name)) {
      const at = seen.indexOf(name);
      if (at >= 0) {
        const loop = [...seen.slice(at), name];
        const closer = profiles.get(seen[seen.length - 1]!)!;
        out.push(closer.src.diagnostic([...closer.path, "parent"], "error", `profile inheritance cycle: ${loop.join(" -> ")}`));
        closer.parent = undefined;
        break;
      }
      seen.push(name);
      name = profiles.get(name)!.parent;
    }
    for (const s of seen) done.add(s);
  }
}

function checkGroups(groups: Map<string, GroupDef>, hosts: Map<string, HostDef>, broken: Set<string>, out: Diagnostic[]) {
  const parentOf = new Map<string, string>();
  const directGroups = new Map<string, string[]>();
  for (const name of hosts.keys()) directGroups.set(name, []);

  for (const group of groups.values()) {
    const seenMembers = new Set<string>();
    group.members = group.members.filter((member, i) => {
      const at = [...group.path, "members", i];
      if (seenMembers.has(member)) {
        out.push(group.src.diagnostic(at, "warning", `'${member}' is listed twice in group '${group.name}'`));
        return false;
      }
      seenMembers.add(member);
      if (hosts.has(member)) {
        if (group.name !== ALL) directGroups.get(member)!.push(group.name);
        return true;
      }
      if (broken.has(member)) return false;
      const hint = groups.has(member) ? ` ('${member}' is a group: list it under children)` : didYouMean(member, hosts.keys());
      out.push(group.src.diagnostic(at, "error", `member '${member}' of group '${group.name}' is not a host${hint}`));
      return false;
    });
    if (group.name === ALL && group.members.length) {
      out.push(group.src.diagnostic([...group.path, "members"], "warning", "the 'all' group holds every host; its members list changes nothing"));
    }

    group.children = group.children.filter((child, i) => {
      const at = [...group.path, "children", i];
      if (child === ALL) {
        out.push(group.src.diagnostic(at, "error", "'all' is the root of every group and cannot be a child"));
        return false;
      }
      if (!groups.has(child)) {
        if (!broken.has(child)) {
          const hint = hosts.has(child) ? ` ('${child}' is a host: list it under members)` : didYouMean(child, groups.keys());
          out.push(group.src.diagnostic(at, "error", `child group '${child}' of group '${group.name}' does not exist${hint}`));
        }
        return false;
      }
      if (group.name === ALL) return false; // every group is already under `all`
      const other = parentOf.get(child);
      if (other !== undefined && other !== group.name) {
        const first = groups.get(other)!;
        out.push(group.src.diagnostic(at, "error", `group '${child}' is already a child of '${other}' (${first.src.where([...first.path, "name"])}); a group has one parent`));
        return false;
      }
      if (other === group.name) {
        out.push(group.src.diagnostic(at, "warning", `'${child}' is listed twice in the children of '${group.name}'`));
        return false;
      }
      parentOf.set(child, group.name);
      return true;
    });
  }

  // Cycles in children: follow parents upward; a group that reaches itself is in a loop.
  for (const start of groups.keys()) {
    const chain: string[] = [start];
    let parent = parentOf.get(start);
    while (parent !== undefined && !chain.includes(parent)) {
      chain.push(parent);
      parent = parentOf.get(parent);
    }
    if (parent === start) {
      const loop = [...chain].reverse();
      const owner = groups.get(chain[1] ?? start)!;
      const index = owner.children.indexOf(start);
      out.push(owner.src.diagnostic([...owner.path, "children", index], "error", `group cycle: ${[...loop, loop[0]].join(" -> ")}`));
      owner.children.splice(index, 1);
      parentOf.delete(start);
    }
  }
  return { parentOf, directGroups };
}

function orderGroups(groups: Map<string, GroupDef>, parentOf: Map<string, string>): Map<string, number> {
  const order = new Map<string, number>([[ALL, 0]]);
  const visit = (name: string) => {
    if (order.has(name)) return;
    order.set(name, order.size);
    for (const child of groups.get(name)?.children ?? []) visit(child);
  };
  for (const name of groups.keys()) if (!parentOf.has(name)) visit(name);
  return order;
}
