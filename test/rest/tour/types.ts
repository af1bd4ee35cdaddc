/**
 * The REST tour: every operation of /api/v1/openapi.json called over real HTTP by at least one case.
 * Each module test/rest/tour/<area>.ts exports `cases: TourCase[]`; test/rest/tour.test.ts runs them all
 * against one server (test/api/http-server.ts) and fails listing the operations no case called.
 */
import type { Client } from "../../api/client";
import type { Services } from "../../../server/services";

/** Who sends the request: a signed-in user with that role on the case's site (admin: a server admin). */
export type TourRole = "anonymous" | "viewer" | "operator" | "approver" | "siteadmin" | "admin";

export interface TourContext {
  /** The server's base URL, e.g. http://127.0.0.1:41234. */
  url: string;
  /** The server's own services (store, sites, runs, auth...), for setting up state directly. */
  services: Services;
  /** One signed-in client per role (session cookie), each a member of `site` with that role. */
  clients: Record<TourRole, Client>;
  /** A fresh site for this case: local hosts a, b and c (group all), a deployment `dep`, no approvals needed. */
  site: string;
}

export interface TourRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The path with its parameters filled, from /api/v1 on, e.g. `/api/v1/sites/${ctx.site}/hosts/a`. */
  path: string;
  /** Query-string fields (arrays repeat the field). */
  query?: Record<string, string | number | boolean | readonly (string | number)[]>;
  /** The JSON body (POST/PUT/PATCH). */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TourResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON (application/json and application/problem+json), else the text. */
  body: unknown;
}

export interface TourCase<S = unknown> {
  /** The operation's operationId: the procedure's path, e.g. "runs.get". */
  operation: string;
  /** What the case shows, e.g. "an operator adds a host". Defaults to the operation. */
  name?: string;
  /** The caller. */
  as: TourRole;
  /** State the request needs (a run, a second revision...); its result is handed to `request` and `check`. */
  setup?: (ctx: TourContext) => Promise<S>;
  request: (ctx: TourContext, state: S) => TourRequest;
  /** The expected status, e.g. 200, 201, 204, 403, 412. */
  status: number;
  /** More assertions on the response (node:assert); may call the server again through ctx.clients. */
  check?: (res: TourResponse, ctx: TourContext, state: S) => void | Promise<void>;
}

/** Keeps `S` typed inside one case while modules export plain `TourCase[]`. */
export function tourCase<S>(c: TourCase<S>): TourCase {
  return c as unknown as TourCase;
}
