/**
 * Static analysis for lint: every path a template reads from its context with constant keys, where, and whether
 * the read is guarded (may legitimately be undefined, so lint should not report it).
 *
 * A read is guarded when it is the input of `default(...)` or of an `is defined` / `is not defined` test, or when
 * it sits where an enclosing condition has established that it, or a path it extends or is extended by, is defined:
 * the body of `{% if x is defined %}` (and `{% else %}` of `{% if x is not defined %}`), the right side of
 * `x is defined and ...`, the branches of `... if x is defined else ...`. Loop variables and `set` names are local
 * and are not reported; `for x in vars.list` reports `vars.list`.
 */
import { type Expr, type Node, constantKey, isChain } from "./ast";
import { type Locator } from "./errors";
import { FILTERS } from "./filters";
import { children } from "./parser";
import { TESTS } from "./is-tests";

export type PathKey = string | number;

export interface TemplateReference {
  /** `['vars', 'packages']`, `['steps', 'make token', 'stdout']`; stops before the first non-constant subscript. */
  path: PathKey[];
  line: number;
  col: number;
  guarded: boolean;
  /** Set when the path is called (`macros.x(a, b)`): how many arguments it is given. */
  call?: number;
}

class StaticScope {
  private readonly names = new Set<string>();

  constructor(private readonly parent: StaticScope | null) {}

  add(name: string): void {
    this.names.add(name);
  }

  has(name: string): boolean {
    return this.names.has(name) || (this.parent?.has(name) ?? false);
  }
}

type Guards = readonly (readonly PathKey[])[];

interface Found {
  path: PathKey[];
  offset: number;
  guarded: boolean;
  call?: number;
}

export function collectReferences(body: readonly Node[], loc: Locator): TemplateReference[] {
  const found: Found[] = [];
  walkNodes(body, new StaticScope(null), [], found);
  return found
    .map((f, i) => ({ f, i }))
    .sort((a, b) => a.f.offset - b.f.offset || a.i - b.i)
    .map(({ f }) => ({ path: f.path, ...loc.at(f.offset), guarded: f.guarded, ...(f.call !== undefined ? { call: f.call } : {}) }));
}

function walkNodes(nodes: readonly Node[], scope: StaticScope, guards: Guards, out: Found[]): void {
  for (const node of nodes) {
    switch (node.kind) {
      case "text":
        break;
      case "output":
        walk(node.expr, scope, guards, false, out);
        break;
      case "set":
        walk(node.value, scope, guards, false, out);
        scope.add(node.name);
        break;
      case "if": {
        let known: Guards = guards;
        for (const branch of node.branches) {
          walk(branch.test, scope, known, false, out);
          walkNodes(branch.body, scope, [...known, ...whenTrue(branch.test, scope)], out);
          known = [...known, ...whenFalse(branch.test, scope)];
        }
        if (node.otherwise) walkNodes(node.otherwise, scope, known, out);
        break;
      }
      case "for": {
        walk(node.iter, scope, guards, false, out);
        const inner = new StaticScope(scope);
        for (const t of node.targets) inner.add(t);
        let known = guards;
        if (node.filter) {
          walk(node.filter, inner, guards, false, out);
          known = [...guards, ...whenTrue(node.filter, inner)];
        }
        inner.add("loop");
        walkNodes(node.body, inner, known, out);
        if (node.otherwise) walkNodes(node.otherwise, scope, guards, out);
        break;
      }
    }
  }
}

/** The static path of a chain with a context root (not a local), cut before the first non-constant subscript. */
function staticPath(e: Expr, scope: StaticScope): PathKey[] | null {
  if (e.kind === "name") return scope.has(e.name) ? null : [e.name];
  if (e.kind !== "attr" && e.kind !== "index" && e.kind !== "slice") return null;
  const base = staticPath(e.object, scope);
  if (base === null) return null;
  if (!isComplete(e.object)) return base;
  if (e.kind === "attr") return [...base, e.name];
  if (e.kind === "index") {
    const k = constantKey(e.index);
    return k === undefined ? base : [...base, k];
  }
  return base;
}

