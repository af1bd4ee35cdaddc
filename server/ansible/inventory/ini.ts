/**
 * Ansible's INI inventory plugin (plugins/inventory/ini.py, 2.14), line for line: hosts before any section are
 * `ungrouped`; `[g]` lists hosts (a host pattern, then `key=value` words split as shlex does), `[g:vars]` one
 * `key=value` a line, `[g:children]` group names. Every value, in host lines and in `:vars` alike, is read by
 * Python's literal_eval (so `port=22` is a number and `name='web'` the text web); what is not a literal stays text.
 * A `[g:vars]` or `[g:children]` entry may name a group declared later; one never declared is an error.
 */
import { fail, LocatedError, type Where } from "./errors";
import { expandHostPattern, HostPatternError } from "./host-patterns";
import type { AnsibleInventory } from "./model";
import { literalEval, UnhashableError, UnsupportedLiteralError } from "./python-literal";
import { ShlexError, shlexSplit } from "./shlex";
import { fromPython, type Value } from "./values";

const SECTION = /^\[([^:\]\s]+)(?::([\p{L}\p{N}_]+))?\]\s*(?:#.*)?$/u;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/u;

interface Pending {
  line: number;
  state: "vars" | "children";
  name: string;
  parents: string[];
}

/**
 * Parse one INI source into the inventory. `wrap` turns each value into what the source holds (a vaulted file's
 * values become secrets).
 */
export function parseIni(
  inventory: AnsibleInventory,
  file: string,
  text: string,
  wrap: (v: Value, where: Where) => Value = (v) => v,
  report: (p: LocatedError) => void = (e) => {
    throw e;
  },
): void {
  // A value Flightdeck cannot hold is reported and the file read on, so one run names every such value.
  const value = (raw: string, where: Where): Value => {
    try {
      return wrap(parseValue(raw, where), where);
    } catch (e) {
      if (!(e instanceof LocatedError)) throw e;
      report(e);
      return null;
    }
  };
  const lines = splitLines(text);
  const pending = new Map<string, Pending>();
  let group = "ungrouped";
  let state = "hosts";
  const at = (line: number, col = 1): Where => ({ file, line, col });

  lines.forEach((raw, index) => {
    const lineno = index + 1;
    const line = raw.trim();
    if (!line || line[0] === ";" || line[0] === "#") return;
    const indent = raw.length - raw.trimStart().length;
    const where = at(lineno, indent + 1);

    const m = SECTION.exec(line);
    if (m) {
      group = m[1]!;
      state = m[2] ?? "hosts";
      if (!["hosts", "children", "vars"].includes(state)) fail(where, `section [${m[1]}:${m[2]}] has unknown type: ${state} (it must be one of hosts, children, vars)`);
      if (!inventory.groups.has(group)) {
        // [g] or [g:children] declares a group; [g:vars] only if it is declared somewhere.
        if (state === "vars" && !pending.has(group)) pending.set(group, { line: lineno, state: "vars", name: group, parents: [] });
        inventory.addGroup(group, where);
      }
      const waiting = pending.get(group);
      if (waiting && state !== "vars") {
        if (waiting.state === "children") addPendingChildren(inventory, group, pending, where);
        else pending.delete(group);
      }
      return;
    }
    if (line.startsWith("[") && line.endsWith("]")) {
      fail(where, `invalid section entry: '${line}': make sure there are no spaces or other invalid characters in the section name`);
    }

    if (state === "hosts") {
      let tokens: string[];
      try {
        tokens = shlexSplit(line);
      } catch (e) {
        if (e instanceof ShlexError) fail(where, `cannot parse host definition '${line}': ${e.message}`);
        throw e;
      }
      const pattern = tokens[0] ?? "";
      const { hosts, port } = hostPattern(pattern, where);
      const variables = new Map<string, Value>();
      let cursor = indent + pattern.length;
      for (const token of tokens.slice(1)) {
        const eq = token.indexOf("=");
        if (eq < 0) fail(where, `expected key=value host variable assignment, got: ${token}`);
        // The value's column: after `key=` as written (quotes make the token differ from the text).
        const found = raw.indexOf(token.slice(0, eq + 1), cursor);
        if (found >= 0) cursor = found + eq + 1;
        const valueWhere = at(lineno, found >= 0 ? cursor + 1 : indent + 1);
        variables.set(token.slice(0, eq), value(token.slice(eq + 1), valueWhere));
      }
      for (const name of hosts) {
        const host = inventory.addHost(name, where, group, port);
        for (const [k, v] of variables) host.setVariable(k, v, where);
      }
    } else if (state === "vars") {
      const eq = line.indexOf("=");
      if (eq < 0) fail(where, `expected key=value, got: ${line}`);
      const key = line.slice(0, eq).trim();
      const rawValue = line.slice(eq + 1);
      const valueWhere = at(lineno, indent + eq + 2 + (rawValue.length - rawValue.trimStart().length));
      inventory.groups.get(group)!.setVariable(key, value(rawValue.trim(), valueWhere), { ...where });
    } else {
      const cm = GROUP_NAME.exec(line);
      if (!cm) fail(where, `expected a group name, got: ${line}`);
      const child = cm[1]!;
      if (!inventory.groups.has(child)) {
        const waiting = pending.get(child);
        if (waiting) waiting.parents.push(group);
        else pending.set(child, { line: lineno, state: "children", name: child, parents: [group] });
      } else inventory.addChild(group, child, where);
    }
  });

  for (const decl of pending.values()) {
    const where = at(decl.line);
    if (decl.state === "vars") fail(where, `section [${decl.name}:vars] is for a group that is never declared: add a [${decl.name}] or [${decl.name}:children] section`);
    fail(where, `section [${decl.parents[decl.parents.length - 1]}:children] names the group '${decl.name}', which is never declared: add a [${decl.name}] section`);
  }
}

function addPendingChildren(inventory: AnsibleInventory, group: string, pending: Map<string, Pending>, where: Where): void {
  for (const parent of pending.get(group)!.parents) {
    inventory.addChild(parent, group, where);
    if (pending.get(parent)?.state === "children") addPendingChildren(inventory, parent, pending, where);
  }
  pending.delete(group);
}

/** ini.py's _expand_hostpattern: the base expansion, refusing a trailing ':' without a port and a YAML '---'. */
function hostPattern(pattern: string, where: Where): { hosts: string[]; port?: number } {
  let result: { hosts: string[]; port?: number };
  try {
    result = expandHostPattern(pattern);
  } catch (e) {
    if (e instanceof HostPatternError) fail(where, `host pattern '${pattern}': ${e.message}`);
    throw e;
  }
  if (pattern.trim().endsWith(":") && result.port === undefined) fail(where, `invalid host pattern '${pattern}': a ':' at the end is reserved for a port`);
  if (result.hosts.some((h) => h.trim() === "---")) fail(where, `invalid host pattern '${pattern}': '---' is normally a sign this is a YAML file`);
  return result;
}

/** ini.py's _parse_value: literal_eval, else the text itself. */
export function parseValue(text: string, where: Where): Value {
  let py;
  try {
    py = literalEval(text);
  } catch (e) {
    if (e instanceof UnhashableError) fail(where, `'${text}': ${e.message} (Ansible cannot read this value)`);
    if (e instanceof UnsupportedLiteralError) fail(where, `'${text}': ${e.message}`);
    throw e;
  }
  return py === undefined ? text : fromPython(py, where);
}

// Python's str.splitlines() line ends (\x1c-\x1e are file, group and record separators).
const LINE_ENDS = new RegExp(`\r\n|[\n\r\v\f${String.fromCharCode(0x1c, 0x1d, 0x1e)}\x85\u2028\u2029]`);

/** Python's str.splitlines(). */
export function splitLines(text: string): string[] {
  const lines = text.split(LINE_ENDS);
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export { LocatedError };
