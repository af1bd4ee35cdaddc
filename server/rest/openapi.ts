/**
 * The OpenAPI 3.1 document of /api/v1, generated from the route table (server/rest/routes.ts): each operation's
 * parameters, body and response are its procedure's zod schemas as JSON Schema. The routes that stream files
 * (export, import, Ansible inventories, introspection) are not procedures and are described by hand below.
 */
import { INTAKE_OPERATIONS } from "../events/intake/openapi";
import { PROBLEMS, PROBLEM_TYPE_PREFIX, type ProblemKind } from "./problem";
import { REST_PREFIX } from "./handler";
import { restRoutes, type JsonSchema, type RestRoute } from "./routes";

type Obj = Record<string, unknown>;

const PROBLEM_SCHEMA = {
  type: "object",
  description: "An RFC 9457 problem document: what went wrong, never a stack trace.",
  required: ["type", "title", "status", "detail"],
  properties: {
    type: { type: "string", description: `A stable identifier of the kind of problem: ${PROBLEM_TYPE_PREFIX}<kind>, documented on the API reference page.`, enum: Object.keys(PROBLEMS).map((k) => `${PROBLEM_TYPE_PREFIX}${k}`) },
    title: { type: "string", description: "The kind of problem, in words (the same for every problem of this type)." },
    status: { type: "integer", description: "The HTTP status code." },
    detail: { type: "string", description: "What is wrong with this request, in one line." },
    instance: { type: "string", description: "The request's path." },
    errors: {
      type: "array",
      description: "For invalid input: each field's problem.",
      items: {
        type: "object",
        description: "One field's problem.",
        required: ["pointer", "detail"],
        properties: {
          pointer: { type: "string", description: "A JSON pointer to the field in the operation's input (e.g. /labels/role); empty for the input as a whole." },
          detail: { type: "string", description: "What is wrong with the field." },
        },
      },
    },
  },
};

const STATUS_KIND: Record<number, ProblemKind> = Object.fromEntries(Object.entries(PROBLEMS).map(([k, p]) => [p.status, k as ProblemKind]));

function problemResponse(status: number): Obj {
  return { $ref: `#/components/responses/Problem${status}` };
}

/**
 * Moves a schema's `$defs` (recursive or shared parts) into components.schemas under `prefix.<name>` and points
 * its references there, since `#/$defs/...` would resolve against the whole document.
 */
function hoist(schema: JsonSchema, prefix: string, components: Obj): JsonSchema {
  const defs = (schema.$defs ?? {}) as Record<string, JsonSchema>;
  delete schema.$defs;
  const name = (d: string) => `${prefix}.${d}`.replace(/[^\w.-]/g, "_");
  let selfRef = false;
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!node || typeof node !== "object") return node;
    const out: Obj = {};
    for (const [k, v] of Object.entries(node as Obj)) {
      if (k === "$ref" && typeof v === "string") {
        if (v === "#") {
          selfRef = true;
          out[k] = `#/components/schemas/${name("self")}`;
        } else out[k] = v.startsWith("#/$defs/") ? `#/components/schemas/${name(v.slice(8))}` : v;
      } else out[k] = rewrite(v);
    }
    return out;
  };
  for (const [d, def] of Object.entries(defs)) components[name(d)] = rewrite(def);
  const root = rewrite(schema) as JsonSchema;
  if (selfRef) components[name("self")] = root;
  return root;
}

function fieldDescription(schema: JsonSchema | undefined): string | undefined {
  return schema?.description ?? schema?.anyOf?.find((s) => s.description)?.description;
}

