/** A message for the user from any error an API call can raise (never a stack trace). */
export function errorMessage(e: unknown): string {
  if (e && typeof e === "object" && "message" in e && typeof e.message === "string") {
    const data = (e as { data?: { zodError?: { fieldErrors?: Record<string, string[]> } | null } }).data;
    const fields = data?.zodError?.fieldErrors;
    if (fields && Object.keys(fields).length) {
      return Object.entries(fields).map(([k, v]) => `${k}: ${v.join(", ")}`).join("; ");
    }
    return e.message;
  }
  return "Something went wrong; see the server log.";
}
