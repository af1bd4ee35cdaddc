/**
 * `notify()`: what the run service, the worker and the reactions call when something worth telling happens. It
 * puts one delivery per matching rule of the site in the outbox and wakes this process's dispatcher; the
 * dispatcher of whichever process claims it sends it. It never throws and never fails its caller: a run goes on
 * whether or not anyone hears of it (a problem is logged).
 */
import type { RunRow, RunStore } from "../store/types";
import { errorText } from "./text";
import type { NewNotification, NotificationKind, NotificationPayload, NotificationStore, NotifyInput } from "./types";

export interface NotifyDeps {
  /** The store (Store has both). */
  store: { notifications: NotificationStore; runs: Pick<RunStore, "get"> };
  /** The dashboard's public URL for links; undefined: the process's (setPublicUrl, else FLIGHTDECK_URL); null: none (links are paths). */
  publicUrl?: string | null;
  now?: () => number;
  log?: (line: string) => void;
}

const WAKE = Symbol.for("flightdeck.notify.wake");
const PUBLIC_URL = Symbol.for("flightdeck.notify.publicUrl");
type Holder = { [WAKE]?: () => void; [PUBLIC_URL]?: string | null };

/** The dispatcher of this process registers how to wake it (null: none runs here; the others' poll finds the rows). */
export function setWake(wake: (() => void) | null): void {
  (globalThis as Holder)[WAKE] = wake ?? undefined;
}

/** The process's services say where the dashboard is (their FLIGHTDECK_URL; null: nowhere, links are paths). */
export function setPublicUrl(url: string | null | undefined): void {
  (globalThis as Holder)[PUBLIC_URL] = url;
}

export async function notify(deps: NotifyDeps, input: NotifyInput): Promise<void> {
  try {
    const rules = (await deps.store.notifications.rules(input.site)).filter((r) => r.kinds.includes(input.kind));
    if (!rules.length) return;
    const run = input.run === undefined ? undefined : await deps.store.runs.get(input.run);
    const payload = payloadOf(input, run, linkBase(deps.publicUrl), new Date((deps.now ?? Date.now)()));
    const items: NewNotification[] = rules.map((r) => ({ kind: input.kind, channel: r.channel, target: r.target, payload }));
    await deps.store.notifications.enqueue(input.site, items, new Date(payload.at));
    (globalThis as Holder)[WAKE]?.();
  } catch (e) {
    (deps.log ?? console.error)(`notifications: cannot enqueue ${input.kind} of site ${input.site}${input.run ? ` (run ${input.run})` : ""}: ${errorText(e)}`);
  }
}

function linkBase(publicUrl: string | null | undefined): string | null {
  const registered = (globalThis as Holder)[PUBLIC_URL];
  const url = publicUrl !== undefined ? publicUrl : registered !== undefined ? registered : process.env.FLIGHTDECK_URL;
  return url ? url.replace(/\/+$/, "") : null;
}

/** The payload of a notification: a sentence, the run's fields and the deep link. */
export function payloadOf(input: NotifyInput, run: RunRow | undefined, base: string | null, at: Date): NotificationPayload {
  const path = input.kind === "approval_requested" || !run ? `/sites/${input.site}/approvals` : `/sites/${input.site}/runs/${run.id}`;
  return {
    kind: input.kind,
    site: input.site,
    summary: summaryOf(input.kind, input, run),
    link: base ? `${base}${path}` : path,
    ...(base ? {} : { linkWarning: "the server has no FLIGHTDECK_URL, so this link is a path on the dashboard" }),
    ...(run && {
      run: { id: run.id, deployment: run.deployment, status: run.status, requestedBy: run.requestedBy, reason: run.reason, ...(run.message ? { message: run.message } : {}) },
    }),
    ...(input.reaction && { reaction: input.reaction }),
    at: at.toISOString(),
  };
}

function summaryOf(kind: NotificationKind, input: NotifyInput, run: RunRow | undefined): string {
  const what = run ? `Run ${run.id} (${run.deployment}) of ${input.site}` : `A run of ${input.site}`;
  switch (kind) {
    case "approval_requested":
      return `${what} waits for approval: requested by ${run?.requestedBy ?? "someone"}${run?.reason ? `: ${run.reason}` : ""}`;
    case "run_started":
      return `${what} started`;
    case "run_finished":
      return `${what} ${run?.status === "cancelled" ? "was cancelled" : "succeeded"}${run?.message ? `: ${run.message}` : ""}`;
    case "run_failed":
      return `${what} ${run?.status === "interrupted" ? "was interrupted" : "failed"}${run?.message ? `: ${run.message}` : ""}`;
    case "reaction_fired": {
      const by = input.reaction ? `Reaction ${input.reaction.name} of ${input.site}` : `A reaction of ${input.site}`;
      const on = input.reaction?.event ? ` on event #${input.reaction.event.id} (${input.reaction.event.name})` : "";
      return `${by} fired${on}${run ? `: it requested run ${run.id} (${run.deployment})` : ""}`;
    }
  }
}

/** What a run's end is told as: run_finished when it succeeded or was cancelled, run_failed when it failed or was interrupted. */
export function runEnded(site: string, run: number, status: string): NotifyInput {
  return { site, kind: status === "failed" || status === "interrupted" ? "run_failed" : "run_finished", run };
}
