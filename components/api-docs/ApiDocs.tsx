/**
 * The API reference, rendered from the server's own /api/v1/openapi.json by our bundle (no CDN: sites may be
 * air-gapped): operations by tag, their parameters, body and response fields as tables, and the problem types
 * that error `type`s link to.
 */
"use client";

import { useEffect, useState } from "react";
import { TopBar } from "~/components/ui/TopBar";
import "./api-docs.css";

type Obj = Record<string, unknown>;
interface ProblemType {
  type: string;
  kind: string;
  status: number;
  title: string;
  when: string;
}
interface Schema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  format?: string;
  default?: unknown;
  additionalProperties?: Schema | boolean;
  $ref?: string;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}
interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { $ref?: string; description?: string; content?: Record<string, { schema: Schema }> }>;
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/** Descriptions mark code with backticks, as in Markdown: those spans become <code>. */
function Text({ children }: { children: string }) {
  return <>{children.split(/`([^`]+)`/).map((part, i) => (i % 2 ? <code key={i}>{part}</code> : part))}</>;
}

function typeOf(s: Schema | undefined): string {
  if (!s) return "any";
  if (s.$ref) return s.$ref.split("/").at(-1)!;
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return [...new Set(alts.map(typeOf))].join(" | ");
  const t = [s.type ?? "any"].flat().join(" | ");
  if (t === "array") return `${typeOf(s.items)}[]`;
  if (t === "object" && !s.properties && s.additionalProperties && typeof s.additionalProperties === "object") return `map of ${typeOf(s.additionalProperties)}`;
  return s.format ? `${t} (${s.format})` : t;
}

/** The object behind a schema: itself, an array's items, or a nullable alternative. */
function objectOf(s: Schema | undefined): Schema | undefined {
  if (!s) return undefined;
  if (s.properties) return s;
  if (s.items) return objectOf(s.items);
  for (const alt of s.anyOf ?? s.oneOf ?? []) {
    const o = objectOf(alt);
    if (o) return o;
  }
  if (s.additionalProperties && typeof s.additionalProperties === "object") return objectOf(s.additionalProperties);
  return undefined;
}

interface Row {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

/** Fields as rows, nested ones dotted (`connection.address`), three levels deep. */
function fieldRows(schema: Schema | undefined, prefix = "", depth = 0): Row[] {
  const obj = objectOf(schema);
  if (!obj?.properties || depth > 2) return [];
  return Object.entries(obj.properties).flatMap(([name, s]) => {
    const full = `${prefix}${name}`;
    const description = s.description ?? (s.anyOf ?? []).find((a) => a.description)?.description ?? "";
    const row: Row = { name: full, type: typeOf(s), required: obj.required?.includes(name) ?? false, description: s.default === undefined ? description : `${description} (default ${JSON.stringify(s.default)})` };
    const nested = objectOf(s);
    return [row, ...(nested && nested !== obj ? fieldRows(nested, `${full}${s.items || (s.type === "object" && !s.properties) ? "[]" : ""}.`, depth + 1) : [])];
  });
}

function Fields({ rows, caption }: { rows: Row[]; caption: string }) {
  if (!rows.length) return null;
  return (
    <table className="grid api-fields">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Type</th>
          <th scope="col">Description</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.name}>
            <td>
              <code>{r.name}</code>
              {r.required && <span className="api-required"> required</span>}
            </td>
            <td>
              <code className="api-type">{r.type}</code>
            </td>
            <td>
              <Text>{r.description}</Text>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function anchor(id: string): string {
  return `op-${id.replace(/[^\w-]/g, "-")}`;
}

function OperationCard({ method, path, op, problems }: { method: string; path: string; op: Operation; problems: ProblemType[] }) {
  const params: Row[] = (op.parameters ?? []).map((p) => ({ name: p.name, type: `${typeOf(p.schema)} · ${p.in}`, required: p.required ?? false, description: p.description ?? "" }));
  const body = op.requestBody?.content["application/json"]?.schema;
  const other = op.requestBody && !body ? Object.keys(op.requestBody.content).join(", ") : undefined;
  const ok = Object.entries(op.responses).filter(([s]) => Number(s) < 400);
  const errors = Object.keys(op.responses).filter((s) => Number(s) >= 400);
  return (
    <section className="card api-op" id={anchor(op.operationId)} aria-labelledby={`${anchor(op.operationId)}-h`}>
      <h3 id={`${anchor(op.operationId)}-h`} className="api-op-head">
        <span className={`api-method api-${method}`}>{method.toUpperCase()}</span>
        <code className="api-path">/api/v1{path}</code>
      </h3>
      <p className="api-summary">
        <strong>{op.summary}</strong> <span className="muted mono">{op.operationId}</span>
      </p>
      {op.description && op.description !== op.summary && (
        <p>
          <Text>{op.description}</Text>
        </p>
      )}
      <Fields rows={params} caption="Parameters" />
      {body && <Fields rows={fieldRows(body)} caption="Body (JSON)" />}
      {other && <p className="muted">Body: {other}</p>}
      {ok.map(([status, res]) => {
        const schema = res.content?.["application/json"]?.schema;
        const rows = fieldRows(schema);
        return (
          <div key={status}>
            <p className="api-status">
              <span className="badge ok">{status}</span> {res.description}
              {schema && !rows.length && <code className="api-type"> {typeOf(schema)}</code>}
              {!schema && res.content && <code className="api-type"> {Object.keys(res.content).join(", ")}</code>}
            </p>
            <Fields rows={rows} caption={`Response ${status}`} />
          </div>
        );
      })}
      <p className="api-status">
        <span className="muted">Errors:</span>{" "}
        {errors.map((s) => {
          const kind = problems.find((p) => String(p.status) === s)?.kind;
          return (
            <a key={s} className="badge error api-err" href={kind ? `#problem-${kind}` : "#problems"}>
              {s}
            </a>
          );
        })}
      </p>
    </section>
  );
}

