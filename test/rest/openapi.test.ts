/**
 * The OpenAPI document of /api/v1: valid OpenAPI 3.1 (@readme/openapi-parser), served at /api/v1/openapi.json,
 * one operation per REST procedure, and a description on every operation, parameter and field.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { compileErrors, validate } from "@readme/openapi-parser";
import { openApiDocument } from "../../server/rest/openapi";
import { restRoutes } from "../../server/rest/routes";
import { call, startRestServer } from "./support";

type Obj = Record<string, unknown>;
const doc = openApiDocument();
const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, Obj>>).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));

test("the document is valid OpenAPI 3.1", async () => {
  assert.equal(doc.openapi, "3.1.0");
  // validate() dereferences in place: give it a copy.
  const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
  assert.ok(result.valid, result.valid ? "" : compileErrors(result));
});

test("every REST procedure is an operation, its operationId the procedure's path, and ids are unique", () => {
  const ids = operations().map((o) => o.op.operationId as string);
  assert.equal(new Set(ids).size, ids.length, "unique operationIds");
  for (const route of restRoutes()) {
    const op = (doc.paths as Record<string, Record<string, Obj>>)[route.rest.path]?.[route.rest.method.toLowerCase()];
    assert.equal(op?.operationId, route.id, `${route.rest.method} ${route.rest.path}`);
  }
  for (const id of ["sites.export", "sites.import", "sites.inventoryJson", "sites.inventoryTgz", "sites.inventoryZip", "introspect"]) assert.ok(ids.includes(id), `the hand-written ${id} is documented`);
});

const described = (s: Obj) => typeof s.description === "string" && s.description.trim() !== "";

/**
 * Every field (object property), at any depth, that lacks a description: on the property itself or, for a
 * nullable one, on its alternative. Arrays, records and alternatives are walked into, not described themselves.
 */
function undescribed(schema: unknown, at: string, out: string[]): void {
  if (!schema || typeof schema !== "object") return;
  const s = schema as Obj;
  const alternatives = [...((s.anyOf as Obj[] | undefined) ?? []), ...((s.oneOf as Obj[] | undefined) ?? [])];
  for (const [name, prop] of Object.entries((s.properties as Record<string, Obj> | undefined) ?? {})) {
    const alts = [...((prop.anyOf as Obj[] | undefined) ?? []), ...((prop.oneOf as Obj[] | undefined) ?? [])];
    if (typeof prop.$ref !== "string" && !described(prop) && !alts.some(described)) out.push(`${at}.${name}`);
    undescribed(prop, `${at}.${name}`, out);
  }
  if (s.items) undescribed(s.items, `${at}[]`, out);
  if (s.additionalProperties && typeof s.additionalProperties === "object") undescribed(s.additionalProperties, `${at}{}`, out);
  for (const alt of alternatives) undescribed(alt, at, out);
}

test("every operation, parameter and field has a description", () => {
  const missing: string[] = [];
  const components = ((doc.components as Obj).schemas ?? {}) as Obj;
  for (const { path, method, op } of operations()) {
    const name = `${op.operationId as string} (${method.toUpperCase()} ${path})`;
    for (const k of ["summary", "description"]) if (typeof op[k] !== "string" || !(op[k]).trim()) missing.push(`${name}: ${k}`);
    for (const p of (op.parameters as Obj[] | undefined) ?? []) {
      if (typeof p.description !== "string" || p.description === p.name) missing.push(`${name}: parameter ${p.name as string}`);
      else if (p.schema) {
        undescribed(p.schema, `${name}: parameter ${p.name as string}`, missing);
      }
    }
    const body = (op.requestBody as { content?: Record<string, { schema: Obj }> } | undefined)?.content?.["application/json"]?.schema;
    if (body) undescribed(body, `${name}: body`, missing);
    for (const [status, res] of Object.entries(op.responses as Record<string, Obj>)) {
      const schema = (res.content as Record<string, { schema: Obj }> | undefined)?.["application/json"]?.schema;
      if (schema) undescribed(schema, `${name}: response ${status}`, missing);
    }
  }
  for (const [name, schema] of Object.entries(components)) undescribed(schema, `components.schemas.${name}`, missing);
  assert.deepEqual(missing, [], `fields without a description:\n${missing.join("\n")}`);
});

let server: Awaited<ReturnType<typeof startRestServer>>;
before(async () => (server = await startRestServer()));
after(() => server.close());

test("GET /api/v1/openapi.json serves the document without signing in", async () => {
  const r = await call(server.url, undefined, "GET", "/api/v1/openapi.json");
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, JSON.parse(JSON.stringify(doc)));
});

test("the description check finds an undescribed field at any depth, nullable ones included", () => {
  const out: string[] = [];
  const schema = { type: "object", properties: { a: { type: "string", description: "A" }, b: { description: "B", anyOf: [{ type: "object", properties: { c: { type: "string" } } }, { type: "null" }] }, d: { type: "array", items: { type: "object", properties: { e: { type: "integer" } } } } } };
  undescribed(schema, "s", out);
  assert.deepEqual(out, ["s.b.c", "s.d", "s.d[].e"]);
});
