/**
 * Forwarded headers (X-Forwarded-Host and friends) are a proxy's word about the public origin. Without a proxy
 * configured (FLIGHTDECK_TRUST_PROXY) any client could send them to pass the cookie and CSRF origin checks, so
 * they are dropped where requests enter the server, before anything reads them.
 */
import type { IncomingHttpHeaders } from "node:http";

const FORWARDED = ["x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "forwarded"] as const;

export function dropUntrustedForwarding(headers: IncomingHttpHeaders, trustProxy: boolean): void {
  if (trustProxy) return;
  for (const name of FORWARDED) delete headers[name];
}