/** The page: fetches the document, then renders it. */
export function ApiDocsView() {
  const [doc, setDoc] = useState<Obj | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    fetch("/api/v1/openapi.json")
      .then(async (r) => (r.ok ? setDoc((await r.json()) as Obj) : setError(`the document did not load (${r.status})`)))
      .catch((e: unknown) => setError(`the document did not load: ${e instanceof Error ? e.message : String(e)}`));
  }, []);
  if (doc) return <ApiDocs doc={doc} />;
  return (
    <>
      <TopBar crumbs={<span>API reference</span>} />
      <div className="page">{error ? <p className="notice error">{error}</p> : <p className="muted">Loading the API reference…</p>}</div>
    </>
  );
}

export function ApiDocs({ doc }: { doc: Obj }) {
  const problems = (doc["x-problem-types"] ?? []) as ProblemType[];
  const paths = doc.paths as Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  const ops = Object.entries(paths).flatMap(([path, m]) => METHODS.flatMap((method) => (m[method] ? [{ method, path, op: m[method] }] : [])));
  const tags = [...new Set(ops.map((o) => o.op.tags[0] ?? "other"))].sort();
  const info = doc.info as { title: string; description: string };
  return (
    <>
      <TopBar crumbs={<span>API reference</span>} actions={<a className="btn small" href="/api/v1/openapi.json">openapi.json</a>} />
      <div className="page api-docs">
        <nav className="api-nav" aria-label="API sections">
          <ul>
            <li>
              <a href="#overview">Overview</a>
            </li>
            {tags.map((t) => (
              <li key={t}>
                <a href={`#tag-${t}`}>{t}</a>
                <span className="muted"> {ops.filter((o) => (o.op.tags[0] ?? "other") === t).length}</span>
              </li>
            ))}
            <li>
              <a href="#problems">Problem types</a>
            </li>
          </ul>
        </nav>
        <main className="stack api-main">
          <section id="overview" className="stack">
            <h1>{info.title}</h1>
            <p>
              <Text>{info.description}</Text>
            </p>
            <p className="muted">
              Base URL <code>/api/v1</code>. Send <code>Authorization: Bearer &lt;token&gt;</code>. GET and DELETE take their fields in the query string (a list repeats its field), the others a JSON
              object body; fields an operation does not list are refused. Writes to a site&apos;s files take the revision they are based on as <code>If-Match</code>; lists return{" "}
              <code>items</code>, <code>nextCursor</code> and a <code>next</code> link (also in <code>Link</code>). Requests are rate-limited per caller (<code>429</code> with <code>Retry-After</code>).
            </p>
          </section>
          {tags.map((t) => (
            <section key={t} id={`tag-${t}`} className="stack" aria-labelledby={`tag-${t}-h`}>
              <h2 id={`tag-${t}-h`} className="api-tag">
                {t}
              </h2>
              {ops
                .filter((o) => (o.op.tags[0] ?? "other") === t)
                .map((o) => (
                  <OperationCard key={`${o.method} ${o.path}`} {...o} problems={problems} />
                ))}
            </section>
          ))}
          <section id="problems" className="stack" aria-labelledby="problems-h">
            <h2 id="problems-h" className="api-tag">
              Problem types
            </h2>
            <p>
              Errors are RFC 9457 <code>application/problem+json</code> documents: <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code> (what is wrong, in one line),{" "}
              <code>instance</code> (the request&apos;s path) and, for invalid input, <code>errors</code>: each field&apos;s <code>pointer</code> and <code>detail</code>.
            </p>
            <table className="grid">
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">type</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {problems.map((p) => (
                  <tr key={p.kind} id={`problem-${p.kind}`}>
                    <td>
                      <span className="badge error">{p.status}</span>
                    </td>
                    <td>
                      <code>{p.type}</code>
                      <div className="muted">{p.title}</div>
                    </td>
                    <td>
                      <Text>{p.when}</Text>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </main>
      </div>
    </>
  );
}
