/**
 * The parser: scanned items to a tree of nodes, tag tokens to expressions. Filters, tests and functions are checked
 * here (known names, argument counts and keywords), so a template that compiles only fails on its data.
 *
 * Expression precedence, loosest first (Jinja's):
 *   a if cond else b  <  or  <  and  <  not  <  comparisons, in, not in  <  + -  <  ~  <  * / // %  <  **
 *   <  unary - +  <  filters `|` and tests `is`  <  .attr [subscript] (call)  <  literals, names, ( )
 */
import { type BinaryOp, type CompareOp, type Expr, type Kwarg, type Node, constantKey } from "./ast";
import { type Locator, TemplateSyntaxError } from "./errors";
import { FILTERS } from "./filters";
import { TESTS } from "./is-tests";
import { LITERAL_HINT, applyWhitespace, scan, type Item, type Token } from "./lexer";
import { checkCall, type Signature } from "./signature";
import { didYouMean, quoteString } from "./values";

/** Nested parentheses, brackets, `not`s and unary signs, and nested blocks. */
const MAX_NESTING = 100;
/** The depth of an expression's tree (long operator or filter chains grow it too). */
const MAX_TREE_DEPTH = 250;

const KEYWORDS = new Set(["and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None"]);
const CONSTANTS: Record<string, boolean | null> = { true: true, True: true, false: false, False: false, none: null, None: null };
const STATEMENTS = ["if", "elif", "else", "endif", "for", "endfor", "set", "raw", "endraw"];

/** Global functions: only range(stop) / range(start, stop[, step]), positional. */
export const FUNCTIONS: ReadonlyMap<string, Signature> = new Map([["range", { params: [{ name: "start" }, { name: "stop", optional: true }, { name: "step", optional: true }] }]]);

function tokenText(t: Token): string {
  return t.type === "string" ? `string ${quoteString(t.value)}` : `'${t.value}'`;
}

