/**
 * The REST adapter: /api/v1/<path> → the procedure whose `meta.rest` matches, called through a tRPC caller for the
 * request's principal, so its own input schema, permission check, audit and errors apply. This module only turns
 * HTTP into the procedure's input (path, query or JSON body, If-Match) and its result back into HTTP.
 */
import { clientIp } from "../auth";
import { createCaller } from "../api/root";
import { contextFor } from "../api/trpc";
import { services } from "../services";
import { readBody } from "./body";
import { problem, problemOf, RestProblem, type FieldProblem } from "./problem";
import { rateKey, takeRequest } from "./rate";
import { matchPath, type JsonSchema, type RestRoute } from "./routes";

export const REST_PREFIX = "/api/v1";
/** Largest JSON body an operation accepts unless its meta says otherwise. */
export const REST_BODY_BYTES = 1 << 20;

export async function restHandler(req: Request): Promise<Response> {
  const url = new URL(req.url);
  const instance = url.pathname;
  let limitHeaders: Record<string, string> = {};
  try {
    const sub = url.pathname.startsWith(REST_PREFIX) ? url.pathname.slice(REST_PREFIX.length) : url.pathname;
    const matches = matchPath(sub);
    if (!matches.length) return problem("not-found", `no operation at ${instance}; the operations are listed in ${REST_PREFIX}/openapi.json`, instance);
    const match = matches.find((m) => m.route.rest.method === req.method);
    if (!match) {
      const allow = [...new Set(matches.map((m) => m.route.rest.method))].join(", ");
      return problem("method-not-allowed", `${instance} takes ${allow}, not ${req.method}`, instance, { headers: { allow } });
    }
    const svc = await services();
    const principal = await svc.auth.principal(req.headers);
    const ip = clientIp(req.headers);
    limitHeaders = takeRequest(svc.env, rateKey(principal, ip));
    const { route } = match;
    const input = await inputOf(req, url, route, match.params);
    let procedure: unknown = createCaller(contextFor(svc, principal, ip));
    for (const key of route.id.split(".")) procedure = (procedure as Record<string, unknown>)[key];
    const output = await (procedure as (input: unknown) => Promise<unknown>)(input);
    return respond(route, output, url, limitHeaders);
  } catch (e) {
    const res = problemOf(e, instance);
    for (const [k, v] of Object.entries(limitHeaders)) if (!res.headers.has(k)) res.headers.set(k, v);
    return res;
  }
}

function respond(route: RestRoute, output: unknown, url: URL, extra: Record<string, string>): Response {
  const headers: Record<string, string> = { "cache-control": "no-store", ...extra };
  const status = route.rest.status ?? 200;
  if (status === 204 || output === undefined) return new Response(null, { status: 204, headers });
  let body = output;
  if (output && typeof output === "object") {
    const fields = output as Record<string, unknown>;
    const tag = route.rest.etag ? fields[route.rest.etag] : undefined;
    if (typeof tag === "number" || typeof tag === "string") headers.etag = `"${tag}"`;
    if (route.rest.paginated) {
      const cursor = fields.nextCursor;
      let next: string | null = null;
      if (typeof cursor === "string" && cursor) {
        const query = new URLSearchParams(url.search);
        query.set("cursor", cursor);
        next = `${url.pathname}?${query.toString()}`;
        headers.link = `<${next}>; rel="next"`;
      }
      body = { ...fields, next };
    }
  }
  headers["content-type"] = "application/json";
  return new Response(JSON.stringify(body), { status, headers });
}

