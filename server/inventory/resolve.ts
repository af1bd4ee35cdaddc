/**
 * Resolution of every host's groups, connection and variables by PRODUCT.md's four levels (lowest first):
 * the `all` group; the host's other groups, parents before children, siblings as declared; the profile
 * chain, root first; the host's own data. Levels 1-3 are shared by many hosts and cached.
 */
import type { Diagnostic } from "./diagnostics";
import { ALL, type Data, type HostDef, type Place, type SiteModel } from "./model";
import { isMap, leaves, mergeLayer, pathKey, type Layer, type OriginMap } from "./merge";

export type LevelKind = "all" | "group" | "profile" | "host" | "default";

export interface Origin {
  file: string | null;
  line: number | null;
  col: number | null;
  level: LevelKind;
  /** The group, profile or host that set the value. */
  source: string;
}

export interface ResolvedHost {
  name: string;
  groups: string[];
  profile: string | null;
  profiles: string[];
  labels: Record<string, string>;
  connection: Data;
  vars: Data;
}

export interface ExplainedHost extends ResolvedHost {
  origins: { connection: Record<string, Origin>; vars: Record<string, Origin> };
}

interface Level {
  kind: LevelKind;
  name: string;
  place?: Place;
  data?: Data;
  connection?: Data;
}

interface Base {
  /** DEFAULT_LEVEL first, then `all`, the other groups and the profile chain. */
  levels: Level[];
  profiles: string[];
  vars: Layer;
  connection: Layer;
}

const DEFAULT_LEVEL: Level = { kind: "default", name: "flightdeck" };
const DEFAULT_INDEX = 0;

export class Resolver {
  /** Group sets by the host's direct groups; hosts with equal sets share one array. */
  private readonly groupSets = new Map<string, string[]>();
  /** Each host's group set (lint asks for it, then resolution). */
  private readonly hostGroups = new Map<string, string[]>();
  /** Levels 1-3, by group set (that shared array) and then profile: computed once for all hosts alike. */
  private readonly bases = new Map<string[], Map<string, Base>>();

  constructor(private readonly model: SiteModel) {}

  /** Every group a host is in: `all` first, then its groups and their ancestors in tree order. */
  groupsOf(host: string): string[] {
    let groups = this.hostGroups.get(host);
    if (!groups) this.hostGroups.set(host, (groups = this.groupSet(host)));
    return groups;
  }