function operation(route: RestRoute, schemas: Obj): Obj {
  const { rest } = route;
  const pathParams = new Set(route.segments.flatMap((s) => ("param" in s ? [s.param] : [])));
  const input = hoist(structuredClone(route.input), `${route.id}.input`, schemas) as RestRoute["input"];
  const parameters: Obj[] = [];
  for (const name of pathParams) parameters.push({ name, in: "path", required: true, description: fieldDescription(input.properties[name]) ?? name, schema: input.properties[name] });
  if (rest.ifMatch) parameters.push({ name: "If-Match", in: "header", required: false, description: `The revision the change is based on (e.g. "12"); a stale one is refused with 412. Default: the newest.`, schema: { type: "string" } });
  const rest_ = Object.entries(input.properties).filter(([k]) => !pathParams.has(k) && k !== rest.ifMatch);
  const takesBody = rest.method === "POST" || rest.method === "PUT" || rest.method === "PATCH";
  const op: Obj = { operationId: route.id, summary: rest.summary, description: rest.description ?? rest.summary, tags: rest.tags };
  if (!takesBody) {
    for (const [name, schema] of rest_) {
      const isArray = schema.type === "array";
      parameters.push({ name, in: "query", required: input.required.includes(name), description: fieldDescription(schema) ?? name, schema, ...(isArray ? { style: "form", explode: true } : {}) });
    }
  } else {
    const required = input.required.filter((r) => !pathParams.has(r) && r !== rest.ifMatch);
    const body = { type: "object", description: `The ${route.id} request.`, properties: Object.fromEntries(rest_), ...(required.length ? { required } : {}), additionalProperties: false };
    op.requestBody = { required: required.length > 0, description: "A JSON object; fields it does not list are refused.", content: { "application/json": { schema: body } } };
  }
  if (parameters.length) op.parameters = parameters;
  const status = rest.status ?? 200;
  const responses: Obj = {};
  if (status === 204) responses["204"] = { description: "Done; no content." };
  else {
    let schema: Obj = route.output ? (hoist(structuredClone(route.output), `${route.id}.output`, schemas)) : { description: "The result (not described yet)." };
    if (rest.paginated && route.output) {
      const props = { ...((schema.properties as Obj | undefined) ?? {}), next: { type: ["string", "null"], description: "The next page's URL (the same query with `cursor`), or null on the last page." } };
      schema = { ...schema, properties: props, required: [...((schema.required as string[] | undefined) ?? []), "next"] };
    }
    const headers: Obj = {};
    if (rest.etag) headers.ETag = { description: "The revision this answer is at, for If-Match.", schema: { type: "string" } };
    if (rest.paginated) headers.Link = { description: 'The next page: `<URL>; rel="next"` (absent on the last page).', schema: { type: "string" } };
    responses[String(status)] = { description: rest.summary, ...(Object.keys(headers).length ? { headers } : {}), content: { "application/json": { schema } } };
  }
  const errors = [400, 401, 403, 404, 429, 500];
  if (rest.method !== "GET") errors.push(409);
  if (rest.ifMatch) errors.push(412);
  if (takesBody) errors.push(413, 415);
  for (const s of errors.sort()) responses[String(s)] = problemResponse(s);
  op.responses = responses;
  return op;
}

