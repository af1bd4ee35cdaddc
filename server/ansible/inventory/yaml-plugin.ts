/**
 * Ansible's YAML inventory plugin (plugins/inventory/yaml.py, 2.14): top-level keys are groups (normally `all`),
 * each with optional `hosts` (host patterns, ranges allowed, each with its variables), `vars` and `children`
 * (groups, defined in place; a group named there and nowhere else is created empty). A section given as one
 * string is a map with that key; keys other than these three, and groups that are not maps, are skipped with a
 * warning, as Ansible does.
 */
import { fail, type Problem, type Where } from "./errors";
import { expandHostPattern, HostPatternError } from "./host-patterns";
import type { AnsibleInventory } from "./model";
import { isVarMap, keyWhere, Secret, valueWhere, type Value, type VarMap } from "./values";

export function parseYamlInventory(
  inventory: AnsibleInventory,
  file: string,
  data: Value | undefined,
  warn: (p: Problem) => void,
  wrap: (v: Value, where: Where) => Value = (v) => v,
): void {
  const top: Where = { file, line: 1, col: 1 };
  if (!truthy(data)) fail(top, "the YAML inventory is empty");
  if (!isVarMap(data)) fail(top, `a YAML inventory must be a map of groups (normally 'all:'), not ${kind(data)}`);
  if (truthy(data.plugin)) fail(keyAt(data, "plugin", top), `this is an inventory plugin configuration (plugin: ${JSON.stringify(data.plugin)}), a dynamic inventory; only static inventories can be imported`);

  const parseGroup = (name: string, groupData: Value, where: Where): string => {
    if (!(groupData === null || isVarMap(groupData))) {
      warn({ ...where, message: `skipping '${name}': it is not a valid group definition (a map of hosts, vars and children)` });
      return name;
    }
    inventory.addGroup(name, where);
    if (groupData === null) return name;
    for (const section of ["vars", "children", "hosts"]) {
      if (!Object.hasOwn(groupData, section)) continue;
      const v = groupData[section]!;
      if (typeof v === "string") groupData[section] = { [v]: null };
      else if (!(v === null || isVarMap(v))) fail(keyAt(groupData, section, where), `the '${section}' entry of group '${name}' must be a map, not ${kind(v)}`);
    }
    for (const key of Object.keys(groupData)) {
      const value = groupData[key]!;
      const at = keyAt(groupData, key, where);
      if (!(value === null || isVarMap(value))) {
        warn({ ...at, message: `skipping key '${key}' in group '${name}': it is not a map` });
        continue;
      }
      if (value === null) continue;
      if (key === "vars") {
        for (const v of Object.keys(value)) inventory.groups.get(name)!.setVariable(v, wrap(value[v]!, keyAt(value, v, at)), keyAt(value, v, at));
      } else if (key === "children") {
        for (const sub of Object.keys(value)) {
          const subWhere = keyAt(value, sub, at);
          inventory.addChild(name, parseGroup(sub, value[sub]!, subWhere), subWhere);
        }
      } else if (key === "hosts") {
        for (const pattern of Object.keys(value)) {
          const hostWhere = keyAt(value, pattern, at);
          let expanded: { hosts: string[]; port?: number };
          try {
            expanded = expandHostPattern(pattern);
          } catch (e) {
            if (e instanceof HostPatternError) fail(hostWhere, `host pattern '${pattern}': ${e.message}`);
            throw e;
          }
          const vars = truthy(value[pattern]) ? value[pattern]! : {};
          if (!isVarMap(vars)) fail(hostWhere, `the variables of host '${pattern}' must be a map, not ${kind(vars)}`);
          for (const host of expanded.hosts) {
            const h = inventory.addHost(host, hostWhere, name, expanded.port);
            for (const k of Object.keys(vars)) h.setVariable(k, wrap(vars[k]!, keyAt(vars, k, hostWhere)), keyAt(vars, k, hostWhere));
          }
        }
      } else {
        warn({ ...at, message: `skipping unexpected key '${key}' in group '${name}': only vars, children and hosts are valid` });
      }
    }
    return name;
  };

  for (const name of Object.keys(data)) parseGroup(name, data[name]!, keyAt(data, name, top));
}

function keyAt(map: VarMap, key: string, fallback: Where): Where {
  return keyWhere.get(map)?.get(key) ?? valueWhere.get(map) ?? fallback;
}

/** Python truthiness of a loaded value. */
export function truthy(v: Value | undefined): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Secret) return true;
  if (isVarMap(v)) return Object.keys(v).length > 0;
  return true;
}

function kind(v: Value | undefined): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (v instanceof Secret) return "a vaulted value";
  if (isVarMap(v)) return "a map";
  return `the ${typeof v} ${JSON.stringify(v)}`;
}