/** Whether every step of a chain has a constant key (so its path was not cut). */
function isComplete(e: Expr): boolean {
  if (e.kind === "name") return true;
  if (e.kind === "attr") return isComplete(e.object);
  if (e.kind === "index") return constantKey(e.index) !== undefined && isComplete(e.object);
  return false;
}

function prefixRelated(a: readonly PathKey[], b: readonly PathKey[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function walk(e: Expr, scope: StaticScope, guards: Guards, guarded: boolean, out: Found[]): void {
  if (isChain(e)) {
    // The root and constant keys form the path; non-constant subscripts and slice bounds are reads of their own.
    let root: Expr = e;
    const inner: Expr[] = [];
    for (;;) {
      if (root.kind === "attr") root = root.object;
      else if (root.kind === "index") {
        if (constantKey(root.index) === undefined) inner.push(root.index);
        root = root.object;
      } else if (root.kind === "slice") {
        for (const b of [root.lower, root.upper, root.step]) if (b) inner.push(b);
        root = root.object;
      } else break;
    }
    const path = staticPath(e, scope);
    if (path !== null) out.push({ path, offset: e.start, guarded: guarded || guards.some((g) => prefixRelated(g, path)) });
    else if (root.kind !== "name") walk(root, scope, guards, false, out);
    for (const x of inner.reverse()) walk(x, scope, guards, false, out);
    return;
  }
  switch (e.kind) {
    case "filter": {
      walk(e.input, scope, guards, FILTERS.get(e.name)?.acceptsUndefined === true, out);
      for (const a of [...e.args, ...e.kwargs.map((k) => k.value)]) walk(a, scope, guards, false, out);
      return;
    }
    case "test":
      walk(e.input, scope, guards, TESTS.get(e.name)?.acceptsUndefined === true, out);
      for (const a of e.args) walk(a, scope, guards, false, out);
      return;
    case "logical":
      walk(e.left, scope, guards, false, out);
      walk(e.right, scope, [...guards, ...(e.op === "and" ? whenTrue(e.left, scope) : whenFalse(e.left, scope))], false, out);
      return;
    case "macro":
      out.push({ path: ["macros", e.name], offset: e.start, guarded: false, call: e.args.length });
      for (const a of e.args) walk(a, scope, guards, false, out);
      return;
    case "cond":
      walk(e.then, scope, [...guards, ...whenTrue(e.test, scope)], false, out);
      walk(e.test, scope, guards, false, out);
      if (e.otherwise) walk(e.otherwise, scope, [...guards, ...whenFalse(e.test, scope)], false, out);
      return;
    default:
      for (const c of children(e)) walk(c, scope, guards, false, out);
  }
}

/** Paths known to be defined when `e` is true. */
function whenTrue(e: Expr, scope: StaticScope): PathKey[][] {
  if (e.kind === "test" && (e.name === "defined" || e.name === "undefined")) {
    const path = staticPath(e.input, scope);
    return path !== null && (e.name === "defined") !== e.negated ? [path] : [];
  }
  if (e.kind === "unary" && e.op === "not") return whenFalse(e.operand, scope);
  if (e.kind === "logical") {
    const l = whenTrue(e.left, scope);
    const r = whenTrue(e.right, scope);
    return e.op === "and" ? [...l, ...r] : intersect(l, r);
  }
  return [];
}

/** Paths known to be defined when `e` is false. */
function whenFalse(e: Expr, scope: StaticScope): PathKey[][] {
  if (e.kind === "test" && (e.name === "defined" || e.name === "undefined")) {
    const path = staticPath(e.input, scope);
    return path !== null && (e.name === "defined") === e.negated ? [path] : [];
  }
  if (e.kind === "unary" && e.op === "not") return whenTrue(e.operand, scope);
  if (e.kind === "logical") {
    const l = whenFalse(e.left, scope);
    const r = whenFalse(e.right, scope);
    return e.op === "or" ? [...l, ...r] : intersect(l, r);
  }
  return [];
}

function intersect(a: PathKey[][], b: PathKey[][]): PathKey[][] {
  const key = (p: PathKey[]) => JSON.stringify(p);
  const keys = new Set(b.map(key));
  return a.filter((p) => keys.has(key(p)));
}
