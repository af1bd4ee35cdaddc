/**
 * The intake endpoints' one flow (POST /api/v1/sites/{slug}/events[/alertmanager|/github]): who is asking (an
 * API token or session with the operator role, else the site's webhook signature over the raw body), the
 * request rate, the body bounded while it streams, the format's events validated all before any is stored,
 * then each recorded through the hub. A refused signature stores nothing but an audit line without the payload.
 */
import { actorName, clientIp, type Principal } from "../../auth";
import { errorCode, ForbiddenError, UnauthorizedError } from "../../errors";
import { readBody } from "../../rest/body";
import { problemOf } from "../../rest/problem";
import { rateKey, takeRequest } from "../../rest/rate";
import { services, type Services } from "../../services";
import { hubDeps, recordEvent, updateOutcome, type HubDeps } from "../hub";
import { openWebhookSecret, signatureMatches } from "../secret";
import type { EventOutcome, EventSource, SiteEventInput, StoredEvent } from "../types";
import { alertmanagerEvents, genericEvents, githubEventKind, githubEvents, parseJsonBody } from "./formats";

/** Largest intake body: a 10 MB payload is refused (413) as soon as it passes this. */
export const EVENT_BODY_BYTES = 1 << 20;

export type IntakeFormat = "api" | "alertmanager" | "github";

const SIGNATURE_HEADER: Record<IntakeFormat, string> = { api: "x-flightdeck-signature", alertmanager: "x-flightdeck-signature", github: "x-hub-signature-256" };

export async function intake(req: Request, slug: string, format: IntakeFormat): Promise<Response> {
  const instance = new URL(req.url).pathname;
  let limitHeaders: Record<string, string> = {};
  try {
    const svc = await services();
    const principal = await svc.auth.principal(req.headers);
    const ip = clientIp(req.headers);
    limitHeaders = takeRequest(svc.env, rateKey(principal, ip));
    const signed = principal.kind === "anonymous";
    if (!signed) await authorise(svc, principal, slug);
    else if (!req.headers.has(SIGNATURE_HEADER[format])) {
      throw new UnauthorizedError(`send an API token (operator on the site) as 'Authorization: Bearer <token>', or sign the body with the site's webhook secret in ${format === "github" ? "X-Hub-Signature-256" : "X-Flightdeck-Signature"}: sha256=<hex HMAC-SHA256>`);
    }
    const body = await readBody(req, EVENT_BODY_BYTES, "the event payload");
    if (signed && !(await signatureValid(svc, slug, body, req.headers.get(SIGNATURE_HEADER[format])))) {
      // Nothing of the request is kept: no event, and an audit line without the payload.
      await svc.auth.audit.record({ name: "webhook" }, { action: "event.refused", site: (await svc.sites.exists(slug)) ? slug : null, target: format, detail: { reason: "bad signature", bytes: body.byteLength } }, ip);
      throw new UnauthorizedError("the signature does not match the site's webhook secret (HMAC-SHA256 of the raw body, sha256=<hex>), or the site has no webhook secret");
    }
    const inputs = parse(format, req.headers, body);
    const delivery = format === "github" ? githubDelivery(req.headers) : undefined;
    if (delivery !== undefined) {
      // GitHub sends a delivery again (by hand, or after no answer) with its id: it was received once, and counts once.
      for (const input of inputs) input.labels = { ...input.labels, delivery };
      const [seen] = await svc.store.events.page(slug, { limit: 1, label: { key: "delivery", value: delivery } });
      if (seen) return Response.json({ received: 0, duplicateOf: seen.id, events: [] }, { status: 200, headers: { "cache-control": "no-store", ...limitHeaders } });
    }
    const sender = signed ? "webhook" : actorName(principal);
    const deps = hubDeps(svc);
    const stored: StoredEvent[] = [];
    for (const input of inputs) stored.push(await recordEvent(deps, slug, source(format), sender, input));
    if (format === "github") await requestTrackedPush(svc, deps, stored);
    if (stored.length) {
      const names = [...new Set(stored.map((e) => e.name))];
      await svc.auth.audit.record(signed ? { name: "webhook" } : principal, { action: "event.received", site: slug, target: names.join(", ").slice(0, 200), detail: { events: stored.length, ids: stored.map((e) => e.id).slice(0, 50), source: source(format) } }, ip);
    }
    const events = stored.length ? await Promise.all(stored.map((e) => svc.store.events.get(slug, e.id))) : [];
    return Response.json({ received: events.length, events }, { status: 200, headers: { "cache-control": "no-store", ...limitHeaders } });
  } catch (e) {
    const res = problemOf(e, instance);
    for (const [k, v] of Object.entries(limitHeaders)) if (!res.headers.has(k)) res.headers.set(k, v);
    return res;
  }
}

