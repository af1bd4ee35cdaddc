/** Errors as one line for the outbox and the log: a message, never a stack, never a secret the caller names. */
export function errorText(e: unknown, secrets: readonly string[] = []): string {
  // drizzle's "Failed query: <sql> params: ..." is said by its cause (the database's own words, without the values).
  const error = e instanceof Error && e.message.startsWith("Failed query") && e.cause instanceof Error ? e.cause : e;
  let text = (error instanceof Error ? error.message || error.name : String(error)).replace(/\s+/g, " ").trim();
  for (const secret of secrets) if (secret) text = text.split(secret).join("***");
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
