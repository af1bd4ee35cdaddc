/**
 * The simulator's event log and `GET events/?op=query` (spec B6): ids increase, answers are newest first,
 * filters are repeatable, `level` means that level and above, `limit` is at most 1000.
 */
import { type Form, textError } from "./sim-http";

/** MAAS's levels by rank: AUDIT is its own level below DEBUG (provisioningserver/events.py; inferred). */
export const LEVEL_RANK = { AUDIT: 0, DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 } as const;
export type SimLevel = keyof typeof LEVEL_RANK;

export interface SimEvent {
  id: number;
  /** system_id */
  node: string;
  hostname: string;
  username: string;
  level: SimLevel;
  created: Date;
  type: string;
  description: string;
}

/** What the query's node filters look at: the machine as it is now (MAAS joins events to nodes). */
export interface EventNodeView {
  system_id: string;
  hostname: string;
  zone: string;
  agent_name: string;
  owner: string | null;
  macs: readonly string[];
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** The log is bounded like any test fixture should be; a simulator run never comes near it. */
const MAX_EVENTS = 100_000;
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** strftime("%a, %d %b. %Y %H:%M:%S"), in UTC (MAAS uses the region's local time). */
export function formatCreated(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]}. ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** An event as the API shows it (B6). */
export interface SimEventJson {
  username: string;
  node: string;
  hostname: string;
  id: number;
  level: SimLevel;
  created: string;
  type: string;
  description: string;
}

export function eventJson(e: SimEvent): SimEventJson {
  return { username: e.username, node: e.node, hostname: e.hostname, id: e.id, level: e.level, created: formatCreated(e.created), type: e.type, description: e.description };
}

function intParam(form: Form, name: string): number | undefined {
  const raw = form.get(name);
  if (raw === undefined) return undefined;
  // (inferred) MAAS's get_optional_param with an Int validator answers a 400 like this.
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw textError(400, `Invalid ${name}: ${raw} is not an integer.`);
  return Number.parseInt(raw, 10);
}

export class EventLog {
  private readonly events: SimEvent[] = [];
  private readonly listeners = new Set<(e: SimEvent) => void>();
  private nextId = 1;

  add(e: Omit<SimEvent, "id" | "created">): SimEvent {
    const event = { ...e, id: this.nextId++, created: new Date() };
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Called with every new event; returns the unsubscribe function. */
  subscribe(listener: (e: SimEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Oldest first. */
  all(systemId?: string): SimEvent[] {
    return this.events.filter((e) => systemId === undefined || e.node === systemId);
  }

  query(form: Form, nodes: (systemId: string) => EventNodeView | undefined, pathPrefix: string): Record<string, unknown> {
    const levelName = form.get("level") ?? "INFO";
    if (!(levelName in LEVEL_RANK)) throw textError(400, `Unrecognised log level: ${levelName}`);
    const minRank = LEVEL_RANK[levelName as SimLevel];
    const limit = intParam(form, "limit") ?? DEFAULT_LIMIT;
    if (limit > MAX_LIMIT) throw textError(400, `Requested number of events ${limit} is greater than limit: ${MAX_LIMIT}`);
    const before = intParam(form, "before");
    const after = intParam(form, "after");
    if (before !== undefined && after !== undefined) throw textError(400, "There is undetermined behaviour when both 'after' and 'before' are specified.");

    const anyOf = (name: string, value: (n: EventNodeView) => readonly (string | null)[]) => {
      const wanted = form.all(name);
      return (n: EventNodeView) => wanted.length === 0 || value(n).some((v) => v !== null && wanted.includes(v));
    };
    const filters = [
      anyOf("id", (n) => [n.system_id]),
      anyOf("hostname", (n) => [n.hostname]),
      anyOf("zone", (n) => [n.zone]),
      anyOf("agent_name", (n) => [n.agent_name]),
      anyOf("owner", (n) => [n.owner]),
      anyOf("mac_address", (n) => n.macs),
    ];
    const matching = this.events.filter((e) => {
      if (LEVEL_RANK[e.level] < minRank) return false;
      const node = nodes(e.node);
      return node !== undefined && filters.every((f) => f(node));
    });
    // `after` pages forward: the oldest `limit` events past it; otherwise the newest `limit` (before `before`).
    let picked: SimEvent[];
    if (after !== undefined) picked = matching.filter((e) => e.id > after).slice(0, Math.max(0, limit));
    else {
      const older = before === undefined ? matching : matching.filter((e) => e.id < before);
      picked = limit > 0 ? older.slice(-limit) : [];
    }
    const newestFirst = [...picked].reverse();
    const base = new URLSearchParams(form.params);
    base.delete("before");
    base.delete("after");
    const uri = (name: string, id: number | undefined) => {
      const q = new URLSearchParams(base);
      if (id !== undefined) q.set(name, String(id));
      return `${pathPrefix}events/?${q.toString()}`;
    };
    return {
      count: newestFirst.length,
      events: newestFirst.map(eventJson),
      next_uri: uri("before", newestFirst.at(-1)?.id ?? before),
      prev_uri: uri("after", newestFirst[0]?.id ?? after),
    };
  }
}
