/** PostgreSQL's error codes that the store turns into Flightdeck's own errors. */
import { InvalidInputError } from "../errors";

interface PgError {
  code?: string;
  constraint?: string;
}

/** A unique constraint refused a row (SQLSTATE 23505), optionally a named one. */
export function isUniqueViolation(e: unknown, constraint?: string): boolean {
  const err = (e as { cause?: unknown })?.cause ?? e;
  const pg = err as PgError;
  return pg?.code === "23505" && (constraint === undefined || pg.constraint === constraint);
}

/**
 * A file holding a NUL character: valid UTF-8, but PostgreSQL's text cannot store it (SQLSTATE 22021), so the
 * save is refused as input, not failed as a bug. Other errors are returned as they are.
 */
export function notText(e: unknown): unknown {
  const err = (e as { cause?: unknown })?.cause ?? e;
  if ((err as PgError)?.code === "22021") return new InvalidInputError("a file holds a NUL character: site files are text, and PostgreSQL cannot store it");
  return e;
}
