/**
 * Rendering a step for one host: its params (every string is a template, except fields meant literally)
 * and its `when` condition. Undefined names fail the step; they never render as empty text.
 */
import type { ActionName } from "../inventory";
import { compileTemplate, renderValue, type MacroHook, type Template } from "../template";

export interface TemplateContext {
  vars: Record<string, unknown>;
  host: Record<string, unknown>;
  hosts: Record<string, unknown>;
  steps: Record<string, unknown>;
  /** In `success` and `continue` conditions: the step's own result (stdout, stderr, rc, changed...). */
  result?: Record<string, unknown>;
  /** {url, token} for a machine to fetch its own variables (server runs only). */
  introspect?: { url: string; token: string };
  /** The event that made a reaction request this run (reaction runs only). */
  event?: TemplateEvent;
}

/** `event` in the templates of a run a reaction requested: the event, and how often it occurred (server/events/reactions). */
export interface TemplateEvent {
  name: string;
  labels: Record<string, string>;
  data: unknown;
  occurrences: number;
}

/** Params copied as they are: `file.managed`'s `content` is the file's exact text, braces included. */
const LITERAL: Partial<Record<ActionName, string[]>> = { "file.managed": ["content"] };

export function renderParams(action: ActionName, params: Record<string, unknown>, context: TemplateContext, macro?: MacroHook): Record<string, unknown> {
  const literal = LITERAL[action] ?? [];
  const templated = literal.length ? Object.fromEntries(Object.entries(params).filter(([k]) => !literal.includes(k))) : params;
  const rendered = renderValue(templated, { ...context }, { path: "params", macro }) as Record<string, unknown>;
  for (const k of literal) if (k in params) rendered[k] = params[k];
  return rendered;
}

// Conditions repeat for every host: compile each once.
const conditions = new Map<string, Template>();

export function conditionTemplate(when: string): Template {
  let t = conditions.get(when);
  if (!t) {
    const expr = when.trim().replace(/^\{\{([\s\S]*)\}\}$/, "$1").trim();
    t = compileTemplate(`{% if ${expr} %}1{% endif %}`);
    if (conditions.size > 1000) conditions.clear();
    conditions.set(when, t);
  }
  return t;
}

export function testCondition(when: string, context: TemplateContext, macro?: MacroHook): boolean {
  return conditionTemplate(when).render(Object.defineProperties({}, Object.getOwnPropertyDescriptors(context)), { macro }) === "1";
}
