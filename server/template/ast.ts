/** The syntax tree. Offsets (`start`, `end`) are into the template source; `end` is exclusive. */

export type BinaryOp = "+" | "-" | "*" | "/" | "//" | "%" | "**" | "~";
export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in";

export interface Kwarg {
  name: string;
  value: Expr;
}

interface Span {
  start: number;
  end: number;
}

export type Expr =
  | (Span & { kind: "literal"; value: string | number | boolean | null })
  | (Span & { kind: "name"; name: string })
  /** `object.name`; `start` is the start of the whole chain, so errors point at its root. */
  | (Span & { kind: "attr"; object: Expr; name: string })
  | (Span & { kind: "index"; object: Expr; index: Expr })
  | (Span & { kind: "slice"; object: Expr; lower: Expr | null; upper: Expr | null; step: Expr | null })
  | (Span & { kind: "list"; items: Expr[] })
  | (Span & { kind: "dict"; entries: { key: Expr; value: Expr }[] })
  | (Span & { kind: "unary"; op: "-" | "+" | "not"; operand: Expr })
  | (Span & { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; opStart: number })
  | (Span & { kind: "logical"; op: "and" | "or"; left: Expr; right: Expr })
  | (Span & { kind: "compare"; first: Expr; rest: { op: CompareOp; expr: Expr; opStart: number }[] })
  /** `then if test else otherwise`; without `else`, a false test gives ''. */
  | (Span & { kind: "cond"; then: Expr; test: Expr; otherwise: Expr | null })
  | (Span & { kind: "filter"; input: Expr; name: string; nameStart: number; args: Expr[]; kwargs: Kwarg[] })
  | (Span & { kind: "test"; input: Expr; name: string; nameStart: number; negated: boolean; args: Expr[] })
  | (Span & { kind: "call"; name: string; args: Expr[]; kwargs: Kwarg[] })
  /** `macros.name(args)` or `macros['name'](args)`: a call the caller provides (RenderOptions.macro). */
  | (Span & { kind: "macro"; name: string; args: Expr[] });

export type Node =
  | { kind: "text"; value: string; start: number }
  | { kind: "output"; expr: Expr }
  | { kind: "if"; branches: { test: Expr; body: Node[] }[]; otherwise: Node[] | null }
  | { kind: "for"; targets: string[]; iter: Expr; filter: Expr | null; body: Node[]; otherwise: Node[] | null; start: number }
  | { kind: "set"; name: string; value: Expr };

/** Name, attribute, subscript and slice chains: the expressions that read a path. */
export type ChainExpr = Extract<Expr, { kind: "name" | "attr" | "index" | "slice" }>;

export function isChain(e: Expr): e is ChainExpr {
  return e.kind === "name" || e.kind === "attr" || e.kind === "index" || e.kind === "slice";
}

/** A subscript key known without evaluation: a string or an integer literal (negative included). */
export function constantKey(e: Expr): string | number | undefined {
  if (e.kind === "literal" && (typeof e.value === "string" || (typeof e.value === "number" && Number.isInteger(e.value)))) return e.value;
  if (e.kind === "unary" && e.op === "-" && e.operand.kind === "literal" && typeof e.operand.value === "number" && Number.isInteger(e.operand.value)) {
    return -e.operand.value;
  }
  return undefined;
}
