/**
 * Ansible's in-memory inventory (inventory/data.py, group.py, host.py): groups form a graph under `all` (a group
 * may have several parents), each with a depth (its longest path from `all`) and a priority
 * (`ansible_group_priority`); a host is in its groups and all their ancestors; `ungrouped` holds the hosts that
 * are in no other group. Variables keep where they were set, for the importer's messages.
 */
import { fail, LocatedError, type Where } from "./errors";
import type { Value } from "./values";

export const ALL = "all";
export const UNGROUPED = "ungrouped";

/** A variable of a group or host as the inventory source set it. */
export interface Var {
  value: Value;
  where: Where;
}

export class AnsibleGroup {
  depth = 0;
  priority = 1;
  /** Where `ansible_group_priority` was set, when it was. */
  priorityWhere?: Where;
  readonly vars = new Map<string, Var>();
  readonly children: AnsibleGroup[] = [];
  readonly parents: AnsibleGroup[] = [];
  readonly hosts: AnsibleHost[] = [];
  /** Where the group was first named. */
  where?: Where;

  constructor(readonly name: string) {}

  ancestors(): Set<AnsibleGroup> {
    const seen = new Set<AnsibleGroup>();
    const walk = (g: AnsibleGroup) => {
      for (const p of g.parents) {
        if (seen.has(p)) continue;
        seen.add(p);
        walk(p);
      }
    };
    walk(this);
    return seen;
  }

  descendants(): AnsibleGroup[] {
    const out: AnsibleGroup[] = [this];
    for (let i = 0; i < out.length; i++) for (const c of out[i]!.children) if (!out.includes(c)) out.push(c);
    return out;
  }

  /** Every host of the group and of its descendants. */
  allHosts(): AnsibleHost[] {
    const out = new Set<AnsibleHost>();
    for (const g of this.descendants()) for (const h of g.hosts) out.add(h);
    return [...out];
  }

  addChildGroup(child: AnsibleGroup, where: Where): void {
    if (child === this) fail(where, `group '${this.name}' cannot be a child of itself`);
    if (this.children.includes(child)) return;
    const startAncestors = child.ancestors();
    const newAncestors = this.ancestors();
    if (newAncestors.has(child)) fail(where, `adding group '${child.name}' as a child of '${this.name}' creates a loop`);
    newAncestors.add(this);
    for (const a of startAncestors) newAncestors.delete(a);
    this.children.push(child);
    child.depth = Math.max(this.depth + 1, child.depth);
    child.checkChildrenDepth();
    if (!child.parents.includes(this)) {
      child.parents.push(this);
      for (const h of child.allHosts()) for (const g of newAncestors) h.groups.add(g);
    }
  }

  /** Descendants are at least one deeper than their parents (group.py _check_children_depth). */
  checkChildrenDepth(): void {
    let depth = this.depth;
    let next = new Set(this.children);
    const seen = new Set<AnsibleGroup>();
    while (next.size) {
      for (const g of next) seen.add(g);
      depth++;
      const current = next;
      next = new Set();
      for (const g of current) {
        if (g.depth < depth) {
          g.depth = depth;
          for (const c of g.children) next.add(c);
        }
      }
    }
  }

  addHost(host: AnsibleHost): void {
    if (this.hosts.includes(host)) return;
    this.hosts.push(host);
    host.addGroup(this);
  }

  removeHost(host: AnsibleHost): void {
    const i = this.hosts.indexOf(host);
    if (i < 0) return;
    this.hosts.splice(i, 1);
    host.removeGroup(this);
  }

  setVariable(key: string, value: Value, where: Where): void {
    if (key === "ansible_group_priority") {
      this.priority = pythonInt(value, where, "ansible_group_priority");
      this.priorityWhere = where;
      return;
    }
    this.vars.set(key, { value, where });
  }
}

export class AnsibleHost {
  /** Every group the host is in, ancestors and `all` included. */
  readonly groups = new Set<AnsibleGroup>();
  readonly vars = new Map<string, Var>();
  /** Where the host was first named. */
  where: Where;

  constructor(
    readonly name: string,
    where: Where,
    port?: number,
  ) {
    this.where = where;
    if (port) this.setVariable("ansible_port", port, where);
  }

  addGroup(group: AnsibleGroup): void {
    for (const a of group.ancestors()) this.groups.add(a);
    this.groups.add(group);
  }

  removeGroup(group: AnsibleGroup): void {
    if (!this.groups.delete(group)) return;
    // Ancestors only this group brought (never `all`) go too.
    for (const old of group.ancestors()) {
      if (old.name === ALL) continue;
      if (![...this.groups].some((g) => g.ancestors().has(old))) this.removeGroup(old);
    }
  }

  setVariable(key: string, value: Value, where: Where): void {
    this.vars.set(key, { value, where });
  }
}

export class AnsibleInventory {
  readonly groups = new Map<string, AnsibleGroup>();
  readonly hosts = new Map<string, AnsibleHost>();

  constructor() {
    const where = { file: "(ansible)", line: 1, col: 1 };
    this.addGroup(ALL, where);
    this.addGroup(UNGROUPED, where);
    this.addChild(ALL, UNGROUPED, where);
  }

  addGroup(name: string, where: Where): AnsibleGroup {
    if (!name) fail(where, "a group needs a name");
    let g = this.groups.get(name);
    if (!g) {
      g = new AnsibleGroup(name);
      g.where = where;
      this.groups.set(name, g);
    }
    return g;
  }

  addHost(name: string, where: Where, group?: string, port?: number): AnsibleHost {
    if (!name) fail(where, "a host needs a name");
    let h = this.hosts.get(name);
    if (!h) {
      h = new AnsibleHost(name, where, port);
      this.hosts.set(name, h);
    }
    if (group !== undefined) {
      const g = this.groups.get(group);
      if (!g) fail(where, `could not find group ${group} in inventory`);
      g.addHost(h);
    }
    return h;
  }

  addChild(group: string, child: string, where: Where): void {
    const g = this.groups.get(group);
    if (!g) fail(where, `${group} is not a known group`);
    const cg = this.groups.get(child);
    if (cg) g.addChildGroup(cg, where);
    else {
      const h = this.hosts.get(child);
      if (!h) fail(where, `${child} is not a known host nor group`);
      g.addHost(h);
    }
  }

  /** After all sources: every group under `all`, and `ungrouped` holding exactly the hosts in no other group. */
  reconcile(): void {
    const all = this.groups.get(ALL)!;
    const ungrouped = this.groups.get(UNGROUPED)!;
    for (const g of this.groups.values()) {
      if (g !== all && g.ancestors().size === 0) all.addChildGroup(g, g.where!);
    }
    for (const h of this.hosts.values()) {
      if (h.groups.has(ungrouped)) {
        if ([...h.groups].some((g) => g !== all && g !== ungrouped)) ungrouped.removeHost(h);
      } else if (h.groups.size === 0 || (h.groups.size === 1 && h.groups.has(all))) {
        ungrouped.addHost(h);
      }
    }
  }
}

/**
 * Python's int() of a value, as Group.set_variable applies it to `ansible_group_priority`: numbers truncate,
 * booleans are 0/1, text must be a whole number.
 */
export function pythonInt(value: Value, where: Where, what: string): number {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") return Math.trunc(value);
  if (typeof value === "string") {
    const m = /^\s*([+-]?)([0-9](?:_?[0-9])*)\s*$/.exec(value);
    if (m) return Number(m[1]! + m[2]!.replace(/_/g, ""));
  }
  throw new LocatedError(where, `${what} must be a whole number, not ${JSON.stringify(value)}`);
}
