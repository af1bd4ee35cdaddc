/**
 * The REST route table, read from the router itself: every procedure whose meta has `rest` is an operation,
 * its operationId the procedure's path ("runs.launch"). The same table drives the handler and the OpenAPI
 * document, so neither can list an operation the other does not serve.
 */
import { z } from "zod";
import { appRouter } from "../api/root";
import type { Meta, RestMeta } from "./meta";

/** A JSON schema as z.toJSONSchema gives it (only the parts we read are typed). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  description?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  [key: string]: unknown;
}

export interface RestRoute {
  /** The procedure's path, also the OpenAPI operationId. */
  id: string;
  kind: "query" | "mutation";
  rest: RestMeta;
  /** Path template split on "/": literal segments and `{name}` parameters. */
  segments: ({ literal: string } | { param: string })[];
  /** The input's JSON schema (all `.input()` objects merged), as a client sends it. */
  input: JsonSchema & { properties: Record<string, JsonSchema>; required: string[] };
  /** The output's JSON schema, when the procedure declares `.output()`. */
  output?: JsonSchema;
}

interface ProcedureDef {
  type: "query" | "mutation" | "subscription";
  meta?: Meta;
  inputs: unknown[];
  output?: unknown;
}

export function jsonSchema(schema: unknown, io: "input" | "output"): JsonSchema {
  const js = z.toJSONSchema(schema as z.ZodType, { io, unrepresentable: "any" }) as JsonSchema;
  delete js.$schema;
  return js;
}

function mergedInput(id: string, inputs: unknown[]): RestRoute["input"] {
  const merged: RestRoute["input"] = { type: "object", properties: {}, required: [], additionalProperties: false };
  for (const parser of inputs) {
    const js = jsonSchema(parser, "input");
    if (js.type !== "object") throw new Error(`REST operation ${id}: its input must be an object schema`);
    Object.assign(merged.properties, js.properties ?? {});
    for (const r of js.required ?? []) if (!merged.required.includes(r)) merged.required.push(r);
  }
  return merged;
}

function build(): RestRoute[] {
  const routes: RestRoute[] = [];
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>;
  for (const [id, proc] of Object.entries(procedures)) {
    const def = proc._def;
    const rest = def.meta?.rest;
    if (!rest || def.type === "subscription") continue;
    const segments = rest.path.split("/").filter(Boolean).map((s): RestRoute["segments"][number] => (/^\{\w+\}$/.test(s) ? { param: s.slice(1, -1) } : { literal: s }));
    const route: RestRoute = { id, kind: def.type, rest, segments, input: mergedInput(id, def.inputs), output: def.output ? jsonSchema(def.output, "output") : undefined };
    for (const s of segments) if ("param" in s && !route.input.properties[s.param]) throw new Error(`REST operation ${id}: path parameter {${s.param}} is not an input field`);
    routes.push(route);
  }
  // Literal segments win over parameters at the same place (/sites/import before /sites/{slug}).
  const rank = (r: RestRoute) => r.segments.map((s) => ("literal" in s ? "0" : "1")).join("");
  return routes.sort((a, b) => rank(a).localeCompare(rank(b)) || a.rest.path.localeCompare(b.rest.path));
}

let table: RestRoute[] | undefined;
/** Built once, on first use (converting every schema takes a few milliseconds). */
export function restRoutes(): RestRoute[] {
  return (table ??= build());
}

export interface RouteMatch {
  route: RestRoute;
  params: Record<string, string>;
}

/** The routes whose template matches `path` (under /api/v1), with their parameters, first the most literal. */
export function matchPath(path: string): RouteMatch[] {
  const parts = path.split("/").filter(Boolean);
  const found: RouteMatch[] = [];
  for (const route of restRoutes()) {
    // A last parameter named `path` (a site file's path) may span segments: /sites/x/files/inventory/hosts.yml.
    const last = route.segments.at(-1);
    const spans = last !== undefined && "param" in last && last.param === "path" && parts.length > route.segments.length;
    if (route.segments.length !== parts.length && !spans) continue;
    const params: Record<string, string> = {};
    const ok = route.segments.every((s, i) => {
      const part = spans && i === route.segments.length - 1 ? parts.slice(i).join("/") : parts[i]!;
      if ("literal" in s) return s.literal === part;
      try {
        params[s.param] = decodeURIComponent(part);
      } catch {
        return false;
      }
      return true;
    });
    if (ok) found.push({ route, params });
  }
  return found;
}
