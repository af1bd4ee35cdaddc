/** PostgreSQL's error codes that the store turns into Flightdeck's own errors. */
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
