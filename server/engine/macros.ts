/**
 * Macros at run time. Templates render synchronously, but a command macro runs a command: an evaluation renders,
 * and when it meets a command macro whose value it does not have yet it stops (MacroPending), the command runs, and
 * the evaluation starts again with that value known. Values live for one evaluation only, so a `continue`
 * condition asks again at each check.
 */
import { conditionText, durationMs, type MacroDef } from "../inventory";
import { compileTemplate, MacroCallError, type MacroHook, type Template } from "../template";

/** Where a command macro runs: where Flightdeck runs, or on a host of the site. */
export type MacroTarget = { controller: true } | { host: string };

export interface MacroCommand {
  target: MacroTarget;
  command: string;
  timeoutMs: number;
}

/** Runs a macro's command; a non-zero exit or an error is the macro's error (its message says why). */
export type MacroExec = (c: MacroCommand, signal: AbortSignal) => Promise<string>;

/** Thrown through the renderer to the evaluation loop: run this command, then render again. */
class MacroPending extends Error {
  constructor(
    readonly key: string,
    readonly command: MacroCommand,
    readonly macro: string,
  ) {
    super(`macro '${macro}' is pending`);
  }
}

/** Command macros one evaluation may run; far above any sane condition, it bounds a template looping over calls. */
const MAX_COMMANDS = 100;
const MAX_DEPTH = 20;
const DEFAULT_TIMEOUT_MS = 30_000;

export class Macros {
  private readonly compiled = new Map<string, Template>();

  constructor(
    private readonly defs: ReadonlyMap<string, MacroDef>,
    private readonly exec: MacroExec,
  ) {}

  get empty(): boolean {
    return this.defs.size === 0;
  }

  /**
   * `fn` with macros available, for the host `host` whose context is `context`: rendered again after each command
   * macro it needed has run. Errors of the render itself (TemplateError) pass through.
   */
  async evaluate<T>(host: string, context: Record<string, unknown>, fn: (macro: MacroHook) => T, signal: AbortSignal): Promise<T> {
    const values = new Map<string, { value: unknown } | { error: string }>();
    for (let ran = 0; ; ran++) {
      try {
        return fn(this.hook(host, context, values, []));
      } catch (e) {
        if (!(e instanceof MacroPending)) throw e;
        if (ran >= MAX_COMMANDS) throw new MacroCallError(`more than ${MAX_COMMANDS} macro commands in one evaluation`);
        try {
          values.set(e.key, { value: parseOutput(await this.exec(e.command, signal)) });
        } catch (err) {
          signal.throwIfAborted();
          values.set(e.key, { error: err instanceof Error ? err.message : String(err) });
        }
      }
    }
  }

  private hook(host: string, context: Record<string, unknown>, values: Map<string, { value: unknown } | { error: string }>, stack: readonly string[]): MacroHook {
    return (name, args) => {
      const def = this.defs.get(name);
      if (!def) throw new MacroCallError(`unknown macro '${name}'`);
      const params = def.params ?? [];
      if (args.length !== params.length) throw new MacroCallError(`takes ${params.length} argument${params.length === 1 ? "" : "s"}, given ${args.length}`);
      if (stack.includes(name) || stack.length >= MAX_DEPTH) throw new MacroCallError(`calls itself (${[...stack, name].join(" -> ")})`);
      const scope = { ...context, ...Object.fromEntries(params.map((p, i) => [p, args[i]])) };
      const inner = this.hook(host, context, values, [...stack, name]);
      if (def.expression !== undefined) return this.template(conditionText(def.expression)).renderNative(scope, { macro: inner });
      const command = this.template(def.command ?? "").render(scope, { macro: inner });
      const on = def.on ?? "controller";
      const target: MacroTarget = on === "controller" ? { controller: true } : on === "host" ? { host } : { host: on.host };
      const key = JSON.stringify([target, command]);
      const known = values.get(key);
      if (!known) throw new MacroPending(key, { target, command, timeoutMs: def.timeout === undefined ? DEFAULT_TIMEOUT_MS : durationMs(def.timeout) }, name);
      if ("error" in known) throw new MacroCallError(known.error);
      return known.value;
    };
  }

  private template(source: string): Template {
    let t = this.compiled.get(source);
    if (!t) this.compiled.set(source, (t = compileTemplate(source)));
    return t;
  }
}

/** A command's stdout, trimmed: JSON when it parses as JSON, the text otherwise. */
function parseOutput(stdout: string): unknown {
  const text = stdout.trim();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
