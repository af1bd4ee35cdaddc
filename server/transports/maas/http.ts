/**
 * One MAAS API call over HTTP (spec B1, B2, B7): the URL with `?op=`, GET filters in the query string, POST
 * parameters form-encoded (lists as repeated parameters), a fresh OAuth header per attempt, bounded retries of
 * 503 with exponential backoff or Retry-After, a per-attempt timeout, and failures turned into the errors of
 * ./errors. Knows nothing about machines beyond what an error message needs.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { authorizationHeader, type MaasCredentials } from "./credentials";
import { MaasApiError, MaasConnectionError, MaasResponseError, type ErrorContext } from "./errors";
import { formatDuration } from "../../engine/duration";
import type { MachineRef } from "./format";
import type { Redactor } from "./redact";

export type ParamValue = string | number | boolean | readonly (string | number)[] | null | undefined;
export type Params = Readonly<Record<string, ParamValue>>;

export interface RetryPolicy {
  /** Tries in all for a request answered 503 (1: no retry). */
  attempts: number;
  /** The first backoff; each later one doubles. */
  baseDelayMs: number;
  /** The longest wait between tries, Retry-After included. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };
/** Deploy and power calls wait for the BMC inside the request; a minute is not unusual. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

/** Told before each wait for a retry: lets a caller say "MAAS busy, retrying in 2 s" in a step's output. */
export interface RetryNotice {
  operation: string;
  machine?: MachineRef;
  /** The attempt that got the 503 (1-based). */
  attempt: number;
  delayMs: number;
  serverMessage: string;
}

export interface HttpSettings {
  /** ".../MAAS/api/2.0/" */
  apiBase: URL;
  /** The region as the operator configured it, for messages: ".../MAAS/" */
  regionUrl: string;
  region: string;
  keySource?: string;
  credentials: MaasCredentials;
  redact: Redactor;
  retry: RetryPolicy;
  requestTimeoutMs: number;
  onRetry?: (notice: RetryNotice) => void;
}

export interface RequestSpec {
  method: "GET" | "POST";
  /** Under api/2.0/, with MAAS's required trailing slash: "machines/", "machines/4y3h7n/". */
  path: string;
  op?: string;
  params?: Params;
  /** For messages: "deploy", "read machine"... */
  operation: string;
  machine?: MachineRef;
  /** No Authorization header (GET version/ needs none). */
  anonymous?: boolean;
  signal?: AbortSignal;
}

export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("aborted");
}

function appendParams(target: URLSearchParams, params: Params | undefined): void {
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value === undefined || value === null) continue;
    const values = Array.isArray(value) ? (value as readonly (string | number)[]) : [value as string | number | boolean];
    for (const v of values) target.append(name, String(v));
  }
}

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** Node's fetch reports network failures as TypeError("fetch failed") with the system error as its cause. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = cause instanceof Error && "code" in cause ? String((cause as { code: unknown }).code) : "";
  const reasons: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ECONNRESET: "connection reset",
    ENOTFOUND: "host name not found",
    EAI_AGAIN: "host name lookup failed",
    EHOSTUNREACH: "host unreachable",
    ENETUNREACH: "network unreachable",
    ETIMEDOUT: "connect timeout",
    UND_ERR_CONNECT_TIMEOUT: "connect timeout",
    UND_ERR_SOCKET: "connection closed by the region",
  };
  return reasons[code] ?? (cause instanceof Error ? cause.message : String(cause));
}

async function sendOnce(settings: HttpSettings, url: URL, init: RequestInit, context: ErrorContext, signal: AbortSignal | undefined): Promise<RawResponse> {
  const timeout = AbortSignal.timeout(settings.requestTimeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    // redirect: manual, so a POST is never replayed as a GET to wherever a proxy points; a 3xx is reported.
    const response = await fetch(url, { ...init, redirect: "manual", signal: combined });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    if (signal?.aborted) throw abortReason(signal);
    if (timeout.aborted) throw new MaasConnectionError(context, `no answer within ${formatDuration(settings.requestTimeoutMs)}`);
    throw new MaasConnectionError(context, settings.redact(networkReason(error)));
  }
}

