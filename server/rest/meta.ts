/**
 * How a tRPC procedure is also a REST operation under /api/v1: declared once on the procedure with
 * `.meta({ rest: { ... } })`, read by the REST handler (server/rest/handler.ts) and the OpenAPI document
 * (server/rest/openapi.ts). The procedure stays the one definition: input schema, permission, audit, errors.
 */
export interface RestMeta {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /**
   * OpenAPI path template under /api/v1, e.g. "/sites/{slug}/hosts/{host}". Each `{name}` fills the input
   * field of that name (numbers are converted when the input schema says number).
   */
  path: string;
  /** One line, shown in the API reference's list. */
  summary: string;
  /** More: what it does, who may call it, what it refuses. */
  description?: string;
  /** Groups operations in the reference (e.g. "sites", "hosts", "runs"). */
  tags: string[];
  /** Success status: default 200 (201 for a create, 204 when nothing is returned). */
  status?: 200 | 201 | 202 | 204;
  /** The input field filled from the `If-Match` header (a revision number), e.g. "baseRevision". */
  ifMatch?: string;
  /** The output field whose value is sent as the `ETag` header (a revision number), e.g. "revision". */
  etag?: string;
  /**
   * A list with cursor pagination: the input has `cursor` (opaque string, optional) and `limit`, the output
   * `items` and `nextCursor` (null on the last page); the handler adds `next` (a URL) and a `Link: rel="next"`.
   */
  paginated?: boolean;
  /** Largest JSON body accepted, in bytes (default REST_BODY_BYTES). */
  maxBody?: number;
}

export interface Meta {
  rest?: RestMeta;
}
