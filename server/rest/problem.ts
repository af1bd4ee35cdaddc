/**
 * RFC 9457 problem details: every REST error is `application/problem+json` with a `type` that is stable per kind
 * of error (documented on /api/docs), the status, one line of detail and, for bad input, each field's problem.
 * Never a stack trace: a bug answers 500 "see the server log" and is logged there.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { ERROR_STATUS, errorCode, retryAfterOf, type ErrorCode } from "../errors";

/** The kinds of problem, by `type` suffix: /api/docs#problem-<kind>. */
export const PROBLEMS = {
  "invalid-input": { status: 400, title: "Invalid input", when: "The request is malformed: a field is missing, unknown or of the wrong type, or names something the site does not have. `errors` lists each field by JSON pointer." },
  unauthorized: { status: 401, title: "Unauthorized", when: "No valid credentials: send `Authorization: Bearer <token>` (or a session cookie). A revoked or expired token is refused the same way." },
  forbidden: { status: 403, title: "Forbidden", when: "The caller is known but lacks the role this needs (or is a kiosk token, or must change a one-time password first)." },
  "not-found": { status: 404, title: "Not found", when: "No such path under /api/v1, or the site, run, host or other thing named does not exist (or the caller may not know of it)." },
  "method-not-allowed": { status: 405, title: "Method not allowed", when: "The path exists but not with this method; the `Allow` header lists the methods it has." },
  conflict: { status: 409, title: "Conflict", when: "The state moved on: a name already taken, a run already finished, a stale approval." },
  "precondition-failed": { status: 412, title: "Precondition failed", when: "The `If-Match` revision is no longer the newest: read the current revision and apply the change again." },
  "payload-too-large": { status: 413, title: "Payload too large", when: "The body (or a document in it) is over its limit; the detail says which limit." },
  "unsupported-media-type": { status: 415, title: "Unsupported media type", when: "A body that is not JSON (`Content-Type: application/json`) sent to an operation that takes JSON." },
  "too-many-requests": { status: 429, title: "Too many requests", when: "The caller is over its request rate; `Retry-After` says in how many seconds to try again." },
  internal: { status: 500, title: "Internal error", when: "A bug on the server: the detail says nothing more; the server log has the rest." },
  unavailable: { status: 503, title: "Unavailable", when: "The database cannot be used right now (unreachable, or at a schema this build does not match)." },
} as const;
export type ProblemKind = keyof typeof PROBLEMS;

export const PROBLEM_TYPE_PREFIX = "/api/docs#problem-";

export interface FieldProblem {
  /** JSON pointer into the input (e.g. "/labels/role"), "" for the input as a whole. */
  pointer: string;
  detail: string;
}

const KIND_OF_CODE: Record<ErrorCode, ProblemKind> = {
  INVALID_INPUT: "invalid-input",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not-found",
  CONFLICT: "conflict",
  PRECONDITION_FAILED: "precondition-failed",
  PAYLOAD_TOO_LARGE: "payload-too-large",
  TOO_MANY_REQUESTS: "too-many-requests",
  UNAVAILABLE: "unavailable",
};

const KIND_OF_TRPC: Partial<Record<TRPCError["code"], ProblemKind>> = {
  BAD_REQUEST: "invalid-input",
  PARSE_ERROR: "invalid-input",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not-found",
  METHOD_NOT_SUPPORTED: "method-not-allowed",
  CONFLICT: "conflict",
  PRECONDITION_FAILED: "precondition-failed",
  PAYLOAD_TOO_LARGE: "payload-too-large",
  UNSUPPORTED_MEDIA_TYPE: "unsupported-media-type",
  TOO_MANY_REQUESTS: "too-many-requests",
  SERVICE_UNAVAILABLE: "unavailable",
};

/** A problem raised by the REST layer itself (before any procedure runs). */
export class RestProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    message: string,
    readonly extra: ProblemExtra = {},
  ) {
    super(message);
  }
}

export interface ProblemExtra {
  errors?: FieldProblem[];
  headers?: Record<string, string>;
  /** Extension members of this kind of problem (e.g. an import's `problems`, each file:line:col). */
  members?: Record<string, unknown>;
}

export function problem(kind: ProblemKind, detail: string, instance: string, extra: ProblemExtra = {}): Response {
  const { status, title } = PROBLEMS[kind];
  const body = { type: `${PROBLEM_TYPE_PREFIX}${kind}`, title, status, detail, ...(instance ? { instance } : {}), ...(extra.errors?.length ? { errors: extra.errors } : {}), ...extra.members };
  const headers: Record<string, string> = { "content-type": "application/problem+json", "cache-control": "no-store", ...extra.headers };
  if (kind === "unauthorized") headers["www-authenticate"] = 'Bearer realm="flightdeck"';
  return new Response(JSON.stringify(body), { status, headers });
}

/** Each issue of a zod error as a field problem: pointer from its path, its message as the detail. */
export function fieldProblems(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldProblem[] {
  return error.issues.map((i) => {
    const path = [...prefix, ...i.path];
    const pointer = path.map((p) => `/${String(p).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
    const keys = i.code === "unrecognized_keys" ? i.keys : [];
    if (keys.length) return { pointer, detail: `unknown field${keys.length > 1 ? "s" : ""} ${keys.map((k) => `'${k}'`).join(", ")}` };
    return { pointer, detail: i.message };
  });
}

function zodCause(e: unknown): z.ZodError | undefined {
  const cause = e instanceof TRPCError ? e.cause : undefined;
  if (cause instanceof z.ZodError) return cause;
  // tRPC may wrap a standard-schema failure; zod's own issues are on it.
  if (cause && typeof cause === "object" && Array.isArray((cause as { issues?: unknown }).issues)) return new z.ZodError((cause as unknown as { issues: z.core.$ZodIssue[] }).issues);
  return undefined;
}

/** Any error thrown while answering: a REST problem, a domain error, a TRPCError (zod ones by field), else a bug. */
export function problemOf(e: unknown, instance: string): Response {
  if (e instanceof RestProblem) return problem(e.kind, e.message, instance, e.extra);
  const cause = e instanceof TRPCError && errorCode(e.cause) ? e.cause : e;
  const code = errorCode(cause);
  if (code) {
    const retry = retryAfterOf(cause);
    const headers = retry === undefined ? undefined : { "retry-after": String(Math.max(1, Math.ceil(retry))) };
    const kind = KIND_OF_CODE[code];
    if (PROBLEMS[kind].status !== ERROR_STATUS[code]) throw new Error(`problem kind ${kind} disagrees with ${code}`);
    return problem(kind, (cause as Error).message, instance, { headers });
  }
  if (e instanceof TRPCError) {
    const issues = zodCause(e);
    if (e.code === "BAD_REQUEST" && issues) {
      const errors = fieldProblems(issues);
      return problem("invalid-input", errors.map((f) => `${f.pointer || "input"}: ${f.detail}`).join("; "), instance, { errors });
    }
    const kind = KIND_OF_TRPC[e.code];
    if (kind) return problem(kind, e.message, instance);
  }
  console.error(`rest ${instance}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return problem("internal", "internal error; see the server log", instance);
}
