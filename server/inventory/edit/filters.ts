/**
 * Host filters of the REST host list: label selectors (`role=web,env!=prod`, `tier in (a,b)`, `tier notin (a)`,
 * `key`, `!key`), conditions on resolved variables (`rack=r1`, dotted keys) and globs on names. Bad syntax is
 * an InvalidInputError naming the input field.
 */
import { InvalidInputError } from "../../errors";
import type { ResolvedHost } from "../resolve";

type Test = (value: string | undefined) => boolean;

/** Commas inside `( )` belong to an `in` list, not between terms. */
function terms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of text) {
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (c === "," && depth === 0) {
      out.push(current);
      current = "";
    } else current += c;
  }
  out.push(current);
  return out.map((t) => t.trim()).filter(Boolean);
}

function term(text: string, field: string): { key: string; test: Test } {
  let m = /^([^\s=!()]+)\s*(==?|!=)\s*([^\s,()=!]*)$/.exec(text);
  if (m) {
    const [, key, op, want] = m;
    return { key: key!, test: op === "!=" ? (v) => v !== want : (v) => v === want };
  }
  m = /^([^\s=!()]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(text);
  if (m) {
    const set = new Set(m[3]!.split(",").map((s) => s.trim()).filter(Boolean));
    return { key: m[1]!, test: m[2] === "in" ? (v) => v !== undefined && set.has(v) : (v) => v === undefined || !set.has(v) };
  }
  m = /^(!?)([^\s=!()]+)$/.exec(text);
  if (m) return { key: m[2]!, test: m[1] ? (v) => v === undefined : (v) => v !== undefined };
  throw new InvalidInputError(`${field}: '${text}' is not a condition (key=value, key!=value, key in (a,b), key notin (a,b), key or !key)`);
}

export function labelSelector(selector: string, field = "selector"): (labels: Record<string, string>) => boolean {
  const parsed = terms(selector).map((t) => term(t, field));
  return (labels) => parsed.every(({ key, test }) => test(Object.hasOwn(labels, key) ? labels[key] : undefined));
}

function varAt(vars: Record<string, unknown>, key: string): string | undefined {
  let v: unknown = vars;
  for (const part of key.split(".")) {
    if (typeof v !== "object" || v === null || Array.isArray(v) || !Object.hasOwn(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  if (v === undefined) return undefined;
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function varsFilter(conditions: readonly string[], field = "vars"): (vars: Record<string, unknown>) => boolean {
  const parsed = conditions.map((c, i) => term(c.trim().replace(/^vars\./, ""), `${field}[${i}]`));
  return (vars) => parsed.every(({ key, test }) => test(varAt(vars, key)));
}

export function globMatcher(glob: string): (name: string) => boolean {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 1);
      if (close < 0) throw new InvalidInputError(`glob: '[' without ']' in '${glob}'`);
      const body = glob.slice(i + 1, close).replace(/^!/, "^").replace(/[\\\]]/g, "\\$&");
      re += `[${body}]`;
      i = close;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  const compiled = new RegExp(`^${re}$`);
  return (name) => compiled.test(name);
}

export interface HostQuery {
  group?: string;
  selector?: string;
  vars?: readonly string[];
  glob?: string;
}

/** One predicate for every filter given (each parsed once). */
export function hostFilter(query: HostQuery): (host: ResolvedHost) => boolean {
  const checks: ((h: ResolvedHost) => boolean)[] = [];
  if (query.group !== undefined) checks.push((h) => h.groups.includes(query.group!));
  if (query.selector) {
    const sel = labelSelector(query.selector);
    checks.push((h) => sel(h.labels));
  }
  if (query.vars?.length) {
    const vars = varsFilter(query.vars);
    checks.push((h) => vars(h.vars));
  }
  if (query.glob) {
    const glob = globMatcher(query.glob);
    checks.push((h) => glob(h.name));
  }
  return (h) => checks.every((c) => c(h));
}