class ExprParser {
  private i = 0;
  private nesting = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly loc: Locator,
  ) {}

  private get peek(): Token {
    return this.tokens[this.i] ?? this.tokens[this.tokens.length - 1]!;
  }

  next(): Token {
    const t = this.peek;
    if (t.type !== "end") this.i++;
    return t;
  }

  private error(reason: string, at: number): TemplateSyntaxError {
    return this.loc.syntaxError(reason, at);
  }

  private unexpected(t: Token = this.peek, expected?: string): TemplateSyntaxError {
    if (t.type === "end") return this.error(`unexpected end of expression${expected ? `, expected ${expected}` : ""}`, t.start);
    return this.error(`unexpected ${tokenText(t)}${expected ? `, expected ${expected}` : ""}`, t.start);
  }

  isOp(value: string): boolean {
    const t = this.peek;
    return t.type === "op" && t.value === value;
  }

  isName(value: string): boolean {
    const t = this.peek;
    return t.type === "name" && t.value === value;
  }

  atEnd(): boolean {
    return this.peek.type === "end";
  }

  /** Where the current token starts. */
  here(): number {
    return this.peek.start;
  }

  expectOp(value: string): Token {
    if (!this.isOp(value)) throw this.unexpected(this.peek, `'${value}'`);
    return this.next();
  }

  expectName(value: string): void {
    if (!this.isName(value)) throw this.unexpected(this.peek, `'${value}'`);
    this.next();
  }

  /** A name that can be bound by for / set. */
  identifier(what: string): { name: string; start: number } {
    const t = this.peek;
    if (t.type !== "name" || KEYWORDS.has(t.value)) throw this.unexpected(t, what);
    this.next();
    return { name: t.value, start: t.start };
  }

  /** The statement keyword, for `{% ... %}` tags. */
  keyword(): { name: string; start: number } {
    const t = this.peek;
    if (t.type !== "name") throw t.type === "end" ? this.error("empty statement", t.start) : this.unexpected(t, "a statement name");
    this.next();
    return { name: t.value, start: t.start };
  }

  expectEnd(after?: string): void {
    const t = this.peek;
    if (t.type === "end") return;
    if (after === "else" && t.type === "name" && t.value === "if") throw this.error("unexpected 'if' after 'else' (use '{% elif ... %}')", t.start);
    throw this.error(`unexpected ${tokenText(t)}${after ? ` after '${after}'` : ""}`, t.start);
  }

  /** A whole expression, checked for depth. */
  expression(withCondition = true): Expr {
    const e = withCondition ? this.parseCondition() : this.parseOr();
    measure(e, 0, this.loc);
    return e;
  }

  private enter(at: number): void {
    if (++this.nesting > MAX_NESTING) throw this.error(`expression nested more than ${MAX_NESTING} levels deep`, at);
  }

  private leave(): void {
    this.nesting--;
  }

  private parseCondition(): Expr {
    const start = this.peek.start;
    this.enter(start);
    let e = this.parseOr();
    while (this.isName("if")) {
      this.next();
      const test = this.parseOr();
      let otherwise: Expr | null = null;
      if (this.isName("else")) {
        this.next();
        otherwise = this.parseCondition();
      }
      e = { kind: "cond", then: e, test, otherwise, start: e.start, end: (otherwise ?? test).end };
    }
    this.leave();
    return e;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isName("or")) {
      this.next();
      const right = this.parseAnd();
      left = { kind: "logical", op: "or", left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isName("and")) {
      this.next();
      const right = this.parseNot();
      left = { kind: "logical", op: "and", left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isName("not")) {
      const t = this.next();
      this.enter(t.start);
      const operand = this.parseNot();
      this.leave();
      return { kind: "unary", op: "not", operand, start: t.start, end: operand.end };
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const first = this.parseMath1();
    const rest: { op: CompareOp; expr: Expr; opStart: number }[] = [];
    for (;;) {
      const t = this.peek;
      let op: CompareOp | undefined;
      if (t.type === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(t.value)) {
        op = t.value as CompareOp;
        this.next();
      } else if (this.isName("in")) {
        op = "in";
        this.next();
      } else if (this.isName("not") && this.tokens[this.i + 1]?.type === "name" && this.tokens[this.i + 1]?.value === "in") {
        op = "not in";
        this.next();
        this.next();
      } else {
        break;
      }
      rest.push({ op, expr: this.parseMath1(), opStart: t.start });
    }
    if (rest.length === 0) return first;
    return { kind: "compare", first, rest, start: first.start, end: rest[rest.length - 1]!.expr.end };
  }

  private binaryLoop(ops: readonly string[], operand: () => Expr): Expr {
    let left = operand();
    for (;;) {
      const t = this.peek;
      if (t.type !== "op" || !ops.includes(t.value)) return left;
      this.next();
      const right = operand();
      left = { kind: "binary", op: t.value as BinaryOp, left, right, start: left.start, end: right.end, opStart: t.start };
    }
  }

  private parseMath1(): Expr {
    return this.binaryLoop(["+", "-"], () => this.parseConcat());
  }

  private parseConcat(): Expr {
    return this.binaryLoop(["~"], () => this.parseMath2());
  }

  private parseMath2(): Expr {
    return this.binaryLoop(["*", "/", "//", "%"], () => this.parsePow());
  }

  private parsePow(): Expr {
    return this.binaryLoop(["**"], () => this.parseUnary(true));
  }

  private parseUnary(withFilters: boolean): Expr {
    const t = this.peek;
    let e: Expr;
    if (t.type === "op" && (t.value === "-" || t.value === "+")) {
      this.next();
      this.enter(t.start);
      const operand = this.parseUnary(false);
      this.leave();
      e = { kind: "unary", op: t.value, operand, start: t.start, end: operand.end };
    } else {
      e = this.parsePostfix(this.parsePrimary());
    }
    return withFilters ? this.parseFiltersAndTests(e) : e;
  }

  private parsePrimary(): Expr {
    const t = this.peek;
    switch (t.type) {
      case "string":
      case "number":
        this.next();
        return { kind: "literal", value: t.value, start: t.start, end: t.end };
      case "name": {
        if (Object.hasOwn(CONSTANTS, t.value)) {
          this.next();
          return { kind: "literal", value: CONSTANTS[t.value]!, start: t.start, end: t.end };
        }
        if (KEYWORDS.has(t.value)) throw this.unexpected(t);
        this.next();
        if (this.isOp("(")) return this.parseCall(t.value, t.start);
        return { kind: "name", name: t.value, start: t.start, end: t.end };
      }
      case "op":
        if (t.value === "(") {
          this.next();
          const e = this.parseCondition();
          this.expectOp(")");
          return e;
        }
        if (t.value === "[") return this.parseList();
        if (t.value === "{") return this.parseDict();
        throw this.unexpected(t);
      default:
        throw this.unexpected(t);
    }
  }

  private parseList(): Expr {
    const open = this.expectOp("[");
    const items: Expr[] = [];
    while (!this.isOp("]")) {
      items.push(this.parseCondition());
      if (!this.isOp(",")) break;
      this.next();
    }
    const close = this.expectOp("]");
    return { kind: "list", items, start: open.start, end: close.end };
  }

  private parseDict(): Expr {
    const open = this.expectOp("{");
    const entries: { key: Expr; value: Expr }[] = [];
    while (!this.isOp("}")) {
      const key = this.parseCondition();
      this.expectOp(":");
      entries.push({ key, value: this.parseCondition() });
      if (!this.isOp(",")) break;
      this.next();
    }
    const close = this.expectOp("}");
    return { kind: "dict", entries, start: open.start, end: close.end };
  }

  private parsePostfix(e: Expr): Expr {
    for (;;) {
      const t = this.peek;
      if (t.type !== "op") return e;
      if (t.value === ".") {
        this.next();
        const name = this.peek;
        if (name.type === "number") throw this.error(`unexpected '${name.value}' after '.' (index with brackets: [${name.value}])`, name.start);
        if (name.type !== "name") throw this.unexpected(name, "an attribute name after '.'");
        this.next();
        e = { kind: "attr", object: e, name: name.value, start: e.start, end: name.end };
      } else if (t.value === "[") {
        this.next();
        e = this.parseSubscript(e);
      } else if (t.value === "(") {
        const macro = macroName(e);
        if (macro !== undefined) {
          const { args, kwargs } = this.parseArgs();
          if (kwargs.length > 0) throw this.error(`macro '${macro}': takes positional arguments only`, kwargs[0]!.value.start);
          e = { kind: "macro", name: macro, args, start: e.start, end: this.tokens[this.i - 1]!.end };
          continue;
        }
        const method = e.kind === "attr" ? e.name : undefined;
        const hint = method !== undefined && FILTERS.has(method) ? ` (use the filter: '| ${method}${FILTERS.get(method)!.params.length ? "(...)" : ""}')` : " (use filters: 'x | name(...)')";
        throw this.error(`calls are not supported${hint}`, t.start);
      } else {
        return e;
      }
    }
  }

  private parseSubscript(object: Expr): Expr {
    const bounds: (Expr | null)[] = [];
    let isSlice = false;
    for (;;) {
      if (this.isOp(":") || this.isOp("]")) bounds.push(null);
      else bounds.push(this.parseCondition());
      if (this.isOp(":") && bounds.length < 3) {
        this.next();
        isSlice = true;
        continue;
      }
      break;
    }
    const close = this.expectOp("]");
    if (!isSlice) {
      const index = bounds[0];
      if (!index) throw this.error("empty subscript", close.start);
      return { kind: "index", object, index, start: object.start, end: close.end };
    }
    return { kind: "slice", object, lower: bounds[0] ?? null, upper: bounds[1] ?? null, step: bounds[2] ?? null, start: object.start, end: close.end };
  }

  private parseArgs(): { args: Expr[]; kwargs: Kwarg[] } {
    const args: Expr[] = [];
    const kwargs: Kwarg[] = [];
    this.expectOp("(");
    while (!this.isOp(")")) {
      const t = this.peek;
      const after = this.tokens[this.i + 1];
      if (t.type === "name" && after?.type === "op" && after.value === "=") {
        this.next();
        this.next();
        kwargs.push({ name: t.value, value: this.parseCondition() });
      } else {
        if (kwargs.length > 0) throw this.error("a positional argument cannot follow keyword arguments", t.start);
        args.push(this.parseCondition());
      }
      if (!this.isOp(",")) break;
      this.next();
    }
    this.expectOp(")");
    return { args, kwargs };
  }

  private checkSignature(kind: string, name: string, sig: Signature, args: Expr[], kwargs: Kwarg[], at: number): void {
    const problem = checkCall(
      sig,
      args.length,
      kwargs.map((k) => k.name),
    );
    if (problem) throw this.error(`${kind} '${name}': ${problem}`, at);
  }

  private parseCall(name: string, start: number): Expr {
    const sig = FUNCTIONS.get(name);
    if (!sig) {
      const hint = FILTERS.has(name) ? ` ('${name}' is a filter: 'x | ${name}')` : ` (the only function is ${[...FUNCTIONS.keys()].join(", ")}())`;
      throw this.error(`unknown function '${name}'${hint}`, start);
    }
    const { args, kwargs } = this.parseArgs();
    if (kwargs.length > 0) throw this.error(`function '${name}': takes positional arguments only`, kwargs[0]!.value.start);
    this.checkSignature("function", name, sig, args, kwargs, start);
    const end = this.tokens[this.i - 1]!.end;
    return { kind: "call", name, args, kwargs, start, end };
  }

  private parseFiltersAndTests(e: Expr): Expr {
    for (;;) {
      if (this.isOp("|")) {
        this.next();
        const t = this.peek;
        if (t.type !== "name") throw this.unexpected(t, "a filter name after '|'");
        this.next();
        const def = FILTERS.get(t.value);
        if (!def) throw this.error(`unknown filter '${t.value}'${didYouMean(t.value, FILTERS.keys())}`, t.start);
        const { args, kwargs } = this.isOp("(") ? this.parseArgs() : { args: [], kwargs: [] };
        this.checkSignature("filter", t.value, def, args, kwargs, t.start);
        e = { kind: "filter", input: e, name: t.value, nameStart: t.start, args, kwargs, start: e.start, end: this.tokens[this.i - 1]!.end };
      } else if (this.isName("is")) {
        this.next();
        let negated = false;
        if (this.isName("not")) {
          this.next();
          negated = true;
        }
        const t = this.peek;
        if (t.type !== "name") throw this.unexpected(t, "a test name after 'is'");
        this.next();
        const def = TESTS.get(t.value);
        if (!def) throw this.error(`unknown test '${t.value}'${didYouMean(t.value, TESTS.keys())}`, t.start);
        const { args, kwargs } = this.isOp("(") ? this.parseArgs() : { args: [], kwargs: [] };
        if (kwargs.length > 0) throw this.error(`test '${t.value}': tests take positional arguments only`, kwargs[0]!.value.start);
        this.checkSignature("test", t.value, def, args, kwargs, t.start);
        e = { kind: "test", input: e, name: t.value, nameStart: t.start, negated, args, start: e.start, end: this.tokens[this.i - 1]!.end };
      } else {
        return e;
      }
    }
  }
}

/** Fails when a tree is deeper than MAX_TREE_DEPTH, so that evaluation cannot overflow the stack. */
function measure(e: Expr, depth: number, loc: Locator): void {
  if (depth > MAX_TREE_DEPTH) throw loc.syntaxError(`expression too complex (more than ${MAX_TREE_DEPTH} levels)`, e.start);
  for (const child of children(e)) measure(child, depth + 1, loc);
}

export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case "literal":
    case "name":
      return [];
    case "attr":
      return [e.object];
    case "index":
      return [e.object, e.index];
    case "slice":
      return [e.object, e.lower, e.upper, e.step].filter((x): x is Expr => x !== null);
    case "list":
      return e.items;
    case "dict":
      return e.entries.flatMap((x) => [x.key, x.value]);
    case "unary":
      return [e.operand];
    case "binary":
    case "logical":
      return [e.left, e.right];
    case "compare":
      return [e.first, ...e.rest.map((r) => r.expr)];
    case "cond":
      return [e.then, e.test, ...(e.otherwise ? [e.otherwise] : [])];
    case "filter":
      return [e.input, ...e.args, ...e.kwargs.map((k) => k.value)];
    case "test":
      return [e.input, ...e.args];
    case "call":
      return [...e.args, ...e.kwargs.map((k) => k.value)];
    case "macro":
      return e.args;
  }
}