  private groupSet(host: string): string[] {
    const direct = this.model.directGroups.get(host) ?? [];
    const key = direct.join("\0");
    let groups = this.groupSets.get(key);
    if (!groups) {
      const set = new Set<string>();
      for (const g of direct) {
        for (let name: string | undefined = g; name !== undefined && !set.has(name); name = this.model.parentOf.get(name)) set.add(name);
      }
      const order = this.model.groupOrder;
      groups = [ALL, ...[...set].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0))];
      this.groupSets.set(key, groups);
    }
    return groups;
  }

  profileChain(profile: string | undefined): string[] {
    const chain: string[] = [];
    for (let name = profile; name !== undefined && !chain.includes(name); name = this.model.profiles.get(name)?.parent) chain.unshift(name);
    return chain;
  }

  resolve(name: string): ResolvedHost;
  resolve(name: string, explain: true): ExplainedHost;
  resolve(name: string, explain = false): ResolvedHost | ExplainedHost {
    const host = this.model.hosts.get(name);
    if (!host) throw new RangeError(`no host named '${name}'`);
    const groups = this.groupsOf(name);
    const base = this.base(groups, host.profile, explain);
    const index = base.levels.length;
    const vars = host.data ? mergeLayer(base.vars, host.data, index) : base.vars;
    const connection = withDefaults(host.connection ? mergeLayer(base.connection, host.connection, index) : base.connection, host);
    const resolved: ResolvedHost = { name, groups, profile: host.profile ?? null, profiles: base.profiles, labels: host.labels, connection: connection.value, vars: vars.value };
    if (!explain) return resolved;
    const levels = [...base.levels, { kind: "host" as const, name, place: host, data: host.data, connection: host.connection }];
    return { ...resolved, origins: { connection: explainLayer(connection, levels, "connection"), vars: explainLayer(vars, levels, "data") } };
  }

  /**
   * Only some top-level variables of a host, resolved exactly as `resolve` would: a check that needs a few keys
   * of every host (the site design's) pays for those keys, not for all of its variables.
   */
  resolveVars(name: string, keys: readonly string[]): Data {
    const host = this.model.hosts.get(name);
    if (!host) throw new RangeError(`no host named '${name}'`);
    const base = this.base(this.groupsOf(name), host.profile, false);
    const below: Data = {};
    for (const k of keys) if (k in base.vars.value) below[k] = base.vars.value[k];
    if (!host.data) return below;
    let overlay: Data | undefined;
    for (const k of keys) {
      for (const key of [`!${k}`, k]) {
        if (key in host.data) (overlay ??= {})[key] = host.data[key];
      }
    }
    return overlay ? mergeLayer({ value: below }, overlay, base.levels.length).value : below;
  }

  /**
   * The level that sets a host's variable at `path`, as `resolve(name, true)` would name its origin: the most
   * specific level (host, then its profile chain from its own profile up, then its groups from the last)
   * whose data holds the path. For a map, that is the most specific level that sets anything in it. Found
   * without explaining every value, for checks that must point at one value's line. Undefined when no level
   * holds the path.
   */
  setterOf(name: string, path: readonly (string | number)[]): { kind: LevelKind; source: string; place: Place } | undefined {
    const host = this.model.hosts.get(name);
    if (!host) throw new RangeError(`no host named '${name}'`);
    if (host.data && holds(host.data, path)) return { kind: "host", source: name, place: host };
    const levels = this.base(this.groupsOf(name), host.profile, false).levels;
    for (let i = levels.length - 1; i > DEFAULT_INDEX; i--) {
      const level = levels[i]!;
      if (level.place && level.data && holds(level.data, path)) return { kind: level.kind, source: level.name, place: level.place };
    }
    return undefined;
  }

  private base(groups: string[], profile: string | undefined, tracked: boolean): Base {
    let byProfile = this.bases.get(groups);
    if (!byProfile) this.bases.set(groups, (byProfile = new Map<string, Base>()));
    // Profile names start with a letter or digit, so "+" keeps tracked (explained) layers apart.
    const key = `${tracked ? "+" : ""}${profile ?? ""}`;
    let base = byProfile.get(key);
    if (base) return base;
    const profiles = this.profileChain(profile);
    const levels: Level[] = [DEFAULT_LEVEL];
    for (const g of groups) {
      const def = this.model.groups.get(g);
      if (def) levels.push({ kind: g === ALL ? "all" : "group", name: g, place: def, data: def.data, connection: def.connection });
    }
    for (const p of profiles) {
      const def = this.model.profiles.get(p)!;
      levels.push({ kind: "profile", name: p, place: def, data: def.data, connection: def.connection });
    }
    let vars: Layer = { value: {}, origins: tracked ? {} : undefined };
    let connection: Layer = { value: {}, origins: tracked ? {} : undefined };
    levels.forEach((level, i) => {
      if (level.data) vars = mergeLayer(vars, level.data, i);
      if (level.connection) connection = mergeLayer(connection, level.connection, i);
    });
    base = { levels, profiles, vars, connection };
    byProfile.set(key, base);
    return base;
  }
}

/** Whether `data` holds a value at `path` (keys of maps, indices of lists). */
function holds(data: Data, path: readonly (string | number)[]): boolean {
  let v: unknown = data;
  for (const segment of path) {
    if (Array.isArray(v) && typeof segment === "number" && segment < v.length) v = v[segment];
    else if (isMap(v) && Object.hasOwn(v, segment)) v = v[segment];
    else return false;
  }
  return true;
}

/** Connection defaults sit below every level: they show in the result, and `explain` says so. */
function withDefaults(connection: Layer, host: HostDef): Layer {
  const value: Data = { ...connection.value };
  const origins = connection.origins ? { ...connection.origins } : undefined;
  fillDefault(value, origins, "transport", "ssh");
  fillDefault(value, origins, "address", host.name);
  if (value.transport !== "local") fillDefault(value, origins, "port", 22); // a local transport has no port
  fillDefault(value, origins, "host_key_checking", "strict");
  return { value, origins };
}

function fillDefault(value: Data, origins: OriginMap | undefined, key: string, v: unknown) {
  if (key in value) return;
  value[key] = v;
  if (origins) origins[key] = DEFAULT_INDEX;
}

function explainLayer(layer: Layer, levels: Level[], field: "data" | "connection"): Record<string, Origin> {
  const out: Record<string, Origin> = {};
  for (const leaf of leaves(layer.value, layer.origins ?? {})) {
    const level = levels[leaf.level] ?? DEFAULT_LEVEL;
    let file: string | null = null;
    let line: number | null = null;
    let col: number | null = null;
    if (level.place) {
      const span = level.place.src.spanAt([...level.place.path, field, ...leaf.path], true);
      file = level.place.src.file;
      line = span.line;
      col = span.col;
    }
    out[pathKey(leaf.path)] = { file, line, col, level: level.kind, source: level.name };
  }
  return out;
}