/** The procedure's input: path parameters, then the query (GET/DELETE) or the JSON body, then If-Match. */
async function inputOf(req: Request, url: URL, route: RestRoute, params: Record<string, string>): Promise<Record<string, unknown>> {
  const props = route.input.properties;
  const { ifMatch } = route.rest;
  const reserved = new Set([...Object.keys(params), ...(ifMatch ? [ifMatch] : [])]);
  const unknown: FieldProblem[] = [];
  const input: Record<string, unknown> = {};
  const takes = (key: string, where: string) => {
    if (!Object.hasOwn(props, key)) unknown.push({ pointer: `/${key}`, detail: `unknown field '${key}' in the ${where}` });
    else if (reserved.has(key)) unknown.push({ pointer: `/${key}`, detail: `'${key}' is given ${key === ifMatch ? "by the If-Match header" : "in the path"}, not in the ${where}` });
    else return true;
    return false;
  };
  if (route.rest.method === "GET" || route.rest.method === "DELETE") {
    for (const key of new Set(url.searchParams.keys())) if (takes(key, "query")) input[key] = fromQuery(props[key]!, url.searchParams.getAll(key));
  } else {
    const body = await jsonBody(req, route.rest.maxBody ?? REST_BODY_BYTES);
    for (const [key, value] of Object.entries(body)) if (takes(key, "body")) {
      input[key] = value;
      nestedUnknown(props[key]!, value, `/${key}`, unknown);
    }
  }
  if (unknown.length) throw new RestProblem("invalid-input", unknown.map((u) => u.detail).join("; "), { errors: unknown });
  for (const [key, raw] of Object.entries(params)) input[key] = fromText(props[key]!, raw);
  if (ifMatch) {
    const header = req.headers.get("if-match");
    if (header !== null) {
      const n = Number(/^(?:W\/)?"?(\d+)"?$/.exec(header.trim())?.[1] ?? NaN);
      if (!Number.isSafeInteger(n)) throw new RestProblem("invalid-input", `If-Match must be a revision number (e.g. "12"), not ${JSON.stringify(header)}`, { errors: [{ pointer: `/${ifMatch}`, detail: "If-Match is not a revision number" }] });
      input[ifMatch] = n;
    }
  }
  return input;
}

async function jsonBody(req: Request, max: number): Promise<Record<string, unknown>> {
  const bytes = await readBody(req, max, "the request body");
  if (!bytes.byteLength) return {};
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) throw new RestProblem("unsupported-media-type", `send the body as JSON with Content-Type: application/json (got ${type ? `'${type}'` : "none"})`);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new RestProblem("invalid-input", `the body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { errors: [{ pointer: "", detail: "not valid JSON" }] });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new RestProblem("invalid-input", "the body must be a JSON object", { errors: [{ pointer: "", detail: "not a JSON object" }] });
  return body as Record<string, unknown>;
}

/**
 * Unknown fields inside nested objects (zod would drop them silently): an object schema with listed properties
 * and no `additionalProperties` of its own (records and loose objects have one) takes only those.
 */
function nestedUnknown(schema: JsonSchema, value: unknown, pointer: string, out: FieldProblem[]): void {
  if (!value || typeof value !== "object") return;
  if (Array.isArray(value)) {
    const items = schema.items ?? [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].find((s) => s.items)?.items;
    if (items) value.forEach((v, i) => nestedUnknown(items, v, `${pointer}/${i}`, out));
    return;
  }
  const objects = [schema, ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].filter((s) => s.properties || s.additionalProperties !== undefined);
  // Several object shapes (a union): a field any of them knows is fine.
  if (!objects.length || objects.some((s) => s.additionalProperties !== undefined && s.additionalProperties !== false)) return;
  for (const [key, v] of Object.entries(value)) {
    const known = objects.map((s) => s.properties?.[key]).find((p) => p !== undefined);
    if (!known) out.push({ pointer: `${pointer}/${key}`, detail: `unknown field '${key}'` });
    else nestedUnknown(known, v, `${pointer}/${key}`, out);
  }
}

/** The scalar types a schema admits (through anyOf/oneOf: nullable and optional fields). */
function typesOf(schema: JsonSchema): Set<string> {
  const types = new Set<string>();
  const add = (s: JsonSchema) => {
    for (const t of [s.type ?? []].flat()) types.add(t);
    for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) add(alt);
  };
  add(schema);
  return types;
}

function fromQuery(schema: JsonSchema, values: string[]): unknown {
  const types = typesOf(schema);
  if (types.has("array")) {
    const items = schema.items ?? [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].find((s) => s.type === "array")?.items ?? {};
    // A list repeats its field (?group=a&group=b): values may hold commas (label selectors do).
    return values.filter((v) => v !== "").map((v) => fromText(items, v));
  }
  return fromText(schema, values.at(-1)!);
}

/** A text value (path or query) as the schema's type: numbers and booleans converted, else left for zod to refuse. */
function fromText(schema: JsonSchema, text: string): unknown {
  const types = typesOf(schema);
  if ((types.has("integer") || types.has("number")) && !types.has("string") && text.trim() !== "" && Number.isFinite(Number(text))) return Number(text);
  if (types.has("boolean") && !types.has("string") && (text === "true" || text === "false")) return text === "true";
  if (types.has("null") && !types.has("string") && text === "null") return null;
  return text;
}
