/**
 * The REST tour: every case of test/rest/tour/*.ts (see its README) against one server over real HTTP, each on a
 * fresh site; then every operation of /api/v1/openapi.json that no case called is listed as a failure.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { openApiDocument } from "../../server/rest/openapi";
import { startRestServer } from "./support";
import type { TourCase, TourRequest, TourResponse } from "./tour/types";

const dir = join(import.meta.dirname, "tour");
const modules = readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "types.ts").sort();

/** Every documented operation, by method and path template (a regex), with its operationId. */
const doc = openApiDocument() as { paths: Record<string, Record<string, { operationId: string }>> };
const operations = Object.entries(doc.paths).flatMap(([template, methods]) =>
  Object.entries(methods).map(([method, op]) => {
    const parts = template.split("/").map((s) => (s === "{path}" ? ".+" : /^\{\w+\}$/.test(s) ? "[^/]+" : s.replace(/[.*+?^$()|[\]\\]/g, "\\$&")));
    return { id: op.operationId, method: method.toUpperCase(), re: new RegExp(`^/api/v1${parts.join("/")}$`), literals: template.split("/").filter((s) => !s.startsWith("{")).length };
  }),
);

/** The operation a request reaches (the most literal template first, as the router and Next do). */
function operationOf(req: TourRequest): string | undefined {
  return operations.filter((o) => o.method === req.method && o.re.test(req.path)).sort((a, b) => b.literals - a.literals)[0]?.id;
}

let server: Awaited<ReturnType<typeof startRestServer>>;
before(async () => (server = await startRestServer()));
after(() => server.close());

const called = new Set<string>();

test("every tour case", async (t) => {
  assert.ok(modules.length > 0, "tour modules in test/rest/tour");
  for (const file of modules) {
    const { cases } = (await import(pathToFileURL(join(dir, file)).href)) as { cases: TourCase[] };
    assert.ok(Array.isArray(cases), `${file} exports cases`);
    for (const c of cases) {
      await t.test(`${file}: ${c.operation} as ${c.as}: ${c.name ?? c.status}`, async () => {
        const ctx = await server.context();
        const state = c.setup ? await c.setup(ctx) : undefined;
        const req = c.request(ctx, state);
        assert.equal(operationOf(req), c.operation, `${req.method} ${req.path} reaches ${operationOf(req) ?? "no documented operation"}, not ${c.operation}`);
        const query = new URLSearchParams();
        for (const [k, v] of Object.entries(req.query ?? {})) for (const one of Array.isArray(v) ? v : [v]) query.append(k, String(one));
        const client = ctx.clients[c.as];
        const headers = { ...client.headers(), ...(req.body !== undefined ? { "content-type": "application/json" } : {}), ...req.headers };
        const res = await fetch(`${ctx.url}${req.path}${query.size ? `?${query.toString()}` : ""}`, { method: req.method, headers, body: req.body === undefined ? undefined : JSON.stringify(req.body) });
        const text = await res.text();
        const reply: TourResponse = { status: res.status, headers: res.headers, body: /json/.test(res.headers.get("content-type") ?? "") && text ? (JSON.parse(text) as unknown) : text };
        assert.equal(reply.status, c.status, `${req.method} ${req.path}: ${text.slice(0, 500)}`);
        if (reply.status >= 400) assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/, "errors are problem documents");
        called.add(c.operation);
        await c.check?.(reply, ctx, state);
      });
    }
  }
});

test("every operation of the OpenAPI document is called by a tour case", () => {
  const missing = [...new Set(operations.map((o) => o.id))].filter((id) => !called.has(id)).sort();
  assert.deepEqual(missing, [], `operations no tour case calls (add cases to test/rest/tour/<area>.ts):\n${missing.join("\n")}`);
});
