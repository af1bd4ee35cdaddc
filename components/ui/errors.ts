import { errorCode } from "~/components/trpc/auth-redirect";

/** A message for the user from any error an API call can raise (never a stack trace). */
export function errorMessage(e: unknown): string {
  if (e && typeof e === "object" && "message" in e && typeof e.message === "string") {
    const code = errorCode(e);
    if (code === "UNAUTHORIZED") return "you are signed out: sign in again to go on";
    if (code === "TOO_MANY_REQUESTS") return "too many requests: wait a minute and try again";
    const data = (e as { data?: { zodError?: { fieldErrors?: Record<string, string[]> } | null } }).data;
    const fields = data?.zodError?.fieldErrors;
    if (fields && Object.keys(fields).length) {
      return Object.entries(fields).map(([k, v]) => `${k}: ${v.join(", ")}`).join("; ");
    }
    // fetch() failing (server down, network gone) says only "Failed to fetch" or "NetworkError…".
    if (!code && /failed to fetch|networkerror|load failed/i.test(e.message)) return "the server did not answer: check the connection and that Flightdeck is running, then try again";
    return e.message;
  }
  return "Something went wrong; see the server log.";
}

/** The same message as a sentence: capital first letter, final stop. */
export function errorSentence(e: unknown): string {
  const m = errorMessage(e);
  const s = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
