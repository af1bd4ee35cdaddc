/** The evaluator: renders a parsed template against a context, strictly. */
import { type ChainExpr, type Expr, type Node, isChain } from "./ast";
import { type Locator, MacroCallError, Problem, TemplateError } from "./errors";
import { type Env, FILTERS } from "./filters";
import { TESTS, contains } from "./is-tests";
import { bind } from "./signature";
import { UNDEFINED, closest, describeKind, didYouMean, equals, formatKey, isMap, member, ownKeys, ownValue, scalarText, toPlain, truthy } from "./values";

export interface Limits {
  /** Characters of output (and of any one string a template builds). */
  maxOutput: number;
  /** Loop iterations over the whole render, and items in any one list a template builds (range, +, flatten...). */
  maxIterations: number;
}

/** What `macros.name(args)` calls; absent: macros are not available (an error at the call). */
export type MacroHook = (name: string, args: unknown[]) => unknown;

const NOT_FOUND: unique symbol = Symbol("not found");

/** Loop variables and `set` names. Loop bodies get a scope per iteration; `if` blocks share their parent's. */
export class Scope {
  private readonly vars = new Map<string, unknown>();

  constructor(private readonly parent: Scope | null) {}

  set(name: string, value: unknown): void {
    this.vars.set(name, value);
  }

  lookup(name: string): unknown {
    if (this.vars.has(name)) return this.vars.get(name);
    return this.parent ? this.parent.lookup(name) : NOT_FOUND;
  }

  names(): string[] {
    return [...this.vars.keys(), ...(this.parent?.names() ?? [])];
  }
}

/** Names people reach for that the language spells `none`. */
const NONE_SPELLINGS = new Set(["null", "nil", "undefined", "NULL", "Null"]);

interface Resolved {
  /** The value, or UNDEFINED (only when guarded). */
  value: unknown;
  /** The path as written for messages: `vars.packages`, `steps['make token'].stdout`, `vars.list[3]`. */
  desc: string;
}

export class Renderer implements Env {
  private iterations = 0;
  private size = 0;
  private readonly out: string[] = [];

  constructor(
    private readonly source: string,
    private readonly loc: Locator,
    private readonly root: Record<string, unknown>,
    private readonly limits: Limits,
    private readonly macro?: MacroHook,
  ) {}

  result(): string {
    return this.out.join("");
  }

  renderNodes(nodes: readonly Node[], scope: Scope): void {
    for (const node of nodes) this.renderNode(node, scope);
  }

