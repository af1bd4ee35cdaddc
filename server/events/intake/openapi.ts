/**
 * The intake routes in the OpenAPI document (they are route handlers of their own, not procedures: a signature
 * is checked over the raw body). server/rest/openapi.ts lists them with the other hand-written routes.
 */
import { z } from "zod";
import { siteEventInput, storedEvent } from "../types";

type Obj = Record<string, unknown>;

const problem = (status: number) => ({ $ref: `#/components/responses/Problem${status}` });

/** A zod schema as JSON Schema for this document: `data` (any JSON, recursive in zod) becomes an unconstrained value. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): Obj {
  const out = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Obj;
  delete out.$defs;
  delete out.$schema;
  const anyJson = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(anyJson);
    if (!node || typeof node !== "object") return node;
    const o = node as Obj;
    if (typeof o.$ref === "string" && o.$ref.startsWith("#/$defs/")) return { description: typeof o.description === "string" ? o.description : "Any JSON value" };
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, anyJson(v)]));
  };
  return anyJson(out) as Obj;
}

const received = {
  description: "The events stored, each with what it caused",
  content: {
    "application/json": {
      schema: {
        type: "object",
        description: "What the request stored",
        required: ["received", "events"],
        properties: {
          received: { type: "integer", description: "How many events were stored (0 for a GitHub ping or a delivery received before)" },
          duplicateOf: { type: "integer", description: "For a GitHub delivery received before (the same X-GitHub-Delivery): the event stored then; nothing is stored again" },
          events: { type: "array", description: "The stored events, in the order sent", items: jsonSchema(storedEvent, "output") },
        },
      },
    },
  },
};

function intakeOp(operationId: string, summary: string, description: string, signature: string, body: Obj, extra: Obj[] = []): Obj {
  return {
    operationId,
    tags: ["events"],
    summary,
    description: `${description} Authenticated by an API token with the operator role on the site, or by the site's webhook secret: ${signature}: sha256=<hex HMAC-SHA256 of the raw body> (a wrong or missing signature is refused with 401 and nothing is stored). The body is at most 1 MiB; invalid input is a 400 naming each place by JSON pointer, and then nothing is stored.`,
    security: [{ bearer: [] }, {}],
    parameters: [
      { name: "slug", in: "path", required: true, description: "The site's slug", schema: { type: "string" } },
      { name: signature, in: "header", required: false, description: "sha256=<hex HMAC-SHA256 of the raw body with the site's webhook secret>, when no API token is sent", schema: { type: "string" } },
      ...extra,
    ],
    requestBody: { required: true, description: "The payload", content: { "application/json": { schema: body } } },
    responses: { 200: received, ...Object.fromEntries([400, 401, 403, 404, 413, 415, 429, 500].map((s) => [String(s), problem(s)])) },
  };
}

export const INTAKE_OPERATIONS: { path: string; method: "post"; op: Obj }[] = [
  {
    path: "/sites/{slug}/events",
    method: "post",
    op: intakeOp("events.intake", "Send an event", "One event: a name (e.g. deploy/requested), string labels and JSON data. Reactions of the site match it.", "X-Flightdeck-Signature", jsonSchema(siteEventInput, "input")),
  },
  {
    path: "/sites/{slug}/events/alertmanager",
    method: "post",
    op: intakeOp(
      "events.alertmanager",
      "Receive an Alertmanager notification",
      "Prometheus Alertmanager's webhook payload (version 4): each alert becomes an event `alertmanager/<alertname>` with the alert's labels plus `status` (firing or resolved), and its annotations, startsAt, endsAt, generatorURL and fingerprint as data.",
      "X-Flightdeck-Signature",
      { type: "object", description: "Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config)", required: ["version", "alerts"], properties: { version: { type: "string", description: "4", const: "4" }, alerts: { type: "array", description: "The alerts, each with status, labels (alertname among them) and annotations", items: { type: "object", description: "An alert" } } } },
    ),
  },
  {
    path: "/sites/{slug}/events/github",
    method: "post",
    op: intakeOp(
      "events.github",
      "Receive a GitHub webhook",
      "A GitHub delivery: push becomes `github/push` (labels repository, ref, branch or tag, sha, pusher, deleted), pull_request `github/pull_request` (labels repository, action, number, base, head, sha, merged, draft, author; both also `delivery`); ping is answered and stores nothing. A push to the site's tracked branch requests a run of its deployment (through approvals).",
      "X-Hub-Signature-256",
      { type: "object", description: "GitHub's webhook payload for the event X-GitHub-Event names (JSON, or a form with it in `payload`)" },
      [
        { name: "X-GitHub-Event", in: "header", required: true, description: "push, pull_request or ping", schema: { type: "string", enum: ["push", "pull_request", "ping"] } },
        { name: "X-GitHub-Delivery", in: "header", required: false, description: "GitHub's id of the delivery: kept as the label `delivery`; a delivery sent again with the same id is answered and stored once", schema: { type: "string" } },
      ],
    ),
  },
];
