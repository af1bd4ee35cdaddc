/**
 * The three intake formats turned into events, all validated before anything is stored (an Alertmanager batch
 * with one bad alert stores none): the generic JSON event, Alertmanager's webhook (version 4: one event per
 * alert, firing or resolved) and GitHub's push and pull_request. Bad input is a 400 problem naming each place by
 * JSON pointer; unreadable JSON says the line and column.
 */
import { z } from "zod";
import { fieldProblems, RestProblem, type FieldProblem } from "../../rest/problem";
import { siteEventInput, type SiteEventInput } from "../types";

function invalid(detail: string, errors: FieldProblem[]): never {
  throw new RestProblem("invalid-input", detail, { errors });
}

/** The body as JSON (UTF-8), or a 400 saying where it stops being JSON. */
export function parseJsonBody(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    invalid(`${what} is not UTF-8 text`, [{ pointer: "", detail: "not UTF-8" }]);
  }
  if (!text.trim()) invalid(`${what} is empty: send a JSON object`, [{ pointer: "", detail: "empty body" }]);
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const position = Number(/position (\d+)/.exec(message)?.[1] ?? NaN);
    let where = "";
    if (Number.isFinite(position)) {
      const before = text.slice(0, position).split("\n");
      where = ` at line ${before.length}, column ${before.at(-1)!.length + 1}`;
    }
    invalid(`${what} is not valid JSON${where}: ${message.replace(/ in JSON at position \d+.*$/, "")}`, [{ pointer: "", detail: `not valid JSON${where}` }]);
  }
}

function validated(raw: unknown, prefix: (string | number)[], what: string, pointerOf?: (issuePath: PropertyKey[]) => PropertyKey[]): SiteEventInput {
  const result = siteEventInput.safeParse(raw);
  if (result.success) return result.data;
  const errors = pointerOf ? fieldProblems(new z.ZodError(result.error.issues.map((i) => ({ ...i, path: pointerOf(i.path) }))), prefix) : fieldProblems(result.error, prefix);
  invalid(`${what}: ${errors.map((f) => `${f.pointer || "the body"}: ${f.detail}`).join("; ")}`, errors);
}

/** POST /events: one event `{name, labels?, data?}`. */
export function genericEvents(body: unknown): SiteEventInput[] {
  if (typeof body !== "object" || body === null || Array.isArray(body)) invalid("the body must be a JSON object {name, labels, data}", [{ pointer: "", detail: "not a JSON object" }]);
  return [validated(body, [], "the event is invalid")];
}

const stringMap = z.record(z.string(), z.string());
const alert = z.looseObject({
  status: z.enum(["firing", "resolved"]),
  labels: stringMap.refine((l) => typeof l.alertname === "string" && l.alertname !== "", "an alert's labels must include alertname"),
  annotations: stringMap.default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});
const alertmanagerPayload = z.looseObject({
  version: z.literal("4", { error: "only Alertmanager's webhook version 4 is understood" }),
  status: z.enum(["firing", "resolved"]).optional(),
  receiver: z.string().optional(),
  externalURL: z.string().optional(),
  groupKey: z.string().optional(),
  alerts: z.array(alert).min(1, "no alerts").max(1000, "at most 1000 alerts per notification"),
});

/** POST /events/alertmanager: each alert is an event `alertmanager/<alertname>`, labels + status, data the rest. */
export function alertmanagerEvents(body: unknown): SiteEventInput[] {
  const parsed = alertmanagerPayload.safeParse(body);
  if (!parsed.success) {
    const errors = fieldProblems(parsed.error);
    invalid(`not an Alertmanager webhook payload (version 4): ${errors.map((f) => `${f.pointer || "the body"}: ${f.detail}`).join("; ")}`, errors);
  }
  const { receiver, externalURL, groupKey } = parsed.data;
  return parsed.data.alerts.map((a, i) =>
    validated(
      {
        name: `alertmanager/${a.labels.alertname}`,
        labels: { ...a.labels, status: a.status },
        data: { annotations: a.annotations, startsAt: a.startsAt ?? null, endsAt: a.endsAt ?? null, generatorURL: a.generatorURL ?? null, fingerprint: a.fingerprint ?? null, receiver: receiver ?? null, externalURL: externalURL ?? null, groupKey: groupKey ?? null },
      },
      ["alerts", i],
      `alert ${i} cannot be an event`,
      // The event's name comes from labels.alertname; its labels are the alert's.
      (path) => (path[0] === "name" ? ["labels", "alertname"] : path),
    ),
  );
}

