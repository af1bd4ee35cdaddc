/**
 * The simulator's answers: MAAS's response formats (spec B7) as one error type the handlers throw and the
 * server writes out.
 */

export const TEXT = "text/plain; charset=utf-8";
export const JSON_TYPE = "application/json; charset=utf-8";
/** Django's HttpResponse default: piston's OAuth errors and rc.* answers are built without a content type. */
export const HTML = "text/html; charset=utf-8";

/** An error answer: a status, a body and its content type, and extra headers. */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly contentType: string = TEXT,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${body}`);
  }
}

/** MAASAPIBadRequest, NodeStateViolation, NodesNotAvailable...: the message as text/plain. */
export function textError(status: number, message: string): SimHttpError {
  return new SimHttpError(status, message, TEXT);
}

/** MAASAPIValidationError with field errors: JSON even for one field. */
export function fieldError(fields: Record<string, string[]>): SimHttpError {
  return new SimHttpError(400, JSON.stringify(fields), JSON_TYPE);
}

/** PermissionDenied: 403 with an (often) empty text/plain body. */
export function forbidden(message = ""): SimHttpError {
  return new SimHttpError(403, message, TEXT);
}

/** Http404 through MAAS's error handler. */
export function notFound(model: string): SimHttpError {
  return new SimHttpError(404, `No ${model} matches the given query.`, TEXT);
}

/** support.py's dispatch error for an unknown (method, op) pair; `op=None` when there is none, as Python prints it. */
export function unrecognisedSignature(method: string, op: string | undefined): SimHttpError {
  return textError(400, `Unrecognised signature: method=${method} op=${op ?? "None"}`);
}

/** Python's repr() of a str: single quotes unless the text has a single quote and no double quote. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/\\/g, "\\\\").replace(quote === "'" ? /'/g : /"/g, `\\${quote}`).replace(/\n/g, "\\n");
  return `${quote}${body}${quote}`;
}

/** A Django QueryDict, as MAAS reads it: every value of a name, in order. */
export class Form {
  constructor(readonly params: URLSearchParams) {}

  get(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  all(name: string): string[] {
    return this.params.getAll(name);
  }

  has(name: string): boolean {
    return this.params.has(name);
  }

  /** Django's BooleanField: "true"/"1"/"on" are true; absent, "false" and "0" are false. */
  bool(name: string): boolean {
    const v = this.get(name)?.toLowerCase();
    return v !== undefined && v !== "" && v !== "false" && v !== "0";
  }

  /** Names in first-seen order with all their values (QueryDict.lists()). */
  lists(): [string, string[]][] {
    const names = [...new Set(this.params.keys())];
    return names.map((n) => [n, this.params.getAll(n)]);
  }
}
