/**
 * Flightdeck's template language: strict, safe, Jinja-like. See README.md in this directory for the language.
 *
 *   const t = compileTemplate("apt-get install -y {{ vars.packages | map('quote') | join(' ') }}");
 *   t.render({ vars, host, hosts, steps });   // throws TemplateError on anything undefined
 *   t.references();                           // [{ path: ['vars', 'packages'], line: 1, col: 22, guarded: false }]
 *   renderValue(step.params, context, { path: "params" });
 */
import { type Node } from "./ast";
import { Locator, MacroCallError, TemplateError, TemplateSyntaxError } from "./errors";
import { FILTERS } from "./filters";
import { TESTS } from "./is-tests";
import { hasTemplateSyntax } from "./lexer";
import { parseTemplate } from "./parser";
import { collectReferences, type PathKey, type TemplateReference } from "./references";
import { Renderer, Scope, type Limits, type MacroHook } from "./render";
import { formatKey, isMap, ownKeys } from "./values";

export { MacroCallError, TemplateError, TemplateSyntaxError };
export type { MacroHook };
export type { PathKey, TemplateReference };

/** Default limits: output characters, and loop iterations (also the item limit for lists a template builds). */
export const DEFAULT_LIMITS: Readonly<Limits> = { maxOutput: 4 * 1024 * 1024, maxIterations: 100_000 };

export type RenderOptions = Partial<Limits> & {
  /** Calls `macros.name(args)`; throw MacroCallError for the macro's own failures. Without it, a call is an error. */
  macro?: MacroHook;
};

export interface Template {
  readonly source: string;
  /** Renders to text. Throws TemplateError (with line and col) for anything undefined, mistyped, or over a limit. */
  render(context: Record<string, unknown>, options?: RenderOptions): string;
  /**
   * Like render, but a template that is exactly one `{{ expression }}` gives the expression's value with its type:
   * a number, boolean, string, or a plain copy of a list or map (none is still an error). Others render to text.
   */
  renderNative(context: Record<string, unknown>, options?: RenderOptions): unknown;
  /** Every context path the template reads, in source order (see references.ts). */
  references(): TemplateReference[];
}

class CompiledTemplate implements Template {
  private refs: TemplateReference[] | undefined;

  constructor(
    readonly source: string,
    private readonly loc: Locator,
    private readonly body: readonly Node[],
  ) {}

  private renderer(context: Record<string, unknown>, options: RenderOptions | undefined): Renderer {
    if (!isMap(context)) throw new TypeError("a template context must be a plain object");
    const limits: Limits = {
      maxOutput: options?.maxOutput ?? DEFAULT_LIMITS.maxOutput,
      maxIterations: options?.maxIterations ?? DEFAULT_LIMITS.maxIterations,
    };
    return new Renderer(this.source, this.loc, context, limits, options?.macro);
  }

  render(context: Record<string, unknown>, options?: RenderOptions): string {
    const r = this.renderer(context, options);
    r.renderNodes(this.body, new Scope(null));
    return r.result();
  }

  renderNative(context: Record<string, unknown>, options?: RenderOptions): unknown {
    const only = this.body.length === 1 ? this.body[0] : undefined;
    if (only?.kind !== "output") return this.render(context, options);
    return this.renderer(context, options).value(only.expr, new Scope(null));
  }

  references(): TemplateReference[] {
    this.refs ??= collectReferences(this.body, this.loc);
    return this.refs.map((r) => ({ ...r, path: [...r.path] }));
  }
}

/** Parses a template once; throws TemplateSyntaxError (with line and col) when it is malformed. */
export function compileTemplate(source: string): Template {
  const loc = new Locator(source);
  return new CompiledTemplate(source, loc, parseTemplate(source, loc));
}

/** Whether a string contains template syntax (`{{`, `{%` or `{#`); strings without it render as themselves. */
export function isTemplate(s: string): boolean {
  return hasTemplateSyntax(s);
}

export interface RenderValueOptions extends RenderOptions {
  /** The name of the value in error messages: with "params", an error in `cmd` is reported at `params.cmd`. */
  path?: string;
  /**
   * Whether a string that is exactly one `{{ expression }}` becomes the expression's value with its type
   * (`packages: "{{ vars.packages }}"` gives the list). Default true; false renders every string to text.
   */
  native?: boolean;
}

const MAX_VALUE_DEPTH = 200;
const CACHE_SIZE = 2000;
const cache = new Map<string, Template>();

/** compileTemplate, remembering recent templates (params are rendered once per host). */
function compileCached(source: string): Template {
  let t = cache.get(source);
  if (!t) {
    t = compileTemplate(source);
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(source, t);
  }
  return t;
}

/**
 * Renders every string inside a value (maps and lists, nested), returning a new structure; map keys are not
 * rendered, and values that are not strings, lists or plain maps are kept as they are. Errors carry the path of
 * the string inside the value (`params.files[0].content:2:7: 'vars.motd' is undefined`).
 */
export function renderValue(value: unknown, context: Record<string, unknown>, options: RenderValueOptions = {}): unknown {
  const { path = "", native = true, ...limits } = options;
  const walk = (v: unknown, at: string, depth: number): unknown => {
    if (depth > MAX_VALUE_DEPTH) throw new TemplateError(`the value is nested more than ${MAX_VALUE_DEPTH} levels deep (is it cyclic?)`, 1, 1, at);
    if (typeof v === "string") {
      if (!isTemplate(v)) return v;
      try {
        const t = compileCached(v);
        return native ? t.renderNative(context, limits) : t.render(context, limits);
      } catch (e) {
        if (e instanceof TemplateError) throw e.atPath(at);
        throw e;
      }
    }
    if (Array.isArray(v)) return v.map((x: unknown, i) => walk(x, `${at}[${i}]`, depth + 1));
    if (isMap(v)) return Object.fromEntries(ownKeys(v).map((k) => [k, walk(v[k], at === "" ? k : `${at}${formatKey(k)}`, depth + 1)]));
    return v;
  };
  return walk(value, path, 0);
}

/** Filter and test names, for editor completion. */
export const FILTER_NAMES: readonly string[] = [...FILTERS.keys()].sort();
export const TEST_NAMES: readonly string[] = [...TESTS.keys()].sort();
