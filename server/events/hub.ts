/**
 * Where every accepted event goes, whatever brought it (the intake endpoints, Flightdeck's own events): it is
 * stored, handed to the reactor (the reactions, registered by server/events/reactions at start; none: nothing
 * reacts), its outcome stored, and the site's room told so the Events page shows it live.
 *
 * The reactor is kept on globalThis: the custom server and Next's route bundle each load their own copy of this
 * module, and the intake routes (Next) must reach the reactor the server registered.
 */
import type { EventOutcome, EventSource, EventStore, SiteEventInput, StoredEvent } from "./types";

/** Decides what an event causes (matching, limiters, runs) and says so per reaction. Must not throw for a bad reaction: say `error`. */
export type Reactor = (event: StoredEvent) => Promise<EventOutcome[]>;

export interface HubDeps {
  events: EventStore;
  /** Tells the site's room (`site:<slug>`, socket event "site.event"); never throws, never awaited. */
  broadcast: (event: StoredEvent) => void;
  /** The clock (tests inject one); Date.now by default. */
  now?: () => number;
}

const REACTOR = Symbol.for("flightdeck.events.reactor");
type Holder = { [REACTOR]?: Reactor };

/** Registers the process's reactor (null: none, events are only stored). */
export function setReactor(reactor: Reactor | null): void {
  (globalThis as Holder)[REACTOR] = reactor ?? undefined;
}

function reactor(): Reactor | undefined {
  return (globalThis as Holder)[REACTOR];
}

/** Stores an accepted event, lets the reactor decide what it causes, stores and broadcasts that; returns the event with its outcome. */
export async function recordEvent(deps: HubDeps, site: string, source: EventSource, sender: string, input: SiteEventInput): Promise<StoredEvent> {
  const stored = await deps.events.insert(site, { ...input, source, sender, receivedAt: (deps.now ?? Date.now)() });
  const react = reactor();
  if (!react) {
    deps.broadcast(stored);
    return stored;
  }
  let outcome: EventOutcome[];
  try {
    outcome = await react(stored);
  } catch (err) {
    // The event is kept (it was accepted); what went wrong is its outcome, shown on the Events page.
    outcome = [{ reaction: "*", result: "error", detail: `reactions failed: ${err instanceof Error ? err.message : String(err)}` }];
  }
  return updateOutcome(deps, stored, outcome);
}

/** Replaces an event's outcome later (a wait_for_more that fired, a held event released) and tells the page. */
export async function updateOutcome(deps: HubDeps, event: StoredEvent, outcome: EventOutcome[]): Promise<StoredEvent> {
  await deps.events.setOutcome(event.id, outcome);
  const updated = { ...event, outcome };
  deps.broadcast(updated);
  return updated;
}

/** The hub's dependencies from a process's services (the web process's, or a worker's with its own broadcaster). */
export function hubDeps(svc: { store: { events: EventStore }; broadcaster: { siteEvent?(site: string, id: number): void } }): HubDeps {
  return { events: svc.store.events, broadcast: (e) => svc.broadcaster.siteEvent?.(e.site, e.id) };
}
