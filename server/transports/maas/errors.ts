/**
 * Errors of the MAAS client. Each message is written for the operator who reads it in a step's output: which
 * region, which operation on which machine, what MAAS said, and what to do. No message, property or cause
 * carries the API key or the Authorization header (./redact keeps server bodies clean too).
 */
import { describeMachine, type MachineRef } from "./format";

export interface ErrorContext {
  /** The region's name as the operator knows it ("dc1"). */
  region: string;
  /** The region URL (".../MAAS/"). */
  url: string;
  /** The MAAS operation: "deploy", "allocate", "read machine", "query events"... */
  operation: string;
  machine?: MachineRef;
  /** Where the key came from ("secret maas.dc1_key"), for the 401/403 advice. */
  keySource?: string;
}

/** Base class: every failure of a MAAS call. */
export class MaasError extends Error {
  override name = "MaasError";
  readonly region: string;
  readonly url: string;
  readonly operation: string;
  readonly machine: MachineRef | undefined;

  constructor(message: string, context: ErrorContext) {
    super(message);
    this.region = context.region;
    this.url = context.url;
    this.operation = context.operation;
    this.machine = context.machine;
  }
}

export interface ApiErrorDetails {
  status: number;
  /** The body's message (text body, or the JSON body's messages), redacted and shortened. */
  serverMessage: string;
  /** A 400's field errors ({"zone": ["No such zone: 'x'."]}), when MAAS sent them. */
  fieldErrors?: Record<string, string[]>;
  /** How many requests were made (more than 1 after 503 retries). */
  attempts: number;
}

/** MAAS answered with an error status. */
export class MaasApiError extends MaasError {
  override name = "MaasApiError";
  readonly status: number;
  readonly serverMessage: string;
  readonly fieldErrors: Record<string, string[]> | undefined;
  readonly attempts: number;

  constructor(context: ErrorContext, details: ApiErrorDetails) {
    super(apiErrorMessage(context, details), context);
    this.status = details.status;
    this.serverMessage = details.serverMessage;
    this.fieldErrors = details.fieldErrors;
    this.attempts = details.attempts;
  }
}

/** The region could not be reached, or did not answer in time. */
export class MaasConnectionError extends MaasError {
  override name = "MaasConnectionError";
  /** "connection refused", "no answer within 120 s"... */
  readonly reason: string;

  constructor(context: ErrorContext, reason: string) {
    super(`cannot reach MAAS region ${context.region} at ${context.url} (${reason}) for ${target(context)}: check the region URL and that MAAS is running there`, context);
    this.reason = reason;
  }
}

/** MAAS answered 2xx with something this client cannot read (not JSON, or not the expected shape). */
export class MaasResponseError extends MaasError {
  override name = "MaasResponseError";

  constructor(context: ErrorContext, problem: string) {
    super(`MAAS region ${context.region} gave an unexpected answer to ${target(context)}: ${problem}`, context);
  }
}

/** "deploy of machine node-1 (4y3h7n)" or "allocate". */
function target(c: ErrorContext): string {
  return c.machine ? `${c.operation} of machine ${describeMachine(c.machine)}` : c.operation;
}

function quoted(d: ApiErrorDetails): string {
  if (d.fieldErrors) {
    return Object.entries(d.fieldErrors)
      .map(([field, messages]) => `${field}: ${messages.join(" ")}`)
      .join("; ");
  }
  return d.serverMessage;
}

const CONFLICT_ADVICE: Record<string, string> = {
  allocate: "free a matching machine (release one, or commission new ones) or relax the constraints",
  deploy: "a machine can be deployed only from Ready or Allocated: release it first, or wait for its current action",
  release: "wait until the machine's current action (commissioning, testing, erasing) ends",
  "power on": "allocate the machine first",
};

function apiErrorMessage(c: ErrorContext, d: ApiErrorDetails): string {
  const region = `MAAS region ${c.region}`;
  const what = target(c);
  const said = quoted(d);
  const key = c.keySource ?? `the API key configured for region ${c.region}`;
  switch (d.status) {
    case 400:
      return `${region} rejected ${what} (${said || "400 Bad Request"}): check the parameters`;
    case 401:
      return `the API key for MAAS region ${c.region} was refused${said ? ` (${said})` : ""} during ${what}: check ${key}`;
    case 403: {
      const why = c.operation === "commission" ? "commissioning needs an admin key" : "the machine may belong to another user, or the action needs an admin key";
      return `${region} denied ${what}: the API key's user lacks permission (${why})${said ? `; MAAS said: ${said}` : ""}; use a key with the right permissions in ${key}`;
    }
    case 404:
      if (c.machine && /^No \w+ matches the given query\.$/.test(d.serverMessage)) {
        return `${region} has no machine ${c.machine.systemId} (${c.operation}: "${d.serverMessage}"): check the system_id; the machine may have been deleted from MAAS`;
      }
      return `${region} answered 404 Not Found to ${what}${said ? ` (${said})` : ""}: check the region URL ${c.url} (it ends in /MAAS)`;
    case 409: {
      const advice = CONFLICT_ADVICE[c.operation];
      return `${region} refused ${what}: "${said}"${advice ? `; ${advice}` : ""}`;
    }
    case 503:
      return `MAAS region ${c.region} at ${c.url} is unavailable: ${what} got 503 Service Unavailable ${d.attempts === 1 ? "once" : `${d.attempts} times`}${said ? ` ("${said}")` : ""}; try again later`;
    default:
      return `${region} answered ${d.status} to ${what}${said ? `: ${said}` : ""}`;
  }
}