/** The routes that are Next route handlers of their own (files in, files out), with their operationIds. */
const HAND_WRITTEN: { path: string; method: "get" | "post"; op: Obj }[] = (() => {
  const slug = { name: "slug", in: "path", required: true, description: "The site's slug", schema: { type: "string" } };
  const revision = { name: "revision", in: "query", required: false, description: "A revision number (default: the newest)", schema: { type: "integer", minimum: 1 } };
  const filters = [
    { name: "group", in: "query", required: false, description: "Only hosts of this group", schema: { type: "string" } },
    { name: "selector", in: "query", required: false, description: "Only hosts whose labels match, e.g. role=web,env!=prod", schema: { type: "string" } },
    { name: "glob", in: "query", required: false, description: "Only hosts whose names match this glob", schema: { type: "string" } },
    revision,
  ];
  const binary = (type: string, what: string) => ({ description: what, content: { [type]: { schema: { type: "string", contentMediaType: type, description: what } } } });
  const std = (ok: Obj, extra: number[] = []) => ({ ...ok, ...Object.fromEntries([400, 401, 403, 404, 429, ...extra].sort().map((s) => [String(s), problemResponse(s)])) });
  return [
    { path: "/sites/{slug}/export", method: "get", op: { operationId: "sites.export", tags: ["sites"], summary: "Export a site as an archive", description: "The site's files at a revision as a .tgz in the site directory layout (what `flightdeck` reads). Viewers and above.", parameters: [slug, revision], responses: std({ 200: binary("application/gzip", "The site directory as a gzipped tar") }) } },
    {
      path: "/sites/import",
      method: "post",
      op: {
        operationId: "sites.import",
        tags: ["sites"],
        summary: "Import a site archive or an Ansible inventory",
        description: "The archive (.tgz, .tar or .zip of a site directory) as the body, or multipart/form-data with `file`. An existing site gets it as a new revision (operators); otherwise the site is created (server admins). `format=ansible` imports an Ansible inventory as a new site; its problems answer 400 with `problems` (file:line:col: message).",
        parameters: [
          { name: "slug", in: "query", required: false, description: "The site to create or update", schema: { type: "string" } },
          { name: "name", in: "query", required: false, description: "The new site's name (default: the slug)", schema: { type: "string" } },
          { name: "filename", in: "query", required: false, description: "The archive's name, used in messages", schema: { type: "string" } },
          { name: "format", in: "query", required: false, description: "site (default) or ansible", schema: { type: "string", enum: ["site", "ansible"] } },
          { name: "inventory", in: "query", required: false, description: "For format=ansible: where in the archive the inventory is", schema: { type: "string" } },
          { name: "X-Vault-Password", in: "header", required: false, description: "For format=ansible: the Ansible vault password, used for this import only", schema: { type: "string" } },
        ],
        requestBody: { required: true, description: "The archive", content: { "application/octet-stream": { schema: { type: "string", contentMediaType: "application/octet-stream", description: "The archive's bytes" } }, "multipart/form-data": { schema: { type: "object", description: "The archive as a form", properties: { file: { type: "string", contentMediaType: "application/octet-stream", description: "The archive" }, slug: { type: "string", description: "The site" }, name: { type: "string", description: "The new site's name" }, vault_password: { type: "string", description: "The Ansible vault password" } } } } } },
        responses: std({ 200: { description: "The site and its new revision", content: { "application/json": { schema: { type: "object", description: "What the import made" } } } } }, [409, 413]),
      },
    },
    ...(["json", "tgz", "zip"] as const).map((ext) => ({
      path: `/sites/{slug}/inventory.${ext}`,
      method: "get" as const,
      op: {
        operationId: `sites.inventory${ext[0]!.toUpperCase()}${ext.slice(1)}`,
        tags: ["inventory"],
        summary: `The site as an Ansible inventory (.${ext})`,
        description: ext === "json" ? "The hosts as `ansible-inventory --list` gives them (a dynamic inventory). Viewers and above." : `An Ansible inventory directory (hosts.yml, group_vars/, host_vars/) as a .${ext}. Viewers and above.`,
        parameters: [slug, ...filters],
        responses: std({ 200: ext === "json" ? { description: "The inventory", content: { "application/json": { schema: { type: "object", description: "ansible-inventory --list output" } } } } : binary(ext === "tgz" ? "application/gzip" : "application/zip", "The inventory directory") }),
      },
    })),
    { path: "/introspect", method: "get", op: { operationId: "introspect", tags: ["runs"], summary: "A deploying machine's own variables", description: "Called by a machine during a run with its introspection token as the bearer: its resolved variables. Answers only while the run runs.", security: [{ bearer: [] }], responses: std({ 200: { description: "The machine's variables", content: { "application/json": { schema: { type: "object", description: "The host's resolved variables" } } } } }) } },
  ];
})();

export function openApiDocument(): Obj {
  const schemas: Obj = { Problem: PROBLEM_SCHEMA };
  const paths: Record<string, Obj> = {};
  for (const route of restRoutes()) (paths[route.rest.path] ??= {})[route.rest.method.toLowerCase()] = operation(route, schemas);
  for (const h of [...HAND_WRITTEN, ...INTAKE_OPERATIONS]) (paths[h.path] ??= {})[h.method] = h.op;
  const responses = Object.fromEntries(
    Object.entries(STATUS_KIND).map(([status, kind]) => [`Problem${status}`, { description: PROBLEMS[kind].when, content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } }]),
  );
  const tags = [...new Set(Object.values(paths).flatMap((p) => Object.values(p).flatMap((o) => (o as { tags: string[] }).tags)))].sort();
  return {
    openapi: "3.1.0",
    info: { title: "Flightdeck API", version: "1", description: "The dashboard's operations over HTTP: the same procedures, permissions and audit as the dashboard. Authenticate with `Authorization: Bearer <token>` (create one under Tokens). Errors are RFC 9457 problem documents; lists page with a cursor and a `next` link." },
    servers: [{ url: REST_PREFIX, description: "This server" }],
    security: [{ bearer: [] }, { cookie: [] }],
    tags: tags.map((name) => ({ name, description: `Operations on ${name}` })),
    /** The problem types (RFC 9457 `type`s) the reference page lists, with when each is answered. */
    "x-problem-types": Object.entries(PROBLEMS).map(([kind, p]) => ({ type: `${PROBLEM_TYPE_PREFIX}${kind}`, kind, status: p.status, title: p.title, when: p.when })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas,
      responses,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API token (dashboard → Tokens)." },
        cookie: { type: "apiKey", in: "cookie", name: "better-auth.session_token", description: "The dashboard's session cookie." },
      },
    },
  };
}

let cached: Obj | undefined;
export function openApi(): Obj {
  return (cached ??= openApiDocument());
}