  /** The value of a template that is one `{{ expression }}`, keeping its type (lists and maps as plain copies). */
  value(expr: Expr, scope: Scope): unknown {
    const v = this.evaluate(expr, scope);
    if (typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))) return v;
    if (Array.isArray(v) || isMap(v)) {
      try {
        return toPlain(v);
      } catch (e) {
        if (e instanceof Problem) throw this.loc.error(`'${this.describe(expr)}': ${e.message}`, expr.start);
        throw e;
      }
    }
    return this.textOf(v, expr);
  }

  private renderNode(node: Node, scope: Scope): void {
    switch (node.kind) {
      case "text":
        this.write(node.value, node.start);
        return;
      case "output":
        this.write(this.textOf(this.evaluate(node.expr, scope), node.expr), node.expr.start);
        return;
      case "if":
        for (const branch of node.branches) {
          if (truthy(this.evaluate(branch.test, scope))) {
            this.renderNodes(branch.body, scope);
            return;
          }
        }
        if (node.otherwise) this.renderNodes(node.otherwise, scope);
        return;
      case "for":
        this.renderFor(node, scope);
        return;
      case "set":
        scope.set(node.name, this.evaluate(node.value, scope));
        return;
    }
  }

  private renderFor(node: Extract<Node, { kind: "for" }>, scope: Scope): void {
    const iterable = this.evaluate(node.iter, scope);
    let items: readonly unknown[];
    if (Array.isArray(iterable)) items = iterable;
    else if (isMap(iterable)) items = ownKeys(iterable);
    else {
      const hint = iterable === null ? " (use '| default([])' for none)" : typeof iterable === "string" ? " (use '| list' to loop over its characters)" : "";
      throw this.loc.error(`cannot loop over ${describeKind(iterable)} ('${this.describe(node.iter)}')${hint}`, node.iter.start);
    }
    if (node.filter) {
      const filter = node.filter;
      items = items.filter((item) => {
        this.tick(node.start);
        const s = new Scope(scope);
        this.bindTargets(node, item, s);
        return truthy(this.evaluate(filter, s));
      });
    }
    if (items.length === 0) {
      if (node.otherwise) this.renderNodes(node.otherwise, scope);
      return;
    }
    const n = items.length;
    items.forEach((item, i) => {
      this.tick(node.start);
      const s = new Scope(scope);
      this.bindTargets(node, item, s);
      s.set("loop", { index: i + 1, index0: i, first: i === 0, last: i === n - 1, length: n, revindex: n - i, revindex0: n - i - 1 });
      this.renderNodes(node.body, s);
    });
  }

  private bindTargets(node: Extract<Node, { kind: "for" }>, item: unknown, scope: Scope): void {
    const [only, ...more] = node.targets;
    if (more.length === 0) {
      scope.set(only!, item);
      return;
    }
    const n = node.targets.length;
    if (!Array.isArray(item)) throw this.loc.error(`cannot unpack ${describeKind(item)} into ${n} loop variables`, node.iter.start);
    if (item.length !== n) throw this.loc.error(`cannot unpack a list of ${item.length} items into ${n} loop variables`, node.iter.start);
    node.targets.forEach((t, i) => scope.set(t, item[i]));
  }

  private tick(at: number): void {
    if (++this.iterations > this.limits.maxIterations) throw this.loc.error(`loops ran over the limit of ${this.limits.maxIterations} iterations`, at);
  }

  private write(s: string, at: number): void {
    this.size += s.length;
    if (this.size > this.limits.maxOutput) throw this.loc.error(`the output is over the limit of ${this.limits.maxOutput} characters`, at);
    this.out.push(s);
  }

  /** The expression's source, for messages. */
  private describe(e: Expr): string {
    const s = this.source.slice(e.start, e.end).replace(/\s+/g, " ").trim();
    return s.length > 60 ? `${s.slice(0, 59)}…` : s;
  }

  private textOf(v: unknown, e: Expr): string {
    try {
      return scalarText(v, `'${this.describe(e)}'`);
    } catch (err) {
      if (err instanceof Problem) throw this.loc.error(err.message, e.start);
      throw err;
    }
  }

  // --- expressions

  evaluate(e: Expr, scope: Scope): unknown {
    try {
      return this.evaluateInner(e, scope);
    } catch (err) {
      if (err instanceof Problem) throw this.loc.error(err.message, e.kind === "binary" ? e.opStart : e.start);
      throw err;
    }
  }

  /** Like evaluate, but a missing path gives UNDEFINED: the input of `default` and of `is defined`. */
  private guarded(e: Expr, scope: Scope): unknown {
    return isChain(e) ? this.resolve(e, scope, true).value : this.evaluate(e, scope);
  }

  private evaluateInner(e: Expr, scope: Scope): unknown {
    switch (e.kind) {
      case "literal":
        return e.value;
      case "name":
      case "attr":
      case "index":
      case "slice":
        return this.resolve(e, scope, false).value;
      case "list":
        return e.items.map((x) => this.evaluate(x, scope));
      case "dict":
        return Object.fromEntries(
          e.entries.map(({ key, value }) => {
            const k = this.evaluate(key, scope);
            if (typeof k !== "string" && typeof k !== "number") throw this.loc.error(`a map key must be a string or a number, got ${describeKind(k)}`, key.start);
            return [String(k), this.evaluate(value, scope)];
          }),
        );
      case "unary": {
        const v = this.evaluate(e.operand, scope);
        if (e.op === "not") return !truthy(v);
        if (typeof v !== "number") throw new Problem(`cannot apply unary '${e.op}' to ${describeKind(v)}`);
        return e.op === "-" ? -v : v;
      }
      case "binary": {
        const l = this.evaluate(e.left, scope);
        const r = this.evaluate(e.right, scope);
        if (e.op === "~") return this.text(this.textOf(l, e.left) + this.textOf(r, e.right));
        return this.arithmetic(e.op, l, r);
      }
      case "logical": {
        const l = this.evaluate(e.left, scope);
        if (e.op === "and") return truthy(l) ? this.evaluate(e.right, scope) : l;
        return truthy(l) ? l : this.evaluate(e.right, scope);
      }
      case "compare": {
        let left = this.evaluate(e.first, scope);
        for (const { op, expr, opStart } of e.rest) {
          const right = this.evaluate(expr, scope);
          let ok: boolean;
          try {
            ok = compare(op, left, right);
          } catch (err) {
            if (err instanceof Problem) throw this.loc.error(err.message, opStart);
            throw err;
          }
          if (!ok) return false;
          left = right;
        }
        return true;
      }
      case "cond":
        if (truthy(this.evaluate(e.test, scope))) return this.evaluate(e.then, scope);
        return e.otherwise ? this.evaluate(e.otherwise, scope) : "";
      case "filter": {
        const def = FILTERS.get(e.name)!;
        const input = def.acceptsUndefined ? this.guarded(e.input, scope) : this.evaluate(e.input, scope);
        const args = e.args.map((a) => this.evaluate(a, scope));
        const kwargs = e.kwargs.map((k) => [k.name, this.evaluate(k.value, scope)] as const);
        try {
          return def.apply(input, bind(def, args, kwargs), this);
        } catch (err) {
          if (err instanceof Problem) throw this.loc.error(`filter '${e.name}': ${err.message}`, e.nameStart);
          throw err;
        }
      }
      case "test": {
        const def = TESTS.get(e.name)!;
        const input = def.acceptsUndefined ? this.guarded(e.input, scope) : this.evaluate(e.input, scope);
        const args = e.args.map((a) => this.evaluate(a, scope));
        try {
          return def.apply(input, bind(def, args, [])) !== e.negated;
        } catch (err) {
          if (err instanceof Problem) throw this.loc.error(`test '${e.name}': ${err.message}`, e.nameStart);
          throw err;
        }
      }
      case "call":
        return this.range(e.args.map((a) => this.evaluate(a, scope)));
      case "macro": {
        const args = e.args.map((a) => this.evaluate(a, scope));
        if (!this.macro) throw new Problem(`macros.${e.name}(): macros are not available here`);
        try {
          return this.macro(e.name, args);
        } catch (err) {
          // A macro's own failure is reported at its call; anything else (e.g. a signal to the caller) passes through.
          if (err instanceof MacroCallError || err instanceof TemplateError) throw new Problem(`macro '${e.name}': ${err.message}`);
          throw err;
        }
      }
    }
  }

  private range(args: unknown[]): number[] {
    for (const a of args) {
      if (typeof a !== "number" || !Number.isInteger(a)) throw new Problem(`range() takes integers, got ${typeof a === "number" ? String(a) : describeKind(a)}`);
    }
    const [a, b, c] = args as number[];
    const [start, stop, step] = b === undefined ? [0, a!, 1] : [a!, b, c ?? 1];
    if (step === 0) throw new Problem("range() step must not be zero");
    const n = Math.max(0, Math.ceil((stop - start) / step));
    this.items(n);
    return Array.from({ length: n }, (_, i) => start + i * step);
  }

  private arithmetic(op: string, l: unknown, r: unknown): unknown {
    let result: number;
    if (typeof l === "number" && typeof r === "number") {
      switch (op) {
        case "+":
          result = l + r;
          break;
        case "-":
          result = l - r;
          break;
        case "*":
          result = l * r;
          break;
        case "/":
          if (r === 0) throw new Problem("division by zero");
          result = l / r;
          break;
        case "//":
          if (r === 0) throw new Problem("division by zero");
          result = Math.floor(l / r);
          break;
        case "%":
          if (r === 0) throw new Problem("division by zero");
          result = ((l % r) + r) % r;
          break;
        default:
          result = l ** r;
      }
      if (!Number.isFinite(result)) throw new Problem(`the result of '${op}' is not a finite number`);
      return result;
    }
    if (op === "+" && typeof l === "string" && typeof r === "string") return this.text(l + r);
    if (op === "+" && Array.isArray(l) && Array.isArray(r)) {
      this.items(l.length + r.length);
      return [...(l as unknown[]), ...(r as unknown[])];
    }
    if (op === "*" && ((typeof l === "string" && typeof r === "number") || (typeof l === "number" && typeof r === "string"))) {
      const [s, n] = typeof l === "string" ? [l, r as number] : [r as string, l];
      if (!Number.isInteger(n)) throw new Problem(`cannot repeat a string ${n} times`);
      if (n <= 0) return "";
      this.reserve(s.length * n);
      return s.repeat(n);
    }
    const hint = op === "+" && (typeof l === "string" || typeof r === "string") ? " (use '~' to join text)" : "";
    throw new Problem(`cannot apply '${op}' to ${describeKind(l)} and ${describeKind(r)}${hint}`);
  }

  // --- paths

  private resolve(e: ChainExpr, scope: Scope, guarded: boolean): Resolved {
    if (e.kind === "name") {
      const local = scope.lookup(e.name);
      if (local !== NOT_FOUND) return { value: local, desc: e.name };
      const value = ownValue(this.root, e.name);
      if (value !== UNDEFINED || guarded) return { value, desc: e.name };
      const match = NONE_SPELLINGS.has(e.name) ? "none" : closest(e.name, [...ownKeys(this.root), ...scope.names()]);
      throw this.loc.error(`'${e.name}' is undefined${match === undefined ? "" : ` (did you mean '${match}'?)`}`, e.start);
    }
    const base = isChain(e.object) ? this.resolve(e.object, scope, guarded) : { value: this.evaluate(e.object, scope), desc: `(${this.describe(e.object)})` };
    if (base.value === UNDEFINED) return base;
    if (e.kind === "slice") return { value: this.slice(e, base, scope), desc: `${base.desc}[${this.source.slice(e.object.end + 1, e.end - 1).trim()}]` };

    const key = e.kind === "attr" ? e.name : this.subscript(e.index, base.value, scope);
    const desc = base.desc + formatKey(key);
    const m = member(base.value, key, base.desc);
    if (m.ok) return { value: m.value, desc };
    if (guarded) return { value: UNDEFINED, desc };
    const detail = m.suggest !== undefined ? ` (did you mean '${base.desc}${formatKey(m.suggest)}'?)` : m.why ? ` (${m.why})` : "";
    throw this.loc.error(`'${desc}' is undefined${detail}`, e.start);
  }

  private subscript(index: Expr, base: unknown, scope: Scope): string | number {
    const k = this.evaluate(index, scope);
    if (typeof k === "string") return k;
    if (typeof k === "number" && Number.isFinite(k)) {
      if (!Number.isInteger(k) && (Array.isArray(base) || typeof base === "string")) throw this.loc.error(`an index must be an integer, got ${k}`, index.start);
      return k;
    }
    throw this.loc.error(`a subscript must be a string or a number, got ${describeKind(k)}`, index.start);
  }

  private slice(e: Extract<Expr, { kind: "slice" }>, base: Resolved, scope: Scope): unknown {
    const bound = (b: Expr | null): number | undefined => {
      if (b === null) return undefined;
      const v = this.evaluate(b, scope);
      if (v === null) return undefined;
      if (typeof v !== "number" || !Number.isInteger(v)) throw this.loc.error(`slice bounds must be integers, got ${describeKind(v)}`, b.start);
      return v;
    };
    const [lower, upper, step] = [bound(e.lower), bound(e.upper), bound(e.step)];
    const v = base.value;
    const items = typeof v === "string" ? Array.from(v) : Array.isArray(v) ? (v as unknown[]) : null;
    if (items === null) throw this.loc.error(`cannot slice ${describeKind(v)} ('${base.desc}')`, e.start);
    if (step === 0) throw this.loc.error("slice step must not be zero", e.step!.start);
    const picked = pySlice(items, lower, upper, step ?? 1);
    return typeof v === "string" ? picked.join("") : picked;
  }

  // --- Env, for filters

  text(s: string): string {
    this.reserve(s.length);
    return s;
  }

  reserve(length: number): void {
    if (length > this.limits.maxOutput) throw new Problem(`the result is over the limit of ${this.limits.maxOutput} characters`);
  }

  items(n: number): void {
    if (n > this.limits.maxIterations) throw new Problem(`the list would have ${n} items, over the limit of ${this.limits.maxIterations}`);
  }

  filter(name: string, input: unknown, args: readonly unknown[]): unknown {
    const def = FILTERS.get(name);
    if (!def) throw new Problem(`unknown filter '${name}'`);
    try {
      return def.apply(input, bind(def, args, []), this);
    } catch (e) {
      if (e instanceof Problem) throw new Problem(`filter '${name}': ${e.message}`);
      throw e;
    }
  }

  test(name: string, input: unknown, args: readonly unknown[]): boolean {
    const def = TESTS.get(name);
    if (!def) throw new Problem(`unknown test '${name}'`);
    try {
      return def.apply(input, bind(def, args, []));
    } catch (e) {
      if (e instanceof Problem) throw new Problem(`test '${name}': ${e.message}`);
      throw e;
    }
  }

  checkFilter(name: string): void {
    if (!FILTERS.has(name)) throw new Problem(`unknown filter '${name}'${didYouMean(name, FILTERS.keys())}`);
  }

  checkTest(name: string): void {
    if (!TESTS.has(name)) throw new Problem(`unknown test '${name}'${didYouMean(name, TESTS.keys())}`);
  }
}