/** Retry-After is seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function backoffMs(policy: RetryPolicy, attempt: number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // Half fixed, half random: many runs retrying one busy region do not come back in step.
  return exponential / 2 + (Math.random() * exponential) / 2;
}

function isJson(headers: Headers): boolean {
  return /\bjson\b/i.test(headers.get("content-type") ?? "");
}

/** The message and field errors of an error body (B7: text/plain, a JSON field map, or a JSON list). */
function errorDetails(raw: RawResponse, redact: Redactor): { serverMessage: string; fieldErrors?: Record<string, string[]> } {
  if (raw.status >= 300 && raw.status < 400) return { serverMessage: `redirected to ${redact(raw.headers.get("location") ?? "nowhere")}` };
  if (isJson(raw.headers)) {
    try {
      const body: unknown = JSON.parse(raw.text);
      if (typeof body === "string") return { serverMessage: redact(body) };
      if (Array.isArray(body)) return { serverMessage: redact(body.map(String).join("; ")) };
      if (body && typeof body === "object") {
        const fieldErrors: Record<string, string[]> = {};
        for (const [field, value] of Object.entries(body)) fieldErrors[field] = (Array.isArray(value) ? value : [value]).map((v) => redact(String(v)));
        return { serverMessage: redact(raw.text.trim()), fieldErrors };
      }
    } catch {
      // Not JSON after all: reported as text below.
    }
  }
  return { serverMessage: redact(raw.text.trim()) };
}

/** Make the call; resolves with the parsed JSON body (or the text, for a 2xx that is not JSON). */
export async function maasRequest(settings: HttpSettings, spec: RequestSpec): Promise<unknown> {
  const url = new URL(spec.path, settings.apiBase);
  if (spec.op !== undefined) url.searchParams.set("op", spec.op);
  let body: string | undefined;
  if (spec.method === "GET") appendParams(url.searchParams, spec.params);
  else {
    const form = new URLSearchParams();
    appendParams(form, spec.params);
    body = form.toString();
  }
  const context: ErrorContext = { region: settings.region, url: settings.regionUrl, operation: spec.operation, machine: spec.machine, keySource: settings.keySource };
  const attempts = Math.max(1, Math.floor(settings.retry.attempts));
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (spec.signal?.aborted) throw abortReason(spec.signal);
    const headers: Record<string, string> = { Accept: "application/json" };
    if (!spec.anonymous) headers.Authorization = authorizationHeader(settings.credentials);
    if (body !== undefined) headers["Content-Type"] = "application/x-www-form-urlencoded";
    const raw = await sendOnce(settings, url, { method: spec.method, headers, body }, context, spec.signal);
    if (raw.status >= 200 && raw.status < 300) {
      if (!isJson(raw.headers)) return raw.text;
      try {
        return JSON.parse(raw.text) as unknown;
      } catch {
        throw new MaasResponseError(context, `the body is not the JSON its content type says (${raw.text.length} bytes)`);
      }
    }
    const details = errorDetails(raw, settings.redact);
    // MAAS raises its 503s (region not ready, no free IP, power problem) as exceptions that roll back the request's
    // transaction, and a proxy's 503 never reached MAAS: retrying a POST does not act twice.
    if (raw.status === 503 && attempt < attempts) {
      const delayMs = Math.min(settings.retry.maxDelayMs, retryAfterMs(raw.headers.get("retry-after")) ?? backoffMs(settings.retry, attempt));
      settings.onRetry?.({ operation: spec.operation, machine: spec.machine, attempt, delayMs, serverMessage: details.serverMessage });
      try {
        await sleep(delayMs, undefined, { signal: spec.signal });
      } catch (error) {
        if (spec.signal?.aborted) throw abortReason(spec.signal);
        throw error;
      }
      continue;
    }
    throw new MaasApiError(context, { status: raw.status, ...details, attempts: attempt });
  }
  // The loop returns or throws on its last attempt; this is for the type checker.
  throw new Error("unreachable: retry loop ended without an answer");
}