const GITHUB_EVENTS = ["push", "pull_request", "ping"] as const;
export type GithubEvent = (typeof GITHUB_EVENTS)[number];

const repository = z.looseObject({ full_name: z.string() });
const pushPayload = z.looseObject({
  ref: z.string(),
  before: z.string().optional(),
  after: z.string(),
  repository,
  deleted: z.boolean().optional(),
  forced: z.boolean().optional(),
  compare: z.string().optional(),
  pusher: z.looseObject({ name: z.string().optional() }).optional(),
  sender: z.looseObject({ login: z.string() }).optional(),
  commits: z.array(z.unknown()).optional(),
  head_commit: z.looseObject({ id: z.string(), message: z.string().optional(), url: z.string().optional() }).nullable().optional(),
});
const pullRequestPayload = z.looseObject({
  action: z.string(),
  number: z.number().int(),
  repository,
  sender: z.looseObject({ login: z.string() }).optional(),
  pull_request: z.looseObject({
    title: z.string().optional(),
    html_url: z.string().optional(),
    state: z.string().optional(),
    merged: z.boolean().nullable().optional(),
    draft: z.boolean().optional(),
    base: z.looseObject({ ref: z.string() }),
    head: z.looseObject({ ref: z.string(), sha: z.string() }),
    user: z.looseObject({ login: z.string() }).optional(),
  }),
});

/** The X-GitHub-Event header, checked: push, pull_request or ping. */
export function githubEventKind(header: string | null): GithubEvent {
  const kind = (header ?? "").trim();
  if ((GITHUB_EVENTS as readonly string[]).includes(kind)) return kind as GithubEvent;
  invalid(
    header === null ? "missing X-GitHub-Event header (push, pull_request or ping)" : `X-GitHub-Event '${kind.slice(0, 60)}' is not handled: push, pull_request or ping (configure the webhook for those events)`,
    [{ pointer: "", detail: "unknown GitHub event" }],
  );
}

function githubParsed<T extends z.ZodType>(schema: T, body: unknown, kind: string): z.output<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const errors = fieldProblems(parsed.error);
  invalid(`not a GitHub ${kind} payload: ${errors.map((f) => `${f.pointer || "the body"}: ${f.detail}`).join("; ")}`, errors);
}

/** The events of a GitHub delivery: `github/push` or `github/pull_request`; a ping is none. */
export function githubEvents(kind: GithubEvent, body: unknown): SiteEventInput[] {
  if (kind === "ping") return [];
  if (kind === "push") {
    const p = githubParsed(pushPayload, body, "push");
    const branch = p.ref.startsWith("refs/heads/") ? p.ref.slice("refs/heads/".length) : undefined;
    const tag = p.ref.startsWith("refs/tags/") ? p.ref.slice("refs/tags/".length) : undefined;
    const labels: Record<string, string> = { repository: p.repository.full_name, ref: p.ref, sha: p.after, deleted: String(p.deleted ?? false) };
    if (branch !== undefined) labels.branch = branch;
    if (tag !== undefined) labels.tag = tag;
    const pusher = p.pusher?.name ?? p.sender?.login;
    if (pusher) labels.pusher = pusher;
    const head = p.head_commit ?? null;
    const data = { before: p.before ?? null, after: p.after, compare: p.compare ?? null, forced: p.forced ?? false, commits: p.commits?.length ?? 0, head_commit: head && { id: head.id, message: head.message ?? "", url: head.url ?? null } };
    return [validated({ name: "github/push", labels, data }, [], "the push cannot be an event")];
  }
  const p = githubParsed(pullRequestPayload, body, "pull_request");
  const pr = p.pull_request;
  const labels: Record<string, string> = {
    repository: p.repository.full_name,
    action: p.action,
    number: String(p.number),
    base: pr.base.ref,
    head: pr.head.ref,
    sha: pr.head.sha,
    merged: String(pr.merged ?? false),
    draft: String(pr.draft ?? false),
  };
  const author = pr.user?.login ?? p.sender?.login;
  if (author) labels.author = author;
  const data = { title: pr.title ?? "", url: pr.html_url ?? null, state: pr.state ?? null };
  return [validated({ name: "github/pull_request", labels, data }, [], "the pull request cannot be an event")];
}
