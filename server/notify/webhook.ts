/**
 * The webhook channel: the payload POSTed as JSON, signed like the event intake checks its senders
 * (`X-Flightdeck-Signature: sha256=<hex HMAC-SHA256 of the body>` with the rule's secret), its kind in
 * `X-Flightdeck-Event` and the delivery's id in `X-Flightdeck-Delivery` (a receiver's duplicate check: a retry
 * after a lost answer sends the same id). Redirects are not followed: the signed body goes where it was told.
 */
import { sign } from "../secrets/sealed";
import { DeliveryFailure } from "./failure";
import type { Delivery } from "./types";


/** Why a URL cannot be a webhook target (undefined: it can). */
export function webhookUrlProblem(target: string): string | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `must be http:// or https:// (not ${url.protocol}//)`;
  if (url.username || url.password) return "must not carry a user or password: the receiver checks the signature instead";
  return undefined;
}

export async function sendWebhook(delivery: Delivery, secret: string, timeoutMs: number): Promise<void> {
  const problem = webhookUrlProblem(delivery.target);
  if (problem) throw new DeliveryFailure(`the URL ${problem}`, { permanent: true });
  const body = JSON.stringify(delivery.payload);
  let response: Response;
  try {
    response = await fetch(delivery.target, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        "content-type": "application/json",
        "user-agent": "Flightdeck-Notifications",
        "x-flightdeck-event": delivery.kind,
        "x-flightdeck-delivery": String(delivery.id),
        "x-flightdeck-signature": sign(secret, body),
      },
      body,
    });
  } catch (e) {
    throw new DeliveryFailure(networkError(e, timeoutMs));
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return;
  const said = `the receiver answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
  if (response.status >= 300 && response.status < 400) throw new DeliveryFailure(`${said} (redirects are not followed: give the final URL)`, { permanent: true });
  // Client errors other than a timeout or a rate limit will not change on a retry.
  const retried = response.status >= 500 || response.status === 408 || response.status === 429;
  throw new DeliveryFailure(said, { permanent: !retried });
}

function networkError(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) return `no answer within ${timeoutMs / 1000} s`;
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  const code = (cause as { code?: string }).code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return `cannot reach the receiver: ${code && !message.includes(code) ? `${code} ` : ""}${message}`;
}