function source(format: IntakeFormat): EventSource {
  return format;
}

async function authorise(svc: Services, principal: Principal, slug: string): Promise<void> {
  if (principal.kind === "kiosk") throw new ForbiddenError("a kiosk token reads its board and nothing else");
  if (principal.kind === "user" && principal.mustChangePassword) throw new ForbiddenError("change your one-time password first");
  await svc.auth.access.require(principal, slug, "operator");
}

/** Whether the body carries the site's signature; an unknown site or one without a secret is no different to a sender. */
async function signatureValid(svc: Services, slug: string, body: Uint8Array, header: string | null): Promise<boolean> {
  let sealed: string | null;
  try {
    sealed = (await svc.store.events.settings(slug)).webhookSecret;
  } catch (e) {
    if (errorCode(e) === "NOT_FOUND") return false;
    throw e;
  }
  if (sealed === null) return false;
  return signatureMatches(await openWebhookSecret(sealed, await svc.serverIdentity), body, header);
}

/** GitHub's id of a delivery (X-GitHub-Delivery, a GUID), when it sends one that looks like one. */
function githubDelivery(headers: Headers): string | undefined {
  const id = headers.get("x-github-delivery")?.trim();
  return id && /^[A-Za-z0-9-]{1,100}$/.test(id) ? id : undefined;
}

function parse(format: IntakeFormat, headers: Headers, body: Uint8Array): SiteEventInput[] {
  if (format === "api") return genericEvents(parseJsonBody(body, "the event"));
  if (format === "alertmanager") return alertmanagerEvents(parseJsonBody(body, "the Alertmanager payload"));
  const kind = githubEventKind(headers.get("x-github-event"));
  // GitHub sends either JSON or a form with the JSON in `payload` (the webhook's content type setting).
  let bytes = body;
  if ((headers.get("content-type") ?? "").startsWith("application/x-www-form-urlencoded")) bytes = Buffer.from(new URLSearchParams(Buffer.from(body).toString("utf8")).get("payload") ?? "");
  return githubEvents(kind, parseJsonBody(bytes, "the GitHub payload"));
}

/**
 * A push to the site's tracked branch requests a run of its deployment (through approvals like any run); the
 * event's outcome says which run, or why none.
 */
async function requestTrackedPush(svc: Services, deps: HubDeps, stored: StoredEvent[]): Promise<void> {
  for (const event of stored) {
    if (event.name !== "github/push" || event.labels.deleted === "true") continue;
    const { github } = await svc.store.events.settings(event.site);
    if (!github || event.labels.branch !== github.branch) continue;
    const sha = (event.labels.sha ?? "").slice(0, 12);
    let outcome: EventOutcome;
    try {
      const runId = await svc.runner.launch({ site: event.site, deployment: github.deployment, requestedBy: "github", reason: `GitHub push ${sha} to ${github.branch}` });
      outcome = { reaction: "github", result: "fired", runId, detail: `push to the tracked branch ${github.branch}: requested ${github.deployment}` };
    } catch (e) {
      outcome = { reaction: "github", result: "error", detail: `push to the tracked branch ${github.branch}: ${e instanceof Error ? e.message : String(e)}` };
    }
    await updateOutcome(deps, event, [...event.outcome, outcome]);
  }
}
