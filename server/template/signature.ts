/** Argument lists of filters, tests and functions: Python-style positional and keyword arguments. */
import { Problem } from "./errors";
import { describeKind } from "./values";

export interface Param {
  name: string;
  /** Used when the argument is not given. */
  default?: unknown;
  /** May be left out, and then has no value (`args.has(name)` is false). */
  optional?: boolean;
  /** Only by keyword (`map(attribute='x')`). */
  kwOnly?: boolean;
}

export interface Signature {
  params: readonly Param[];
  /** Extra positional arguments are collected into `args.rest` (`map('replace', 'a', 'b')`). */
  rest?: boolean;
}

/** Checks the shape of a call (counts, names) without its values; returns what is wrong, or undefined. */
export function checkCall(sig: Signature, positional: number, keywords: readonly string[]): string | undefined {
  const positionalParams = sig.params.filter((p) => !p.kwOnly);
  if (!sig.rest && positional > positionalParams.length) {
    const n = positionalParams.length;
    return `takes ${n === 0 ? "no" : `at most ${n}`} positional argument${n === 1 ? "" : "s"} (${positional} given)`;
  }
  const given = new Set<string>(positionalParams.slice(0, positional).map((p) => p.name));
  for (const k of keywords) {
    if (!sig.params.some((p) => p.name === k)) return `unexpected keyword argument '${k}'`;
    if (given.has(k)) return `got argument '${k}' twice`;
    given.add(k);
  }
  const missing = sig.params.find((p) => !given.has(p.name) && !("default" in p) && !p.optional);
  return missing ? `missing argument '${missing.name}'` : undefined;
}

export class Args {
  constructor(
    private readonly values: ReadonlyMap<string, unknown>,
    readonly rest: readonly unknown[],
  ) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  any(name: string): unknown {
    return this.values.get(name);
  }

  string(name: string): string {
    const v = this.values.get(name);
    if (typeof v !== "string") throw new Problem(`'${name}' must be a string, got ${describeKind(v)}`);
    return v;
  }

  number(name: string): number {
    const v = this.values.get(name);
    if (typeof v !== "number") throw new Problem(`'${name}' must be a number, got ${describeKind(v)}`);
    return v;
  }

  integer(name: string): number {
    const v = this.number(name);
    if (!Number.isInteger(v)) throw new Problem(`'${name}' must be an integer, got ${v}`);
    return v;
  }

  boolean(name: string): boolean {
    const v = this.values.get(name);
    if (typeof v !== "boolean") throw new Problem(`'${name}' must be true or false, got ${describeKind(v)}`);
    return v;
  }

  /** A string or an integer: an attribute path (`'a.b'`) or a list index. */
  attribute(name: string): string | number {
    const v = this.values.get(name);
    if (typeof v === "string" || (typeof v === "number" && Number.isInteger(v))) return v;
    throw new Problem(`'${name}' must be a string or an integer, got ${describeKind(v)}`);
  }
}

/** Binds evaluated arguments; the shape was checked at compile time, but bind re-checks for calls made by filters. */
export function bind(sig: Signature, positional: readonly unknown[], keywords: readonly (readonly [string, unknown])[]): Args {
  const problem = checkCall(
    sig,
    positional.length,
    keywords.map(([k]) => k),
  );
  if (problem) throw new Problem(problem);
  const values = new Map<string, unknown>();
  const positionalParams = sig.params.filter((p) => !p.kwOnly);
  positional.forEach((v, i) => {
    const p = positionalParams[i];
    if (p) values.set(p.name, v);
  });
  for (const [k, v] of keywords) values.set(k, v);
  for (const p of sig.params) if (!values.has(p.name) && "default" in p) values.set(p.name, p.default);
  return new Args(values, sig.rest ? positional.slice(positionalParams.length) : []);
}
