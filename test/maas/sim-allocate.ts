/**
 * `POST machines/?op=allocate` constraints (spec B3; AcquireNodeForm): validation errors as MAAS words them,
 * matching against Ready machines, and the three forms of the 409 "nothing available" message.
 */
import { fieldError, type Form, pyRepr, textError } from "./sim-http";

export interface Allocatable {
  system_id: string;
  hostname: string;
  fqdn: string;
  zone: string;
  pool: string;
  architecture: string;
  cpu_count: number;
  memory: number;
  tag_names: readonly string[];
}

export interface Constraints {
  systemId?: string;
  matches(m: Allocatable): boolean;
}

export interface Catalogue {
  zones: readonly string[];
  pools: readonly string[];
  tags: readonly string[];
  architectures: readonly string[];
}

/** Parameters that are not constraints: never in the "matches constraints" message. */
const NOT_CONSTRAINTS = new Set(["op", "agent_name", "comment", "dry_run", "verbose", "bridge_all", "bridge_type", "bridge_stp", "bridge_fd"]);

/** MAAS accepts tags repeated, comma- or space-separated. */
function splitTags(values: string[]): string[] {
  return values.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);
}

/** Python's str(float): 4 -> "4.0". */
function pyFloat(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

/** Validates the form (400 with field errors) and returns what a machine must satisfy. */
export function parseConstraints(form: Form, catalogue: Catalogue): Constraints {
  const errors: Record<string, string[]> = {};
  const unknownTags = (field: string) => {
    const tags = splitTags(form.all(field));
    const missing = tags.filter((t) => !catalogue.tags.includes(t));
    if (missing.length > 0) errors[field] = [`No such tag(s): ${missing.map(pyRepr).join(", ")}.`];
    return tags;
  };
  const tags = unknownTags("tags");
  const notTags = unknownTags("not_tags");
  const zone = form.get("zone");
  if (zone !== undefined && !catalogue.zones.includes(zone)) errors.zone = [`No such zone: ${pyRepr(zone)}.`];
  const notInZone = form.all("not_in_zone");
  const badZones = notInZone.filter((z) => !catalogue.zones.includes(z));
  if (badZones.length > 0) errors.not_in_zone = [`No such zone(s): ${badZones.join(", ")}.`];
  const pool = form.get("pool");
  if (pool !== undefined && !catalogue.pools.includes(pool)) errors.pool = [`No such pool: ${pyRepr(pool)}.`];
  const notInPool = form.all("not_in_pool");
  const badPools = notInPool.filter((p) => !catalogue.pools.includes(p));
  if (badPools.length > 0) errors.not_in_pool = [`No such pool(s): ${badPools.join(", ")}.`];
  const arch = form.get("arch");
  if (arch !== undefined && !catalogue.architectures.some((a) => a === arch || a.split("/")[0] === arch)) errors.arch = ["Architecture not recognised."];
  const number = (field: string, message: string) => {
    const raw = form.get(field);
    if (raw === undefined || raw === "") return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n)) errors[field] = [message];
    return n;
  };
  const cpuCount = number("cpu_count", "Invalid CPU count: number required.");
  const mem = number("mem", "Invalid memory: number of MiB required.");
  if (Object.keys(errors).length > 0) throw fieldError(errors);

  const name = form.get("name");
  const systemId = form.get("system_id");
  return {
    systemId,
    matches: (m) =>
      (systemId === undefined || m.system_id === systemId) &&
      (name === undefined || m.hostname === name || m.fqdn === name) &&
      tags.every((t) => m.tag_names.includes(t)) &&
      !notTags.some((t) => m.tag_names.includes(t)) &&
      (zone === undefined || m.zone === zone) &&
      !notInZone.includes(m.zone) &&
      (pool === undefined || m.pool === pool) &&
      !notInPool.includes(m.pool) &&
      (arch === undefined || m.architecture === arch || m.architecture.split("/")[0] === arch) &&
      (cpuCount === undefined || m.cpu_count >= cpuCount) &&
      (mem === undefined || m.memory >= mem),
  };
}

/** The 409 for an allocation nothing satisfies, in MAAS's three forms. */
export function noneAvailable(form: Form): Error {
  const systemId = form.get("system_id");
  if (systemId !== undefined) return textError(409, `No machine with system ID ${systemId} available.`);
  const given = form.lists().filter(([name]) => !NOT_CONSTRAINTS.has(name));
  if (given.length === 0) return textError(409, "No machine available.");
  const asPython = `[${given.map(([n, vs]) => `(${pyRepr(n)}, [${vs.map(pyRepr).join(", ")}])`).join(", ")}]`;
  // (inferred) describe_constraints: the cleaned fields sorted by name, lists comma-joined, numbers as floats.
  const resolved = [...given]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([n, vs]) => {
      if (n === "cpu_count" || n === "mem") return `${n}=${pyFloat(Number(vs[0]))}`;
      if (n === "tags" || n === "not_tags") return `${n}=${splitTags(vs).join(",")}`;
      return `${n}=${vs.join(",")}`;
    })
    .join(" ");
  return textError(409, `No available machine matches constraints: ${asPython} (resolved to "${resolved}")`);
}