/** `macros.x` / `macros['x']`: the one thing that may be called (the caller supplies the macros). */
function macroName(e: Expr): string | undefined {
  if ((e.kind !== "attr" && e.kind !== "index") || e.object.kind !== "name" || e.object.name !== "macros") return undefined;
  if (e.kind === "attr") return e.name;
  const k = constantKey(e.index);
  return typeof k === "string" ? k : undefined;
}

interface OpenBlock {
  keyword: "if" | "for";
  start: number;
}

/** Parses a whole template. */
export function parseTemplate(source: string, loc: Locator): Node[] {
  const items = scan(source, loc);
  applyWhitespace(items);
  return new TemplateParser(items, loc, source).parseAll();
}

class TemplateParser {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly items: readonly Item[],
    private readonly loc: Locator,
    private readonly source: string,
  ) {}

  parseAll(): Node[] {
    return this.parseBody([], null).nodes;
  }

  private exprParser(tokens: Token[]): ExprParser {
    return new ExprParser(tokens, this.loc);
  }

  private parseBody(stop: readonly string[], open: OpenBlock | null): { nodes: Node[]; end: { keyword: string; p: ExprParser; start: number } | null } {
    const nodes: Node[] = [];
    while (this.i < this.items.length) {
      const item = this.items[this.i++]!;
      switch (item.kind) {
        case "text":
          if (item.value !== "") nodes.push({ kind: "text", value: item.value, start: item.start });
          break;
        case "comment":
        case "marker":
          break;
        case "output": {
          const p = this.exprParser(item.tokens);
          if (p.atEnd()) throw this.loc.syntaxError("empty expression '{{ }}'", item.start);
          const first = item.tokens[0]!;
          let expr: Expr;
          try {
            expr = p.expression();
          } catch (e) {
            // `{{.Names}}` (Go templates, in docker commands) and the like: say how to write it literally.
            const at = this.loc.at(first.start);
            const cannotStart = first.type === "op" && !["(", "[", "{", "-", "+"].includes(first.value);
            if (e instanceof TemplateSyntaxError && cannotStart && e.line === at.line && e.col === at.col) {
              throw new TemplateSyntaxError(`${e.reason}; ${LITERAL_HINT}`, e.line, e.col);
            }
            throw e;
          }
          p.expectEnd();
          nodes.push({ kind: "output", expr });
          break;
        }
        case "statement": {
          const p = this.exprParser(item.tokens);
          const kw = p.keyword();
          if (stop.includes(kw.name)) return { nodes, end: { keyword: kw.name, p, start: item.start } };
          switch (kw.name) {
            case "if":
              nodes.push(this.parseIf(p, item.start));
              break;
            case "for":
              nodes.push(this.parseFor(p, item.start));
              break;
            case "set": {
              const target = p.identifier("a variable name after 'set'");
              if (target.name === "loop") throw this.loc.syntaxError("'loop' is reserved (it holds loop.index, loop.first...)", target.start);
              p.expectOp("=");
              if (p.atEnd()) throw this.loc.syntaxError(`expected a value after 'set ${target.name} ='`, p.here());
              const value = p.expression();
              p.expectEnd();
              nodes.push({ kind: "set", name: target.name, value });
              break;
            }
            case "elif":
            case "else":
            case "endif":
            case "endfor":
            case "endraw":
              throw this.unexpectedClose(kw.name, item.start, open);
            default:
              throw this.loc.syntaxError(`unknown statement '${kw.name}'${didYouMean(kw.name, STATEMENTS)}`, kw.start);
          }
          break;
        }
      }
    }
    if (open) {
      const close = open.keyword === "if" ? "endif" : "endfor";
      throw this.loc.syntaxError(`unclosed '{% ${open.keyword} %}' opened at ${this.loc.where(open.start)} (expected '{% ${close} %}')`, this.source.length);
    }
    return { nodes, end: null };
  }

  private unexpectedClose(keyword: string, at: number, open: OpenBlock | null) {
    if (!open) {
      const opener = keyword === "endfor" ? "for" : keyword === "endraw" ? "raw" : "if";
      return this.loc.syntaxError(`unexpected '{% ${keyword} %}': no '{% ${opener} %}' is open`, at);
    }
    const close = open.keyword === "if" ? "endif" : "endfor";
    return this.loc.syntaxError(`unexpected '{% ${keyword} %}': expected '{% ${close} %}' to close '{% ${open.keyword} %}' opened at ${this.loc.where(open.start)}`, at);
  }

  private nested<T>(at: number, f: () => T): T {
    if (++this.depth > MAX_NESTING) throw this.loc.syntaxError(`blocks nested more than ${MAX_NESTING} levels deep`, at);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  private parseIf(p: ExprParser, start: number): Node {
    return this.nested(start, () => {
      const open: OpenBlock = { keyword: "if", start };
      const branches: { test: Expr; body: Node[] }[] = [];
      let test = this.condition(p, "if");
      for (;;) {
        const { nodes, end } = this.parseBody(["elif", "else", "endif"], open);
        branches.push({ test, body: nodes });
        if (!end) throw new Error("unreachable: parseBody returns an end inside a block");
        if (end.keyword === "elif") {
          test = this.condition(end.p, "elif");
          continue;
        }
        if (end.keyword === "else") {
          end.p.expectEnd("else");
          const rest = this.parseBody(["endif"], open);
          rest.end!.p.expectEnd("endif");
          return { kind: "if", branches, otherwise: rest.nodes };
        }
        end.p.expectEnd("endif");
        return { kind: "if", branches, otherwise: null };
      }
    });
  }

  private condition(p: ExprParser, keyword: string): Expr {
    if (p.atEnd()) throw this.loc.syntaxError(`expected a condition after '${keyword}'`, p.here());
    const e = p.expression();
    p.expectEnd();
    return e;
  }

  private parseFor(p: ExprParser, start: number): Node {
    return this.nested(start, () => {
      const targets = [p.identifier("a loop variable after 'for'").name];
      while (p.isOp(",")) {
        p.next();
        targets.push(p.identifier("a loop variable after ','").name);
      }
      const reserved = targets.find((t) => t === "loop");
      if (reserved) throw this.loc.syntaxError("'loop' is reserved (it holds loop.index, loop.first...)", start);
      p.expectName("in");
      const iter = p.expression(false);
      let filter: Expr | null = null;
      if (p.isName("if")) {
        p.next();
        filter = p.expression(false);
      }
      p.expectEnd();
      const open: OpenBlock = { keyword: "for", start };
      const body = this.parseBody(["else", "endfor"], open);
      if (body.end!.keyword === "else") {
        body.end!.p.expectEnd("else");
        const rest = this.parseBody(["endfor"], open);
        rest.end!.p.expectEnd("endfor");
        return { kind: "for", targets, iter, filter, body: body.nodes, otherwise: rest.nodes, start };
      }
      body.end!.p.expectEnd("endfor");
      return { kind: "for", targets, iter, filter, body: body.nodes, otherwise: null, start };
    });
  }
}
