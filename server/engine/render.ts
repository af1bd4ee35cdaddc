/**
 * Rendering a step for one host: its params (every string is a template, except fields meant literally)
 * and its `when` condition. Undefined names fail the step; they never render as empty text.
 */
import type { ActionName } from "../inventory";
import { compileTemplate, renderValue, type Template } from "../template";

export interface TemplateContext {
  vars: Record<string, unknown>;
  host: Record<string, unknown>;
  hosts: Record<string, unknown>;
  steps: Record<string, unknown>;
  /** {url, token} for a machine to fetch its own variables (server runs only). */
  introspect?: { url: string; token: string };
}

/** Params copied as they are: `file.managed`'s `content` is the file's exact text, braces included. */
const LITERAL: Partial<Record<ActionName, string[]>> = { "file.managed": ["content"] };

export function renderParams(action: ActionName, params: Record<string, unknown>, context: TemplateContext): Record<string, unknown> {
  const literal = LITERAL[action] ?? [];
  const templated = literal.length ? Object.fromEntries(Object.entries(params).filter(([k]) => !literal.includes(k))) : params;
  const rendered = renderValue(templated, { ...context }, { path: "params" }) as Record<string, unknown>;
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

export function testCondition(when: string, context: TemplateContext): boolean {
  return conditionTemplate(when).render(Object.defineProperties({}, Object.getOwnPropertyDescriptors(context))) === "1";
}
