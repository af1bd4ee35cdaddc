/**
 * Errors Flightdeck raises on purpose, one line each on when. They are recognised by their `code`, never by
 * class identity: the custom server (tsx) and Next's route bundle each load their own copy of this module, so an
 * `instanceof` between the two is false. `errorCode()` reads the code from any copy.
 */

/** Each kind of refusal, with the HTTP status it means on every surface (REST, tRPC, socket acks). */
export const ERROR_STATUS = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

// A registered symbol is the same in every module graph of the process, unlike the classes below.
const MARK = Symbol.for("flightdeck.error");

export class FlightdeckError extends Error {
  readonly [MARK] = true;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  /** For TOO_MANY_REQUESTS: when to try again. */
  readonly retryAfterSeconds?: number;
}

/** The request is malformed or names something the site does not have (an unknown deployment, a bad path). */
export class InvalidInputError extends FlightdeckError {
  override name = "InvalidInputError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_INPUT", message, options);
  }
}
/** Nobody is signed in (or the token is unknown, revoked or expired). */
export class UnauthorizedError extends FlightdeckError {
  override name = "UnauthorizedError";
  constructor(message: string) {
    super("UNAUTHORIZED", message);
  }
}
/** The caller is known but may not do this (a role too low, their own run to approve). */
export class ForbiddenError extends FlightdeckError {
  override name = "ForbiddenError";
  constructor(message: string) {
    super("FORBIDDEN", message);
  }
}
/** A site, run, user, token or board that does not exist (or that the caller may not know of). */
export class NotFoundError extends FlightdeckError {
  override name = "NotFoundError";
  constructor(message: string) {
    super("NOT_FOUND", message);
  }
}
/** The state moved on: a stale approval, a name taken, a run already finished. */
export class ConflictError extends FlightdeckError {
  override name = "ConflictError";
  constructor(message: string) {
    super("CONFLICT", message);
  }
}
/** A write named a base revision that is no longer the newest. */
export class PreconditionFailedError extends FlightdeckError {
  override name = "PreconditionFailedError";
  constructor(message: string) {
    super("PRECONDITION_FAILED", message);
  }
}
/** An upload, archive or document over its limit. */
export class PayloadTooLargeError extends FlightdeckError {
  override name = "PayloadTooLargeError";
  constructor(message: string) {
    super("PAYLOAD_TOO_LARGE", message);
  }
}
/** A caller over its rate limit; `retryAfterSeconds` says when to come back. */
export class TooManyRequestsError extends FlightdeckError {
  override name = "TooManyRequestsError";
  constructor(message: string, retryAfterSeconds: number) {
    super("TOO_MANY_REQUESTS", message, { retryAfterSeconds });
  }
}

/**
 * The database cannot be used: unreachable, a refused login, or at a schema this build does not match (newer, or
 * older for a process that does not migrate). At start it stops the process with its one-line message.
 */
export class UnavailableError extends FlightdeckError {
  override name = "UnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("UNAVAILABLE", message, options);
  }
}

/** The code of an error Flightdeck raised on purpose (from any copy of this module), else undefined: a bug. */
export function errorCode(e: unknown): ErrorCode | undefined {
  if (typeof e !== "object" || e === null || (e as { [MARK]?: unknown })[MARK] !== true) return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && Object.hasOwn(ERROR_STATUS, code) ? (code as ErrorCode) : undefined;
}

/**
 * Whether `e` is a Flightdeck error of this class name (a subclass told apart across module graphs). Classes
 * compared this way spell their `name` out: a minifier may rename the class itself.
 */
export function isNamed(e: unknown, name: string): e is FlightdeckError {
  return errorCode(e) !== undefined && (e as Error).name === name;
}

export function retryAfterOf(e: unknown): number | undefined {
  return errorCode(e) === undefined ? undefined : (e as FlightdeckError).retryAfterSeconds;
}
