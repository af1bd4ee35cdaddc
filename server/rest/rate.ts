/**
 * Requests per caller on /api/v1: a token bucket per API token, per user for sessions, per address for anonymous
 * callers (FLIGHTDECK_API_RATE per second, FLIGHTDECK_API_BURST at once). Checked before the body is read.
 */
import type { Principal } from "../auth";
import type { Env } from "../env";
import { sharedBuckets } from "../rate-limit";
import { RestProblem } from "./problem";

export function rateKey(p: Principal, ip: string | null): string {
  switch (p.kind) {
    case "token":
    case "kiosk":
      return `token:${p.tokenId}`;
    case "user":
      return `user:${p.userId}`;
    case "anonymous":
      return `ip:${ip ?? "unknown"}`;
  }
}

/** Take one request from the caller's bucket: the RateLimit headers to send, or a 429 problem with Retry-After. */
export function takeRequest(env: Pick<Env, "FLIGHTDECK_API_RATE" | "FLIGHTDECK_API_BURST">, key: string): Record<string, string> {
  const limit = { burst: env.FLIGHTDECK_API_BURST, perSecond: env.FLIGHTDECK_API_RATE };
  const buckets = sharedBuckets(`api:${limit.burst}:${limit.perSecond}`, limit);
  const wait = buckets.take(key);
  const headers = { "ratelimit-limit": String(limit.burst), "ratelimit-remaining": String(buckets.remaining(key)) };
  if (wait !== undefined) {
    const seconds = Math.max(1, Math.ceil(wait));
    throw new RestProblem("too-many-requests", `over ${limit.perSecond} requests per second (${limit.burst} at once); try again in ${seconds} s`, { headers: { ...headers, "retry-after": String(seconds) } });
  }
  return headers;
}