/** How a sibling check records a map: two maps merge, so only a map against a non-map conflicts. */
const MAP = "<map>";

/**
 * Two groups of one host that are not ancestor and descendant (so neither overrides the other by design)
 * and that set the same key to different values: the declaration order silently decides. Warn, naming both.
 */
export function siblingConflicts(model: SiteModel, resolver: Resolver): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const flat = new Map<string, Map<string, { path: string[]; field: "data" | "connection"; json: string }>>();
  const flatten = (group: string) => {
    let f = flat.get(group);
    if (f) return f;
    f = new Map();
    const def = model.groups.get(group);
    for (const field of ["data", "connection"] as const) {
      const walk = (v: Data, prefix: string[]) => {
        for (const [k, child] of Object.entries(v)) {
          const removal = k.startsWith("!");
          const path = [...prefix, removal ? k.slice(1) : k];
          if (isMap(child) && !removal) {
            f.set(`${field}:${pathKey(path)}`, { path, field, json: MAP });
            walk(child, path);
          } else f.set(`${field}:${pathKey(path)}`, { path: removal ? [...prefix, k] : path, field, json: removal ? "<removed>" : JSON.stringify(child) });
        }
      };
      if (def?.[field]) walk(def[field], []);
    }
    flat.set(group, f);
    return f;
  };
  const isAncestor = (a: string, b: string) => {
    for (let p = model.parentOf.get(b); p !== undefined; p = model.parentOf.get(p)) if (p === a) return true;
    return false;
  };

  // Hosts with the same groups meet the same conflicts: check each group set once, count its hosts.
  // (groupsOf returns one shared array per group set, so the array itself is the key.)
  const reportsBySet = new Map<string[], { diagnostic: Diagnostic; hosts: string[] }[]>();
  const reported = new Map<string, { diagnostic: Diagnostic; hosts: string[] }>();
  for (const host of model.hosts.keys()) {
    const set = resolver.groupsOf(host);
    const known = reportsBySet.get(set);
    if (known) {
      for (const r of known) r.hosts.push(host);
      continue;
    }
    const forSet: { diagnostic: Diagnostic; hosts: string[] }[] = [];
    reportsBySet.set(set, forSet);
    const groups = set.filter((g) => g !== ALL && model.groups.has(g));
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const a = groups[i]!;
        const b = groups[j]!;
        if (isAncestor(a, b) || isAncestor(b, a)) continue;
        const fa = flatten(a);
        const fb = flatten(b);
        for (const [key, lb] of fb) {
          const la = fa.get(key);
          if (!la || la.json === lb.json) continue;
          const id = `${a}\0${b}\0${key}`;
          const existing = reported.get(id);
          if (existing) {
            existing.hosts.push(host);
            forSet.push(existing);
            continue;
          }
          const defA = model.groups.get(a)!;
          const defB = model.groups.get(b)!;
          const where = defA.src.where([...defA.path, la.field, ...la.path], true);
          const field = la.field === "connection" ? `connection ${pathKey(lb.path)}` : `'${pathKey(lb.path)}'`;
          const diagnostic = defB.src.diagnostic(
            [...defB.path, lb.field, ...lb.path],
            "warning",
            `groups '${a}' and '${b}' both set ${field} to different values (the other is at ${where}); '${b}' wins only because it is declared later`,
            true,
          );
          const report = { diagnostic, hosts: [host] };
          reported.set(id, report);
          forSet.push(report);
        }
      }
    }
  }
  for (const { diagnostic, hosts } of reported.values()) {
    const who = hosts.length === 1 ? `host ${hosts[0]}` : `hosts ${hosts.slice(0, 3).join(", ")}${hosts.length > 3 ? ` and ${hosts.length - 3} more` : ""}`;
    diagnostics.push({ ...diagnostic, message: `${diagnostic.message} (affects ${who})` });
  }
  return diagnostics;
}

export interface ExplainedValue {
  key: string;
  value: unknown;
  origin: Origin;
}

/** The resolved values of a section as rows (one per leaf, in resolution order) with their origins. */
export function explainedValues(values: Data, origins: Record<string, Origin>): ExplainedValue[] {
  const rows: ExplainedValue[] = [];
  const walk = (v: Data, prefix: string[]) => {
    for (const [k, child] of Object.entries(v)) {
      const path = [...prefix, k];
      if (isMap(child) && Object.keys(child).length) walk(child, path);
      else {
        const key = pathKey(path);
        rows.push({ key, value: child, origin: origins[key] ?? { file: null, line: null, col: null, level: "default", source: "flightdeck" } });
      }
    }
  };
  walk(values, []);
  return rows;
}