function compare(op: string, l: unknown, r: unknown): boolean {
  switch (op) {
    case "==":
      return equals(l, r);
    case "!=":
      return !equals(l, r);
    case "in":
      return contains(r, l);
    case "not in":
      return !contains(r, l);
  }
  if (typeof l === "number" && typeof r === "number") return order(op, l, r);
  if (typeof l === "string" && typeof r === "string") return order(op, l, r);
  throw new Problem(`cannot compare ${describeKind(l)} and ${describeKind(r)} with '${op}'`);
}

function order<T extends number | string>(op: string, l: T, r: T): boolean {
  switch (op) {
    case "<":
      return l < r;
    case "<=":
      return l <= r;
    case ">":
      return l > r;
    default:
      return l >= r;
  }
}

/** Python's seq[lower:upper:step]. */
function pySlice<T>(items: readonly T[], lower: number | undefined, upper: number | undefined, step: number): T[] {
  const n = items.length;
  const norm = (i: number, min: number, max: number) => Math.min(Math.max(i < 0 ? i + n : i, min), max);
  const out: T[] = [];
  if (step > 0) {
    const lo = lower === undefined ? 0 : norm(lower, 0, n);
    const hi = upper === undefined ? n : norm(upper, 0, n);
    for (let i = lo; i < hi; i += step) out.push(items[i]!);
  } else {
    const lo = lower === undefined ? n - 1 : norm(lower, -1, n - 1);
    const hi = upper === undefined ? -1 : norm(upper, -1, n - 1);
    for (let i = lo; i > hi; i += step) out.push(items[i]!);
  }
  return out;
}
