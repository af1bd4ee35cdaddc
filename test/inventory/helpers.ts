/** Shared helpers for the site-model tests: in-memory sites, formatted diagnostics, origins. */
import assert from "node:assert/strict";
import { formatDiagnostic, loadSite, type ExplainedHost, type Origin, type Site, type SiteFile } from "../../server/inventory";

/**
 * Dedent a YAML literal so tests read naturally: drops the first line break and the common indentation.
 * Line numbers in assertions count from the first line after the opening backtick.
 */
export function yml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const raw = String.raw({ raw: strings }, ...values).replace(/^\n/, "");
  const lines = raw.split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join("\n").replace(/[ ]+$/, "");
}

/** A site from `{path: content}` pairs (or one inventory file named inv.yml). */
export function site(files: Record<string, string> | string): Site {
  const list: SiteFile[] = typeof files === "string" ? [{ path: "inv.yml", content: files }] : Object.entries(files).map(([path, content]) => ({ path, content }));
  return loadSite(list);
}

/** Every diagnostic as `file:line:col: severity: message`, in the site's (sorted) order. */
export function lint(files: Record<string, string> | string): string[] {
  return site(files).diagnostics.map(formatDiagnostic);
}

/** Load a site that must be clean, and explain one host. */
export function explain(files: Record<string, string> | string, host: string): ExplainedHost {
  const s = site(files);
  assert.deepEqual(s.diagnostics.map(formatDiagnostic), [], "the site should lint clean");
  return s.resolver.resolve(host, true);
}

export function origin(file: string, line: number, col: number, level: Origin["level"], source: string): Origin {
  return { file, line, col, level, source };
}

export const DEFAULT_ORIGIN: Origin = { file: null, line: null, col: null, level: "default", source: "flightdeck" };

export const HEADER = "kind: inventory\napi_version: v1beta1\n";
